package cleanup

import (
	"context"
	"fmt"

	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/tagger"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func listAddresses(ctx context.Context, _ *run, c Clients, region string, _ []policy.Policy, yield func(plan.Resource)) error {
	api := c.EC2
	// DescribeAddresses has no pages: an account holds few addresses.
	out, err := api.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: []types.Filter{filter("domain", "vpc")}})
	if err != nil {
		return fmt.Errorf("describe addresses: %w", err)
	}
	for _, a := range out.Addresses {
		tg := tags.EC2(a.Tags)
		state := "unassociated"
		if aws.ToString(a.AssociationId) != "" || aws.ToString(a.InstanceId) != "" || aws.ToString(a.NetworkInterfaceId) != "" {
			state = "associated"
		}
		yield(plan.Resource{
			Type: policy.EC2Address, ID: aws.ToString(a.AllocationId), Region: region,
			ARN:  tagger.EC2ARN(region, "", "elastic-ip", aws.ToString(a.AllocationId)),
			Name: tg["Name"], State: state, Tags: tg,
		})
	}
	return nil
}

var actAddresses = deleteEach("release address", func(ctx context.Context, c Clients, it item) error {
	_, err := c.EC2.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: aws.String(it.res.ID)})
	return err
})
