package cleanup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

const volumesOnly = `
policies:
  - name: unattached-volumes
    resource: ec2:volume
    action: delete
    filters: [{state: available}, {age: 14d}]
`

// finals returns the final snapshots of volume (by its tag).
func (f *fixture) finals(volume string) []string {
	f.t.Helper()
	out, err := f.ec2.DescribeSnapshots(context.Background(), &ec2.DescribeSnapshotsInput{
		OwnerIds: []string{"self"}, Filters: []types.Filter{filter("tag:"+FinalSnapshotOf, volume)},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	var ids []string
	for _, s := range out.Snapshots {
		ids = append(ids, aws.ToString(s.SnapshotId))
	}
	return ids
}

// earlierFinal is the final snapshot an earlier attempt took of volume
// before it stopped (the platform re-delivers the run).
func (f *fixture) earlierFinal(volume string) string {
	f.t.Helper()
	out, err := f.ec2.CreateSnapshot(context.Background(), &ec2.CreateSnapshotInput{
		VolumeId: aws.String(volume),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSnapshot,
			Tags: ec2Tags(map[string]string{FinalSnapshotOf: volume})}},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return aws.ToString(out.SnapshotId)
}

// A run acting on volumes finds earlier final snapshots with one listing
// per region (not one DescribeSnapshots per volume), takes exactly one final
// snapshot of every volume that has none, and none of a volume an earlier
// (re-delivered) attempt already snapshotted.
func TestFinalSnapshotsListedOncePerRun(t *testing.T) {
	cases := []struct {
		name    string
		volumes int
		earlier int // volumes an earlier attempt snapshotted but did not delete
	}{
		{"one volume", 1, 0},
		{"six volumes", 6, 0},
		{"re-delivered: six volumes, three already snapshotted", 6, 3},
		{"re-delivered: every volume already snapshotted", 4, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			now := time.Now().UTC().Add(40 * day)
			due := map[string]string{tags.CleanupAction: "delete", tags.CleanupDue: now.Add(-day).Format(time.RFC3339)}
			var vols []string
			earlier := map[string]string{}
			for i := range c.volumes {
				v := f.volume(due)
				vols = append(vols, v)
				if i < c.earlier {
					earlier[v] = f.earlierFinal(v)
				}
			}
			// A volume this run only marks keeps its final snapshot and is not deleted.
			other := f.volume(nil)
			f.earlierFinal(other)

			// The breaker is opened: this test counts calls, TestBreakerTrips checks the breaker.
			rep := f.run(f.job(volumesOnly, map[string]string{"COMMANDER_BREAKER_MAX_PERCENT": "100"}), now, "")
			if rep.Status != report.StatusOK || rep.Count("delete", report.Done) != c.volumes {
				t.Fatalf("act run: %s %s %v %v", rep.Status, rep.Reason, rep.Counts, rep.Errors)
			}
			if n := rep.APICalls["EC2.DescribeSnapshots"]; n != 1 {
				t.Errorf("DescribeSnapshots calls %d for %d volumes; want 1 per run", n, c.volumes)
			}
			if n := rep.APICalls["EC2.CreateSnapshot"]; n != int64(c.volumes-c.earlier) {
				t.Errorf("CreateSnapshot calls %d; want %d", n, c.volumes-c.earlier)
			}
			for _, v := range vols {
				finals := f.finals(v)
				if len(finals) != 1 {
					t.Errorf("%s has %d final snapshots %v; want 1", v, len(finals), finals)
					continue
				}
				if id, ok := earlier[v]; ok && finals[0] != id {
					t.Errorf("%s: final snapshot %s, want the earlier %s", v, finals[0], id)
				}
				if d := decisionFor(rep, v); !strings.Contains(d.Reason, "final snapshot "+finals[0]) {
					t.Errorf("%s: decision does not name its final snapshot %s: %+v", v, finals[0], d)
				}
				if f.exists("volume", v) {
					t.Errorf("%s was not deleted", v)
				}
			}
			if !f.exists("volume", other) || len(f.finals(other)) != 1 {
				t.Errorf("volume %s not acted on changed: exists %v, finals %v", other, f.exists("volume", other), f.finals(other))
			}
		})
	}
}

// A volume snapshotted earlier in the same run is found in the run's set:
// asking again takes no second snapshot and makes no further listing.
func TestFinalSnapshotAddedToRunSet(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	vol := f.volume(nil)
	r := &run{job: f.job(volumesOnly, nil), now: time.Now().UTC(), rep: report.New("cleanup", "direct", false, time.Now(), 10)}
	first, err := finalSnapshot(ctx, r, f.ec2, "us-east-1", vol)
	if err != nil {
		t.Fatal(err)
	}
	counting := &countingEC2{EC2API: f.ec2}
	second, err := finalSnapshot(ctx, r, counting, "us-east-1", vol)
	if err != nil {
		t.Fatal(err)
	}
	if first != second || counting.calls != 0 {
		t.Errorf("second attempt: %s (first %s), %d calls", second, first, counting.calls)
	}
	if got := f.finals(vol); len(got) != 1 || got[0] != first {
		t.Errorf("final snapshots of %s: %v, want [%s]", vol, got, first)
	}
}

// When the final snapshots cannot be listed, no volume is deleted: without
// the listing a re-delivered run could not know whether one exists.
func TestFinalSnapshotListingFailsNothingDeleted(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC().Add(40 * day)
	due := map[string]string{tags.CleanupAction: "delete", tags.CleanupDue: now.Add(-day).Format(time.RFC3339)}
	vols := []string{f.volume(due), f.volume(due)}
	j := f.job(volumesOnly, nil)
	clients := j.Clients
	j.Clients = func(region string) Clients {
		c := clients(region)
		c.EC2 = &countingEC2{EC2API: c.EC2, failSnapshots: errors.New("listing refused")}
		return c
	}
	rep := f.run(j, now, "")
	if rep.Count("delete", report.Failed) != len(vols) || rep.APICalls["EC2.CreateSnapshot"]+rep.APICalls["EC2.DeleteVolume"] != 0 {
		t.Errorf("listing failed yet: %v, calls %v", rep.Counts, rep.APICalls)
	}
	for _, v := range vols {
		if !f.exists("volume", v) || len(f.finals(v)) != 0 {
			t.Errorf("%s: exists %v, final snapshots %v", v, f.exists("volume", v), f.finals(v))
		}
		if d := decisionFor(rep, v); !strings.Contains(d.Error, "find final snapshots") {
			t.Errorf("%s: error %q does not say what failed", v, d.Error)
		}
	}
}

// countingEC2 counts the calls that reach moto and can refuse DescribeSnapshots.
type countingEC2 struct {
	EC2API
	calls         int
	failSnapshots error
}

func (c *countingEC2) DescribeSnapshots(ctx context.Context, in *ec2.DescribeSnapshotsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error) {
	c.calls++
	if c.failSnapshots != nil {
		return nil, fmt.Errorf("describe snapshots: %w", c.failSnapshots)
	}
	return c.EC2API.DescribeSnapshots(ctx, in, opts...)
}

func (c *countingEC2) CreateSnapshot(ctx context.Context, in *ec2.CreateSnapshotInput, opts ...func(*ec2.Options)) (*ec2.CreateSnapshotOutput, error) {
	c.calls++
	return c.EC2API.CreateSnapshot(ctx, in, opts...)
}
