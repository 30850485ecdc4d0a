package cleanup

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/tagger"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func listSnapshots(ctx context.Context, r *run, c Clients, region string, pols []policy.Policy, yield func(plan.Resource)) error {
	api := c.EC2
	// Snapshots an owned AMI uses are held; so is everything AWS Backup made.
	inAMI := map[string]string{}
	ip := ec2.NewDescribeImagesPaginator(api, &ec2.DescribeImagesInput{Owners: []string{"self"}, MaxResults: aws.Int32(1000)})
	for ip.HasMorePages() {
		page, err := ip.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe images: %w", err)
		}
		for _, im := range page.Images {
			for _, b := range im.BlockDeviceMappings {
				if b.Ebs != nil && b.Ebs.SnapshotId != nil {
					inAMI[*b.Ebs.SnapshotId] = aws.ToString(im.ImageId)
				}
			}
		}
	}
	wantGone := checksVolumeGone(pols)
	var existing map[string]struct{}
	if wantGone {
		var ok bool
		if existing, ok = r.volumes.take(region); !ok {
			var err error
			if existing, err = volumeIDs(ctx, api); err != nil {
				return err
			}
		}
	}
	sp := ec2.NewDescribeSnapshotsPaginator(api, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: aws.Int32(1000)})
	for sp.HasMorePages() {
		page, err := sp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe snapshots: %w", err)
		}
		for _, s := range page.Snapshots {
			id := aws.ToString(s.SnapshotId)
			tg := tags.EC2(s.Tags)
			r := plan.Resource{
				Type: policy.EC2Snapshot, ID: id, Region: region, Name: tg["Name"], ARN: tagger.EC2ARN(region, "", "snapshot", id),
				State: string(s.State), Created: aws.ToTime(s.StartTime), Tags: tg,
				Billing: plan.Billing{SizeGiB: aws.ToInt32(s.VolumeSize)},
			}
			if ami, ok := inAMI[id]; ok {
				r.Hold = "used by AMI " + ami
			} else if backup(tg, aws.ToString(s.Description)) {
				r.Hold = "made by AWS Backup"
			}
			if wantGone {
				_, found := existing[aws.ToString(s.VolumeId)]
				gone := !found
				r.Gone = &gone
			}
			yield(r)
		}
	}
	return nil
}

// checksVolumeGone says whether a policy on snapshots asks whether their
// volume is gone: only then are volume ids kept and looked up.
func checksVolumeGone(pols []policy.Policy) bool {
	for _, p := range pols {
		for _, f := range slices.Concat(p.Filters, p.Exclude) {
			if f.Kind == policy.VolumeGone {
				return true
			}
		}
	}
	return false
}

// volumeIDs lists every volume of the region, before the snapshots, when
// this run has not (see volumeSets): ceil(volumes/500) calls instead of a
// filtered lookup per page of snapshots (which cost up to five calls per
// 1000 snapshots). A volume created after the listing has only new
// snapshots, which no age filter of an orphan policy matches, and
// mark-then-act checks again after the grace.
func volumeIDs(ctx context.Context, api EC2API) (map[string]struct{}, error) {
	ids := map[string]struct{}{}
	err := eachVolume(ctx, api, func(v types.Volume) { ids[aws.ToString(v.VolumeId)] = struct{}{} })
	if err != nil {
		return nil, err
	}
	return ids, nil
}

func backup(tg map[string]string, description string) bool {
	for k := range tg {
		if strings.HasPrefix(k, "aws:backup:") {
			return true
		}
	}
	return strings.Contains(description, "AWS Backup")
}

var actSnapshots = deleteEach("delete snapshot", func(ctx context.Context, c Clients, it item) error {
	_, err := c.EC2.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(it.res.ID)})
	return err
})
