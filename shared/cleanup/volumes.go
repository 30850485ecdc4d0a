package cleanup

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tagger"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

var volumeStates = []string{"creating", "available", "in-use", "error"}

// listVolumes lists the region's volumes once, unfiltered, and yields those
// the policies concern: in a state they match, or marked in another state
// (to remove the marks). Two filtered queries (matched states; the other
// states with the mark) would yield the same, and the snapshots' orphan
// check would list every volume a third time: this one listing also keeps
// the ids of every volume for it (see volumeSets), when a policy checks.
func listVolumes(ctx context.Context, r *run, c Clients, region string, pols []policy.Policy, yield func(plan.Resource)) error {
	match, rest := narrow(pols, volumeStates)
	var existing map[string]struct{}
	if r.volumeGone {
		existing = map[string]struct{}{}
	}
	err := eachVolume(ctx, c.EC2, func(v types.Volume) {
		id, state := aws.ToString(v.VolumeId), string(v.State)
		if existing != nil {
			existing[id] = struct{}{}
		}
		if !slices.Contains(match, state) && !(slices.Contains(rest, state) && hasTag(v.Tags, tags.CleanupAction)) {
			return
		}
		tg := tags.EC2(v.Tags)
		yield(plan.Resource{
			Type: policy.EC2Volume, ID: id, Region: region, Name: tg["Name"], ARN: tagger.EC2ARN(region, aws.ToString(v.OwnerId), "volume", id),
			State: state, Created: aws.ToTime(v.CreateTime), Tags: tg,
			Billing: plan.Billing{Type: string(v.VolumeType), SizeGiB: aws.ToInt32(v.Size), IOPS: aws.ToInt32(v.Iops), Throughput: aws.ToInt32(v.Throughput)},
		})
	})
	if err != nil {
		// A partial set would make the snapshots of unlisted volumes orphans:
		// the snapshot listing lists the volumes itself.
		return err
	}
	if existing != nil {
		r.volumes.put(region, existing)
	}
	return nil
}

// eachVolume calls fn with every volume of the region, 500 (the most
// DescribeVolumes returns) a page.
func eachVolume(ctx context.Context, api EC2API, fn func(types.Volume)) error {
	p := ec2.NewDescribeVolumesPaginator(api, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(500)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe volumes: %w", err)
		}
		for _, v := range page.Volumes {
			fn(v)
		}
	}
	return nil
}

// volumeSets holds, per region, the ids of the volumes there, from the
// region's volume listing until its snapshot listing takes them for the
// orphan check (volume gone): one DescribeVolumes listing per region and
// run. Volumes the run deletes in between leave the set, as a listing
// after the deletes would not show them: their snapshots are orphans in
// the same run. Regions run concurrently, and so do the deletes in one.
type volumeSets struct {
	mu     sync.Mutex
	region map[string]map[string]struct{}
}

func (v *volumeSets) put(region string, ids map[string]struct{}) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.region == nil {
		v.region = map[string]map[string]struct{}{}
	}
	v.region[region] = ids
}

// forget removes a volume the run deleted (or found gone).
func (v *volumeSets) forget(region, id string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.region[region], id)
}

// take hands the region's set over (and drops it from v): the snapshot
// listing is its one reader. ok is false when the volumes were not listed
// in full this run (no volume policy, a failed listing, a follow-up that
// resumes at the snapshots).
func (v *volumeSets) take(region string) (ids map[string]struct{}, ok bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	ids, ok = v.region[region]
	delete(v.region, region)
	return ids, ok
}

func actVolumes(ctx context.Context, r *run, c Clients, p policy.Policy, items []item) {
	api := c.EC2
	region := items[0].res.Region
	if p.FinalSnapshot {
		// One listing per region and run, before any volume is deleted: if it
		// fails, no volume of this policy is deleted without its snapshot.
		if err := r.finals.load(ctx, api, region); err != nil {
			for _, it := range items {
				r.add(failed(it, p.Action, err))
			}
			return
		}
	}
	each(ctx, r, items, func(ctx context.Context, it item) {
		reason := it.dec.Reason
		if p.FinalSnapshot {
			snap, err := finalSnapshot(ctx, r, api, region, it.res.ID)
			if awserr.Is(err, awserr.NotFound) {
				r.volumes.forget(region, it.res.ID)
				r.add(decision(it, p.Action, report.Done, "volume no longer exists"))
				return
			}
			if err != nil {
				r.add(failed(it, p.Action, err))
				return
			}
			reason += "; final snapshot " + snap
		}
		_, err := api.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(it.res.ID)})
		if err := ignoreGone(err); err != nil {
			r.add(failed(it, p.Action, fmt.Errorf("delete volume: %w", err)))
			return
		}
		r.volumes.forget(region, it.res.ID)
		r.add(decision(it, p.Action, report.Done, reason))
	})
}
