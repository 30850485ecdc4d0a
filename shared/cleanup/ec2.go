package cleanup

import (
	"context"

	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// EC2API is the slice of EC2 the cleanup job calls.
type EC2API interface {
	ec2.DescribeInstancesAPIClient
	ec2.DescribeVolumesAPIClient
	ec2.DescribeSnapshotsAPIClient
	ec2.DescribeImagesAPIClient
	DescribeAddresses(ctx context.Context, in *ec2.DescribeAddressesInput, opts ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error)
	CreateTags(ctx context.Context, in *ec2.CreateTagsInput, opts ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
	DeleteTags(ctx context.Context, in *ec2.DeleteTagsInput, opts ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error)
	TerminateInstances(ctx context.Context, in *ec2.TerminateInstancesInput, opts ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error)
	StopInstances(ctx context.Context, in *ec2.StopInstancesInput, opts ...func(*ec2.Options)) (*ec2.StopInstancesOutput, error)
	CreateSnapshot(ctx context.Context, in *ec2.CreateSnapshotInput, opts ...func(*ec2.Options)) (*ec2.CreateSnapshotOutput, error)
	DeleteVolume(ctx context.Context, in *ec2.DeleteVolumeInput, opts ...func(*ec2.Options)) (*ec2.DeleteVolumeOutput, error)
	DeleteSnapshot(ctx context.Context, in *ec2.DeleteSnapshotInput, opts ...func(*ec2.Options)) (*ec2.DeleteSnapshotOutput, error)
	DeregisterImage(ctx context.Context, in *ec2.DeregisterImageInput, opts ...func(*ec2.Options)) (*ec2.DeregisterImageOutput, error)
	ec2.DescribeLaunchTemplatesAPIClient
	DescribeLaunchTemplateVersions(ctx context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, opts ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error)
	ReleaseAddress(ctx context.Context, in *ec2.ReleaseAddressInput, opts ...func(*ec2.Options)) (*ec2.ReleaseAddressOutput, error)
}

func filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

// volumeFilterBatch is how many ids one EC2 describe filter names.
const volumeFilterBatch = 200

// narrow splits a type's states into those the policies can match (listed
// with a server-side filter) and the rest, where only marked resources
// matter (to remove their marks). When a policy has no state filter every
// state is listed.
func narrow(pols []policy.Policy, all []string) (match, rest []string) {
	union := map[string]bool{}
	for _, p := range pols {
		var states []string
		for _, f := range p.Filters {
			if f.Kind == policy.State {
				states = f.States
			}
		}
		if states == nil {
			return all, nil
		}
		for _, s := range states {
			union[s] = true
		}
	}
	for _, s := range all {
		if union[s] {
			match = append(match, s)
		} else {
			rest = append(rest, s)
		}
	}
	return match, rest
}
