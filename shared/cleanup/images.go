package cleanup

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tagger"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// imagesInUse are the AMIs a live instance runs or a launch template's
// default or latest version names: such an AMI is held.
func imagesInUse(ctx context.Context, api EC2API) (map[string]string, error) {
	used := map[string]string{}
	ip := ec2.NewDescribeInstancesPaginator(api, &ec2.DescribeInstancesInput{
		Filters: []types.Filter{filter("instance-state-name", liveInstanceStates...)}, MaxResults: aws.Int32(1000),
	})
	for ip.HasMorePages() {
		page, err := ip.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe instances: %w", err)
		}
		for _, r := range page.Reservations {
			for _, in := range r.Instances {
				used[aws.ToString(in.ImageId)] = "used by instance " + aws.ToString(in.InstanceId)
			}
		}
	}
	tp := ec2.NewDescribeLaunchTemplatesPaginator(api, &ec2.DescribeLaunchTemplatesInput{MaxResults: aws.Int32(200)})
	for tp.HasMorePages() {
		page, err := tp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe launch templates: %w", err)
		}
		for _, lt := range page.LaunchTemplates {
			out, err := api.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
				LaunchTemplateId: lt.LaunchTemplateId, Versions: []string{"$Latest", "$Default"},
			})
			if err != nil {
				return nil, fmt.Errorf("describe launch template %s versions: %w", aws.ToString(lt.LaunchTemplateId), err)
			}
			for _, v := range out.LaunchTemplateVersions {
				if v.LaunchTemplateData != nil && v.LaunchTemplateData.ImageId != nil {
					used[*v.LaunchTemplateData.ImageId] = "used by launch template " + aws.ToString(lt.LaunchTemplateName)
				}
			}
		}
	}
	return used, nil
}

func listImages(ctx context.Context, _ *run, c Clients, region string, _ []policy.Policy, yield func(plan.Resource)) error {
	api := c.EC2
	used, err := imagesInUse(ctx, api)
	if err != nil {
		return err
	}
	// Only owned AMIs: public and shared ones are someone else's.
	p := ec2.NewDescribeImagesPaginator(api, &ec2.DescribeImagesInput{Owners: []string{"self"}, MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe images: %w", err)
		}
		for _, im := range page.Images {
			id := aws.ToString(im.ImageId)
			created, _ := time.Parse(time.RFC3339, aws.ToString(im.CreationDate))
			r := plan.Resource{
				Type: policy.EC2Image, ID: id, Region: region, Name: aws.ToString(im.Name), ARN: tagger.EC2ARN(region, "", "image", id),
				State: string(im.State), Created: created, Tags: tags.EC2(im.Tags), Hold: used[id],
			}
			for _, b := range im.BlockDeviceMappings {
				if b.Ebs != nil && aws.ToString(b.Ebs.SnapshotId) != "" {
					r.Dependents = append(r.Dependents, *b.Ebs.SnapshotId)
				}
			}
			yield(r)
		}
	}
	return nil
}

// actImages deregisters each AMI, then deletes its snapshots: a snapshot
// cannot be deleted while a registered AMI uses it.
func actImages(ctx context.Context, r *run, c Clients, p policy.Policy, items []item) {
	api := c.EC2
	each(ctx, r, items, func(ctx context.Context, it item) {
		_, err := api.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(it.res.ID)})
		if err := ignoreGone(err); err != nil {
			r.add(failed(it, p.Action, fmt.Errorf("deregister image: %w", err)))
			return
		}
		var problems []string
		for _, snap := range it.res.Dependents {
			_, err := api.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(snap)})
			if err := ignoreGone(err); err != nil {
				problems = append(problems, fmt.Sprintf("delete snapshot %s: %v", snap, err))
			}
		}
		if len(problems) > 0 {
			r.add(failed(it, p.Action, fmt.Errorf("deregistered, but %s", strings.Join(problems, "; "))))
			return
		}
		reason := it.dec.Reason
		if len(it.res.Dependents) > 0 {
			reason += "; snapshots deleted: " + strings.Join(it.res.Dependents, ", ")
		}
		r.add(decision(it, p.Action, report.Done, reason))
	})
}
