package cleanup

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// FinalSnapshotOf tags the snapshot taken of a volume before cleanup deletes
// it; a re-delivered run finds it and takes no second one.
const FinalSnapshotOf = "commander:final-snapshot-of"

// finalSnapshots is the run's final snapshots by region and volume id. A
// region's set is listed once per run (ceil(k/1000) calls for k final
// snapshots instead of one DescribeSnapshots per volume), the first time a
// volume policy with finalSnapshot acts there, and grows with every final
// snapshot this run takes: a re-delivered or repeated attempt never takes a
// second one.
type finalSnapshots struct {
	mu     sync.Mutex
	region map[string]map[string]string // region -> volume -> snapshot
}

// load lists the region's final snapshots unless this run already has.
// Only the region's own goroutine loads it (regions run concurrently, the
// policies within one one at a time), so loads do not race each other.
func (f *finalSnapshots) load(ctx context.Context, api EC2API, region string) error {
	f.mu.Lock()
	_, done := f.region[region]
	f.mu.Unlock()
	if done {
		return nil
	}
	set := map[string]string{}
	p := ec2.NewDescribeSnapshotsPaginator(api, &ec2.DescribeSnapshotsInput{
		OwnerIds: []string{"self"}, Filters: []types.Filter{filter("tag-key", FinalSnapshotOf)}, MaxResults: aws.Int32(1000),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("find final snapshots: %w", err)
		}
		for _, s := range page.Snapshots {
			// A failed snapshot protects nothing: the volume gets a new one.
			if s.State == types.SnapshotStateError {
				continue
			}
			if vol := tags.EC2(s.Tags)[FinalSnapshotOf]; vol != "" {
				set[vol] = aws.ToString(s.SnapshotId)
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.region == nil {
		f.region = map[string]map[string]string{}
	}
	f.region[region] = set
	return nil
}

func (f *finalSnapshots) get(region, volume string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.region[region][volume]
	return id, ok
}

func (f *finalSnapshots) put(region, volume, snapshot string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.region == nil {
		f.region = map[string]map[string]string{}
	}
	if f.region[region] == nil {
		f.region[region] = map[string]string{}
	}
	f.region[region][volume] = snapshot
}

// finalSnapshot returns the snapshot of volume taken by an earlier attempt
// (from the run's set, loaded first), or starts one. EBS snapshots are
// point-in-time: the volume may be deleted while the snapshot is still pending.
func finalSnapshot(ctx context.Context, r *run, api EC2API, region, volume string) (string, error) {
	if err := r.finals.load(ctx, api, region); err != nil {
		return "", err
	}
	if id, ok := r.finals.get(region, volume); ok {
		return id, nil
	}
	tg := tags.Managed(r.job.Function, r.now)
	tg[FinalSnapshotOf] = volume
	if r.rep.IdempotencyKey != "" {
		tg[tags.RunKey] = r.rep.IdempotencyKey
	}
	var list []types.Tag
	for _, k := range sortedStrings(tg) {
		list = append(list, types.Tag{Key: aws.String(k), Value: aws.String(tg[k])})
	}
	in := &ec2.CreateSnapshotInput{
		VolumeId:          aws.String(volume),
		Description:       aws.String("Final snapshot of " + volume + " before cleanup deleted it"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSnapshot, Tags: list}},
	}
	// No client token: after a lost answer, look for the volume's final
	// snapshot (the tag that makes it one is its idempotency key, whatever
	// run took it, as for the run's set).
	created, err := awsclient.CreateOnce(ctx,
		func(ctx context.Context) (*ec2.CreateSnapshotOutput, error) {
			return api.CreateSnapshot(ctx, in, ec2client.NoBlindRetry)
		},
		func(ctx context.Context) (*ec2.CreateSnapshotOutput, bool, error) {
			l, err := ec2client.FindSnapshots(ctx, api, filter("tag:"+FinalSnapshotOf, volume), filter("volume-id", volume))
			if err != nil || len(l) == 0 {
				return nil, false, err
			}
			return &ec2.CreateSnapshotOutput{SnapshotId: l[0].SnapshotId, State: l[0].State}, true, nil
		})
	if err != nil {
		return "", fmt.Errorf("final snapshot: %w", err)
	}
	id := aws.ToString(created.SnapshotId)
	r.finals.put(region, volume, id)
	return id, nil
}
