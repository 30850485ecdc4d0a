package cleanup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Policy documents of the volume tests: volumes by state (or in every
// state) and orphan snapshots, alone or together.
const (
	availableVolumes = `
  - name: unattached-volumes
    resource: ec2:volume
    action: delete
    filters: [{state: available}, {age: 14d}]
`
	anyVolume = `
  - name: old-volumes
    resource: ec2:volume
    action: delete
    finalSnapshot: false
    filters: [{age: 14d}]
`
	orphanSnapshots = `
  - name: orphan-snapshots
    resource: ec2:snapshot
    action: delete
    filters: [{volumeGone: true}, {age: 30d}, {tag: fixture, present: true}]
`
)

func policies(parts ...string) string { return "policies:" + strings.Join(parts, "") }

// volumeIn creates a volume in region with tags tg.
func (f *fixture) volumeIn(region string, tg map[string]string) string {
	f.t.Helper()
	in := &ec2.CreateVolumeInput{AvailabilityZone: aws.String(region + "a"), Size: aws.Int32(1)}
	if len(tg) > 0 {
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeVolume, Tags: ec2Tags(tg)}}
	}
	out, err := f.ec2In(region).CreateVolume(context.Background(), in)
	if err != nil {
		f.t.Fatal(err)
	}
	return aws.ToString(out.VolumeId)
}

// snapshotIn takes a snapshot of vol in region, with the tag the orphan
// policy of these tests looks for.
func (f *fixture) snapshotIn(region, vol string) string {
	f.t.Helper()
	out, err := f.ec2In(region).CreateSnapshot(context.Background(), &ec2.CreateSnapshotInput{
		VolumeId:          aws.String(vol),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSnapshot, Tags: ec2Tags(map[string]string{"fixture": "yes"})}},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return aws.ToString(out.SnapshotId)
}

// attach attaches vol to a new running instance: the volume is in-use.
func (f *fixture) attach(vol string) {
	f.t.Helper()
	inst := f.instance("running", nil, nil)
	_, err := f.ec2.AttachVolume(context.Background(), &ec2.AttachVolumeInput{VolumeId: aws.String(vol), InstanceId: aws.String(inst), Device: aws.String("/dev/sdf")})
	if err != nil {
		f.t.Fatal(err)
	}
}

// marked says whether resource id in region carries the cleanup action tag.
func (f *fixture) marked(region, id string) bool {
	f.t.Helper()
	out, err := f.ec2In(region).DescribeTags(context.Background(), &ec2.DescribeTagsInput{Filters: []types.Filter{
		filter("resource-id", id), filter("key", tags.CleanupAction),
	}})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(out.Tags) > 0
}

// volumeCalls counts DescribeVolumes calls and can refuse the first ones.
type volumeCalls struct {
	EC2API
	mu     sync.Mutex
	calls  int
	refuse int // calls refused before the rest pass
}

func (v *volumeCalls) DescribeVolumes(ctx context.Context, in *ec2.DescribeVolumesInput, opts ...func(*ec2.Options)) (*ec2.DescribeVolumesOutput, error) {
	v.mu.Lock()
	v.calls++
	refused := v.calls <= v.refuse
	v.mu.Unlock()
	if refused {
		return nil, errors.New("volumes refused")
	}
	return v.EC2API.DescribeVolumes(ctx, in, opts...)
}

// The volume policies see the volumes the filtered queries of each state
// returned (the matched states; the others only when marked), and the
// orphan check sees the volumes that exist after this run's deletes: from
// one DescribeVolumes listing per run, whichever policies run.
func TestVolumesListedOnce(t *testing.T) {
	// The estate: volumes in each state with and without marks (due, so a
	// matching one is acted on), and old snapshots of an unmarked volume,
	// of a volume this run deletes, and of a volume deleted before.
	const (
		avail        = "available"
		availMarked  = "available, marked"
		inUse        = "in-use"
		inUseMarked  = "in-use, marked"
		snapOfAvail  = "snapshot of the available volume"
		snapOfMarked = "snapshot of the marked available volume"
		snapOrphan   = "snapshot of a deleted volume"
	)
	cases := []struct {
		name   string
		doc    string
		dryRun bool
		want   map[string]string // estate name -> "action outcome"; none: no decision
	}{
		{name: "by state, dry run: the matched state is planned, another state only to unmark; snapshots of volumes the run would delete are not orphans",
			doc: policies(availableVolumes, orphanSnapshots), dryRun: true,
			want: map[string]string{avail: "mark planned", availMarked: "delete planned", inUseMarked: "unmark planned", snapOrphan: "mark planned"}},
		{name: "by state, live: the snapshots of a volume the run deleted are orphans in the same run",
			doc:  policies(availableVolumes, orphanSnapshots),
			want: map[string]string{avail: "mark done", availMarked: "delete done", inUseMarked: "unmark done", snapOfMarked: "mark done", snapOrphan: "mark done"}},
		{name: "no state filter: every state is planned",
			doc: policies(anyVolume), dryRun: true,
			want: map[string]string{avail: "mark planned", availMarked: "delete planned", inUse: "mark planned", inUseMarked: "delete planned"}},
		{name: "volumes only: the same plan without an orphan check",
			doc: policies(availableVolumes), dryRun: true,
			want: map[string]string{avail: "mark planned", availMarked: "delete planned", inUseMarked: "unmark planned"}},
		{name: "orphan snapshots only: one listing of the volumes serves the check",
			doc: policies(orphanSnapshots), dryRun: true,
			want: map[string]string{snapOrphan: "mark planned"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			now := time.Now().UTC().Add(40 * day)
			marks := map[string]string{tags.CleanupAction: "delete", tags.CleanupDue: now.Add(-day).Format(time.RFC3339)}
			ids := map[string]string{
				avail: f.volume(nil), availMarked: f.volume(marks), inUse: f.volume(nil), inUseMarked: f.volume(marks),
			}
			f.attach(ids[inUse])
			f.attach(ids[inUseMarked])
			ids[snapOfAvail] = f.snapshotIn("us-east-1", ids[avail])
			ids[snapOfMarked] = f.snapshotIn("us-east-1", ids[availMarked])
			ids[snapOrphan] = f.orphanSnapshot(nil, "old")

			env := map[string]string{"COMMANDER_BREAKER_MAX_PERCENT": "100"}
			if c.dryRun {
				env["COMMANDER_DRY_RUN"] = "true"
			}
			rep := f.run(f.job(c.doc, env), now, "")
			if rep.Status != report.StatusOK {
				t.Fatalf("run: %s %s %v", rep.Status, rep.Reason, rep.Errors)
			}
			for name, id := range ids {
				d := decisionFor(rep, id)
				got := strings.TrimSpace(d.Action + " " + d.Outcome)
				if got != c.want[name] {
					t.Errorf("%s (%s): %q, want %q (%s)", name, id, got, c.want[name], d.Reason)
				}
				// What was done shows in AWS: marks set, or removed.
				wantMark := got == "mark done" || (name == availMarked || name == inUseMarked) && got != "unmark done"
				if action := f.tags(id)[tags.CleanupAction]; got != "delete done" && (action != "") != wantMark {
					t.Errorf("%s (%s): %q, yet its cleanup action tag is %q", name, id, got, action)
				}
			}
			if n := rep.APICalls["EC2.DescribeVolumes"]; n != 1 {
				t.Errorf("DescribeVolumes calls %d, want 1", n)
			}
			if !c.dryRun && f.exists("volume", ids[availMarked]) {
				t.Errorf("the marked available volume was not deleted")
			}
		})
	}
}

// The volumes a listing yields are those the two filtered queries it
// replaces return: every volume in a state a policy matches, and the
// marked ones in the other states.
func TestListVolumesYieldsFilteredSet(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	mark := map[string]string{tags.CleanupAction: "delete"}
	for i, tg := range []map[string]string{nil, mark, nil, mark, {"other": "x"}} {
		v := f.volume(tg)
		if i >= 2 {
			f.attach(v)
		}
	}
	// A filtered query of the volumes, as the listing made them before.
	query := func(filters ...types.Filter) []string {
		out, err := f.ec2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: filters})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, v := range out.Volumes {
			ids = append(ids, aws.ToString(v.VolumeId))
		}
		return ids
	}
	cases := []struct {
		name string
		doc  string
		want []string
	}{
		{"a state filter: that state, and the others marked", policies(availableVolumes),
			slices.Concat(query(filter("status", "available")), query(filter("status", "creating", "in-use", "error"), filter("tag-key", tags.CleanupAction)))},
		{"no state filter: every live state", policies(anyVolume), query(filter("status", volumeStates...))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := f.job(c.doc, nil)
			r := &run{job: j}
			var got []string
			err := listVolumes(ctx, r, Clients{EC2: f.ec2}, "us-east-1", j.Policies.ForType(policy.EC2Volume), func(res plan.Resource) {
				got = append(got, res.ID)
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			slices.Sort(c.want)
			if len(c.want) == 0 || !slices.Equal(got, c.want) {
				t.Errorf("listed %v, want %v", got, c.want)
			}
		})
	}
}

// Each region keeps its own volume ids (regions run at once): a volume
// deleted in one region orphans its snapshots there and nowhere else; a
// follow-up that resumes at the snapshots lists the volumes itself; and a
// volume listing that fails leaves no partial set: the snapshot listing
// lists the volumes again rather than take the snapshots of unlisted
// volumes for orphans.
func TestVolumeIDsPerRegionAndRun(t *testing.T) {
	regions := []string{"us-east-1", "eu-west-1"}
	cases := []struct {
		name      string
		extra     string // request fields
		refuse    int    // DescribeVolumes calls refused per region
		wantCalls int    // DescribeVolumes calls per region
		// whether the snapshot of the volume the run deletes is an orphan:
		// not when the volume policy did not run.
		wantDeleted bool
	}{
		{name: "a full run: one listing per region", wantCalls: 1, wantDeleted: true},
		{name: "a follow-up resuming at the snapshots lists the volumes", wantCalls: 1,
			extra: `,"resume":{"hop":1,"regions":[{"region":"us-east-1","type":"ec2:snapshot"},{"region":"eu-west-1","type":"ec2:snapshot"}]}`},
		{name: "the volume listing fails: the snapshot listing lists them again", refuse: 1, wantCalls: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			now := time.Now().UTC().Add(40 * day)
			marks := map[string]string{tags.CleanupAction: "delete", tags.CleanupDue: now.Add(-day).Format(time.RFC3339)}
			type estate struct{ deleted, kept, ofDeleted, ofKept, orphan string }
			in := map[string]estate{}
			for _, region := range regions {
				var e estate
				e.deleted, e.kept = f.volumeIn(region, marks), f.volumeIn(region, map[string]string{"keep": "yes"})
				e.ofDeleted, e.ofKept = f.snapshotIn(region, e.deleted), f.snapshotIn(region, e.kept)
				gone := f.volumeIn(region, nil)
				e.orphan = f.snapshotIn(region, gone)
				if _, err := f.ec2In(region).DeleteVolume(context.Background(), &ec2.DeleteVolumeInput{VolumeId: aws.String(gone)}); err != nil {
					t.Fatal(err)
				}
				in[region] = e
			}
			doc := policies(strings.Replace(availableVolumes, "filters:", "exclude: [{tag: keep, present: true}]\n    filters:", 1), orphanSnapshots)
			counters := map[string]*volumeCalls{}
			j := f.regionalJob(doc, regions, map[string]string{"COMMANDER_BREAKER_MAX_PERCENT": "100"}, func(region string, cl Clients) Clients {
				v := &volumeCalls{EC2API: cl.EC2, refuse: c.refuse}
				counters[region] = v
				cl.EC2 = v
				return cl
			})
			rep, err := j.Handle(context.Background(), json.RawMessage(fmt.Sprintf(`{"now":%q%s}`, now.Format(time.RFC3339), c.extra)))
			if c.refuse == 0 && (err != nil || rep.Status != report.StatusOK) {
				t.Fatalf("run: %v %+v", err, rep)
			}
			for _, region := range regions {
				e := in[region]
				if n := counters[region].calls; n != c.wantCalls {
					t.Errorf("%s: DescribeVolumes calls %d, want %d", region, n, c.wantCalls)
				}
				want := map[string]string{e.ofDeleted: "", e.ofKept: "", e.orphan: "mark done"}
				if c.wantDeleted {
					want[e.ofDeleted] = "mark done"
				}
				for id, w := range want {
					d := decisionFor(rep, id)
					if got := strings.TrimSpace(d.Action + " " + d.Outcome); got != w {
						t.Errorf("%s: snapshot %s: %q, want %q (%s)", region, id, got, w, d.Reason)
					}
				}
				if f.marked(region, e.ofKept) || !f.marked(region, e.orphan) {
					t.Errorf("%s: marked: the snapshot of a volume that exists %v, the orphan %v", region, f.marked(region, e.ofKept), f.marked(region, e.orphan))
				}
			}
		})
	}
}
