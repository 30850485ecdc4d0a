package inventory_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// backend is one of the two servers under the contract, with its ids
// known by Name tag (ids differ; names are the shared identity).
type backend struct {
	name    string
	ec2     *ec2.Client
	counter *awsclient.Counter
	ctx     context.Context
	snapIDs map[string]string // Name -> id
	volIDs  map[string]string
}

func newBackend(name string, cfg aws.Config) *backend {
	c := awsclient.NewCounter()
	return &backend{name: name, ec2: ec2client.New(cfg), counter: c, ctx: awsclient.WithCounter(context.Background(), c),
		snapIDs: map[string]string{}, volIDs: map[string]string{}}
}

func nameOf(list []ec2types.Tag) string { v, _ := tagValue(list, "Name"); return v }

func tagText(list []ec2types.Tag) string {
	var kv []string
	for _, t := range list {
		kv = append(kv, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

// snapshots is a paged DescribeSnapshots rendered by Name: what a job would
// see, independent of each backend's ids and clocks.
func (b *backend) snapshots(t *testing.T, filters []ec2types.Filter) map[string]string {
	t.Helper()
	out := map[string]string{}
	volName := map[string]string{}
	for n, id := range b.volIDs {
		volName[id] = n
	}
	p := ec2.NewDescribeSnapshotsPaginator(b.ec2, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, Filters: filters, MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(b.ctx)
		if err != nil {
			t.Fatalf("%s: describe snapshots: %v", b.name, err)
		}
		for _, s := range page.Snapshots {
			if nameOf(s.Tags) == "" && strings.HasPrefix(aws.ToString(s.Description), "Auto-created snapshot for AMI") {
				continue // moto's built-in AMIs come with snapshots "owned" by its default account
			}
			out[nameOf(s.Tags)] = fmt.Sprintf("vol=%s size=%d status=%s desc=%q tags=%s", volName[aws.ToString(s.VolumeId)],
				aws.ToInt32(s.VolumeSize), s.State, aws.ToString(s.Description), tagText(s.Tags))
		}
	}
	return out
}

func (b *backend) volumes(t *testing.T, filters []ec2types.Filter) map[string]string {
	t.Helper()
	out := map[string]string{}
	p := ec2.NewDescribeVolumesPaginator(b.ec2, &ec2.DescribeVolumesInput{Filters: filters, MaxResults: aws.Int32(500)})
	for p.HasMorePages() {
		page, err := p.NextPage(b.ctx)
		if err != nil {
			t.Fatalf("%s: describe volumes: %v", b.name, err)
		}
		for _, v := range page.Volumes {
			out[nameOf(v.Tags)] = fmt.Sprintf("size=%d state=%s az=%s attachments=%d tags=%s", aws.ToInt32(v.Size), v.State,
				aws.ToString(v.AvailabilityZone), len(v.Attachments), tagText(v.Tags))
		}
	}
	return out
}

// replicate copies the inventory's volumes and snapshots into moto through
// the SDK, tags and descriptions included.
func replicate(t *testing.T, from, to *backend) {
	t.Helper()
	vp := ec2.NewDescribeVolumesPaginator(from.ec2, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(500)})
	for vp.HasMorePages() {
		page, err := vp.NextPage(from.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Volumes {
			name := nameOf(v.Tags)
			from.volIDs[name] = aws.ToString(v.VolumeId)
			out, err := to.ec2.CreateVolume(to.ctx, &ec2.CreateVolumeInput{AvailabilityZone: v.AvailabilityZone, Size: v.Size, VolumeType: v.VolumeType,
				TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVolume, Tags: v.Tags}}})
			if err != nil {
				t.Fatalf("moto create volume: %v", err)
			}
			to.volIDs[name] = aws.ToString(out.VolumeId)
		}
	}
	sp := ec2.NewDescribeSnapshotsPaginator(from.ec2, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: aws.Int32(1000)})
	volName := map[string]string{}
	for n, id := range from.volIDs {
		volName[id] = n
	}
	for sp.HasMorePages() {
		page, err := sp.NextPage(from.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Snapshots {
			name := nameOf(s.Tags)
			from.snapIDs[name] = aws.ToString(s.SnapshotId)
			out, err := to.ec2.CreateSnapshot(to.ctx, &ec2.CreateSnapshotInput{VolumeId: aws.String(to.volIDs[volName[aws.ToString(s.VolumeId)]]),
				Description:       s.Description,
				TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSnapshot, Tags: s.Tags}}})
			if err != nil {
				t.Fatalf("moto create snapshot: %v", err)
			}
			to.snapIDs[name] = aws.ToString(out.SnapshotId)
		}
	}
}

func names(format string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf(format, i))
	}
	return out
}

func ids(m map[string]string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = m[n]
	}
	return out
}

// TestContractWithMoto runs the same SDK calls against moto and the
// inventory server over the same 200-snapshot estate and requires the same
// answers (names, tags, sizes, states), the same error codes and the same
// calls. moto is the reference for behaviour; the inventory server only
// adds speed.
func TestContractWithMoto(t *testing.T) {
	emulatortest.Moto(t)
	motoCfg := load(t, "us-east-1")
	srv, err := inventory.Start(inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	if err := srv.Seed(inventory.Spec{Snapshots: 200, Volumes: 20, Now: now}); err != nil {
		t.Fatal(err)
	}
	invCfg := motoCfg.Copy()
	invCfg.BaseEndpoint = aws.String(srv.URL)
	inv, moto := newBackend("inventory", invCfg), newBackend("moto", motoCfg)
	replicate(t, inv, moto)
	if len(moto.snapIDs) != 200 || len(moto.volIDs) != 20 {
		t.Fatalf("replicated %d snapshots, %d volumes; want 200, 20", len(moto.snapIDs), len(moto.volIDs))
	}

	f := func(name string, values ...string) ec2types.Filter {
		return ec2types.Filter{Name: aws.String(name), Values: values}
	}
	type query struct {
		name     string
		volumes  bool
		filters  func(b *backend) []ec2types.Filter
		wantSize int // -1: not checked
	}
	fixed := func(fs ...ec2types.Filter) func(*backend) []ec2types.Filter {
		return func(*backend) []ec2types.Filter { return fs }
	}
	queries := []query{
		{"all snapshots", false, fixed(), 200},
		{"managed with a policy", false, fixed(f("tag:"+tags.ManagedBy, tags.ManagedByValue), f("tag-key", tags.BackupPolicy)), 150},
		{"weekly", false, fixed(f("tag:"+tags.BackupPolicy, "weekly")), 25},
		{"protected", false, fixed(f("tag-key", tags.Protect)), 8},
		{"expired", false, fixed(f("tag-key", tags.ExpiresAt)), 20},
		{"completed", false, fixed(f("status", "completed")), 200},
		{"name wildcard", false, fixed(f("tag:Name", "bench-snap-00001*")), 10},
		{"one volume's", false, func(b *backend) []ec2types.Filter {
			return []ec2types.Filter{f("volume-id", b.volIDs["bench-vol-000003"])}
		}, 10},
		{"cleanup-due", false, fixed(f("tag-key", tags.CleanupDue)), -1},
		{"all volumes", true, fixed(), -1},
		{"volumes to back up", true, fixed(f("tag-key", tags.Backup)), 14},
		{"weekly volumes", true, fixed(f("tag:"+tags.Backup, "weekly")), 7},
		{"available volumes", true, fixed(f("status", "available")), -1},
	}
	compare := func(t *testing.T, phase string) {
		for _, q := range queries {
			t.Run(phase+"/"+q.name, func(t *testing.T) {
				var got [2]map[string]string
				for k, b := range []*backend{inv, moto} {
					if q.volumes {
						got[k] = b.volumes(t, q.filters(b))
					} else {
						got[k] = b.snapshots(t, q.filters(b))
					}
				}
				if !maps.Equal(got[0], got[1]) {
					for _, n := range slices.Sorted(maps.Keys(got[0])) {
						if got[0][n] != got[1][n] {
							t.Errorf("%s: inventory %q, moto %q", n, got[0][n], got[1][n])
						}
					}
					for n := range got[1] {
						if _, ok := got[0][n]; !ok {
							t.Errorf("%s: only moto has it: %q", n, got[1][n])
						}
					}
				}
				if q.wantSize >= 0 && len(got[0]) != q.wantSize && phase == "seeded" {
					t.Errorf("%d results, want %d", len(got[0]), q.wantSize)
				}
			})
		}
	}
	inv.counter, moto.counter = awsclient.NewCounter(), awsclient.NewCounter()
	inv.ctx, moto.ctx = awsclient.WithCounter(context.Background(), inv.counter), awsclient.WithCounter(context.Background(), moto.counter)
	compare(t, "seeded")
	if a, b := inv.counter.Calls(), moto.counter.Calls(); !maps.Equal(a, b) {
		t.Errorf("calls differ: inventory %v, moto %v", a, b)
	}

	// A page size above AWS's documented maximum is accepted by both. AWS
	// documents that it answers a page of the maximum (1 000 snapshots, 500
	// volumes); moto ignores MaxResults on these calls altogether and
	// answers everything in one page, so it cannot tell the page size: that
	// part is held to the documentation in TestAcceptsWhatAWSAccepts, not
	// to moto. Here the estate is below the maxima, so both answer it whole.
	t.Run("seeded/page sizes above the maximum", func(t *testing.T) {
		for _, b := range []*backend{inv, moto} {
			vols, err := b.ec2.DescribeVolumes(b.ctx, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(1000)})
			if err != nil || len(vols.Volumes) != 20 || vols.NextToken != nil {
				t.Errorf("%s: DescribeVolumes MaxResults 1000: %d volumes, %v", b.name, len(vols.Volumes), err)
			}
			snaps, err := b.ec2.DescribeSnapshots(b.ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: aws.Int32(2000),
				Filters: []ec2types.Filter{f("tag:Name", "bench-snap-*")}})
			if err != nil || len(snaps.Snapshots) != 200 || snaps.NextToken != nil {
				t.Errorf("%s: DescribeSnapshots MaxResults 2000: %d snapshots, %v", b.name, len(snaps.Snapshots), err)
			}
		}
	})

	// The same mutations on both, then the same questions again.
	for _, b := range []*backend{inv, moto} {
		due := []ec2types.Tag{{Key: aws.String(tags.CleanupDue), Value: aws.String("2026-12-01T00:00:00Z")}, {Key: aws.String(tags.CleanupAction), Value: aws.String("delete")}}
		if _, err := b.ec2.CreateTags(b.ctx, &ec2.CreateTagsInput{Resources: ids(b.snapIDs, names("bench-snap-%06d", 10, 20)), Tags: due}); err != nil {
			t.Fatalf("%s: create tags: %v", b.name, err)
		}
		if _, err := b.ec2.DeleteTags(b.ctx, &ec2.DeleteTagsInput{Resources: ids(b.snapIDs, names("bench-snap-%06d", 10, 13)),
			Tags: []ec2types.Tag{{Key: aws.String(tags.CleanupAction)}}}); err != nil {
			t.Fatalf("%s: delete tags: %v", b.name, err)
		}
		for _, id := range ids(b.snapIDs, names("bench-snap-%06d", 20, 24)) {
			if _, err := b.ec2.DeleteSnapshot(b.ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(id)}); err != nil {
				t.Fatalf("%s: delete snapshot: %v", b.name, err)
			}
		}
		if _, err := b.ec2.DeleteVolume(b.ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(b.volIDs["bench-vol-000019"])}); err != nil {
			t.Fatalf("%s: delete volume: %v", b.name, err)
		}
	}
	compare(t, "mutated")

	errCases := []struct {
		name string
		call func(b *backend) error
	}{
		{"describe a deleted snapshot", func(b *backend) error {
			_, err := b.ec2.DescribeSnapshots(b.ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{b.snapIDs["bench-snap-000020"]}})
			return err
		}},
		{"delete a deleted snapshot", func(b *backend) error {
			_, err := b.ec2.DeleteSnapshot(b.ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(b.snapIDs["bench-snap-000020"])})
			return err
		}},
		{"describe a deleted volume", func(b *backend) error {
			_, err := b.ec2.DescribeVolumes(b.ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{b.volIDs["bench-vol-000019"]}})
			return err
		}},
		{"delete a deleted volume", func(b *backend) error {
			_, err := b.ec2.DeleteVolume(b.ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(b.volIDs["bench-vol-000019"])})
			return err
		}},
		{"snapshot of a deleted volume", func(b *backend) error {
			_, err := b.ec2.CreateSnapshot(b.ctx, &ec2.CreateSnapshotInput{VolumeId: aws.String(b.volIDs["bench-vol-000019"])})
			return err
		}},
		{"dry-run delete", func(b *backend) error {
			_, err := b.ec2.DeleteSnapshot(b.ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(b.snapIDs["bench-snap-000030"]), DryRun: aws.Bool(true)})
			return err
		}},
	}
	for _, tt := range errCases {
		t.Run("error/"+tt.name, func(t *testing.T) {
			a, b := code(tt.call(inv)), code(tt.call(moto))
			if a != b || a == "" {
				t.Errorf("inventory %q, moto %q", a, b)
			}
		})
	}
}

func (b *backend) instances(t *testing.T, filters []ec2types.Filter) map[string]string {
	t.Helper()
	out := map[string]string{}
	p := ec2.NewDescribeInstancesPaginator(b.ec2, &ec2.DescribeInstancesInput{Filters: filters, MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(b.ctx)
		if err != nil {
			t.Fatalf("%s: describe instances: %v", b.name, err)
		}
		for _, r := range page.Reservations {
			for _, in := range r.Instances {
				out[nameOf(in.Tags)] = fmt.Sprintf("state=%s type=%s tags=%s", in.State.Name, in.InstanceType, tagText(in.Tags))
			}
		}
	}
	return out
}

// TestInstanceContractWithMoto does for instances what TestContractWithMoto
// does for snapshots: same estate, same calls, same answers and codes.
func TestInstanceContractWithMoto(t *testing.T) {
	emulatortest.Moto(t)
	motoCfg := load(t, "us-east-1")
	srv, err := inventory.Start(inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	// 12 instances of the estate and 3 on the office-hours schedule (t3.micro).
	if err := srv.Seed(inventory.Spec{Instances: 12, Volumes: 12, Scheduled: 3, Now: now}); err != nil {
		t.Fatal(err)
	}
	invCfg := motoCfg.Copy()
	invCfg.BaseEndpoint = aws.String(srv.URL)
	inv, moto := newBackend("inventory", invCfg), newBackend("moto", motoCfg)
	instIDs := [2]map[string]string{{}, {}}

	// Replicate: same tags, same termination protection, same states.
	p := ec2.NewDescribeInstancesPaginator(inv.ec2, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(inv.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Reservations {
			in := r.Instances[0]
			name := nameOf(in.Tags)
			instIDs[0][name] = aws.ToString(in.InstanceId)
			attr, err := inv.ec2.DescribeInstanceAttribute(inv.ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: in.InstanceId, Attribute: ec2types.InstanceAttributeNameDisableApiTermination})
			if err != nil {
				t.Fatal(err)
			}
			out, err := moto.ec2.RunInstances(moto.ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), InstanceType: in.InstanceType,
				MinCount: aws.Int32(1), MaxCount: aws.Int32(1), DisableApiTermination: attr.DisableApiTermination.Value,
				TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: in.Tags}}})
			if err != nil {
				t.Fatalf("moto run instances: %v", err)
			}
			id := aws.ToString(out.Instances[0].InstanceId)
			instIDs[1][name] = id
			if in.State.Name == ec2types.InstanceStateNameStopped {
				if _, err := moto.ec2.StopInstances(moto.ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if len(instIDs[1]) != 15 {
		t.Fatalf("replicated %d instances, want 15", len(instIDs[1]))
	}
	f := func(name string, values ...string) ec2types.Filter {
		return ec2types.Filter{Name: aws.String(name), Values: values}
	}
	queries := []struct {
		name    string
		filters []ec2types.Filter
	}{
		{"to back up, not terminated", []ec2types.Filter{f("tag-key", tags.Backup), f("instance-state-name", "pending", "running", "stopping", "stopped")}},
		{"stopped", []ec2types.Filter{f("instance-state-name", "stopped")}},
		{"protected by tag", []ec2types.Filter{f("tag:"+tags.Protect, "true")}},
		{"expiring", []ec2types.Filter{f("tag-key", tags.ExpiresAt)}},
		{"by name wildcard", []ec2types.Filter{f("tag:Name", "bench-i-00000?")}},
		// The scheduler's listing (shared/scheduler, plan).
		{"scheduled, not terminated", []ec2types.Filter{f("tag-key", tags.Schedule), f("instance-state-name", "pending", "running", "stopping", "stopped")}},
		{"t3.micro", []ec2types.Filter{f("instance-type", "t3.micro")}},
	}
	compare := func(t *testing.T, phase string) {
		for _, q := range queries {
			t.Run(phase+"/"+q.name, func(t *testing.T) {
				a, b := inv.instances(t, q.filters), moto.instances(t, q.filters)
				if !maps.Equal(a, b) || len(a) == 0 {
					t.Errorf("inventory %v\nmoto %v", a, b)
				}
			})
		}
	}
	compare(t, "seeded")
	// The state changes answer the same transitions on both: a running
	// instance stopped is stopping (from running), a stopped one started is
	// pending (from stopped). (Stopping a stopped or starting a running
	// instance is not compared: AWS answers stopped/stopped and
	// running/running, as the inventory server does; moto answers stopping
	// and pending whatever the state.)
	var changes [2]string
	for k, b := range []*backend{inv, moto} {
		if _, err := b.ec2.TerminateInstances(b.ctx, &ec2.TerminateInstancesInput{InstanceIds: ids(instIDs[k], names("bench-i-%06d", 1, 4))}); err != nil {
			t.Fatalf("%s: terminate: %v", b.name, err)
		}
		name := map[string]string{}
		for n, id := range instIDs[k] {
			name[id] = n
		}
		stop, err := b.ec2.StopInstances(b.ctx, &ec2.StopInstancesInput{InstanceIds: append(ids(instIDs[k], names("bench-i-%06d", 4, 6)), ids(instIDs[k], names("bench-sched-%06d", 0, 3))...)})
		if err != nil {
			t.Fatalf("%s: stop: %v", b.name, err)
		}
		for _, c := range stop.StoppingInstances {
			changes[k] += fmt.Sprintf("stop %s: %s→%s; ", name[aws.ToString(c.InstanceId)], c.PreviousState.Name, c.CurrentState.Name)
		}
		// bench-i-000007 was seeded stopped, bench-sched-000001 was just stopped.
		start, err := b.ec2.StartInstances(b.ctx, &ec2.StartInstancesInput{InstanceIds: ids(instIDs[k], []string{"bench-i-000007", "bench-sched-000001"})})
		if err != nil {
			t.Fatalf("%s: start: %v", b.name, err)
		}
		for _, c := range start.StartingInstances {
			changes[k] += fmt.Sprintf("start %s: %s→%s (code %d); ", name[aws.ToString(c.InstanceId)], c.PreviousState.Name, c.CurrentState.Name, aws.ToInt32(c.CurrentState.Code))
		}
	}
	if changes[0] != changes[1] || !strings.Contains(changes[0], "start bench-sched-000001: stopped→pending (code 0)") {
		t.Errorf("state changes differ:\ninventory %s\nmoto      %s", changes[0], changes[1])
	}
	queries = append(queries, struct {
		name    string
		filters []ec2types.Filter
	}{"terminated", []ec2types.Filter{f("instance-state-name", "terminated")}})
	compare(t, "changed")
	// moto does not enforce DisableApiTermination; AWS answers
	// OperationNotPermitted, and so does the inventory server.
	if got := code(errFrom(inv.ec2.TerminateInstances(inv.ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{instIDs[0]["bench-i-000000"]}}))); got != "OperationNotPermitted" {
		t.Errorf("terminate a protected instance: %q, want OperationNotPermitted", got)
	}
	// moto starts a terminated instance again; AWS answers
	// IncorrectInstanceState, and so does the inventory server.
	if got := code(errFrom(inv.ec2.StartInstances(inv.ctx, &ec2.StartInstancesInput{InstanceIds: []string{instIDs[0]["bench-i-000001"]}}))); got != "IncorrectInstanceState" {
		t.Errorf("start a terminated instance: %q, want IncorrectInstanceState", got)
	}
	errCases := []struct {
		name string
		call func(b *backend, ids map[string]string) error
	}{
		{"terminate an unknown instance", func(b *backend, _ map[string]string) error {
			_, err := b.ec2.TerminateInstances(b.ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
			return err
		}},
		{"describe an unknown instance", func(b *backend, _ map[string]string) error {
			_, err := b.ec2.DescribeInstances(b.ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
			return err
		}},
		{"dry-run stop", func(b *backend, ids map[string]string) error {
			_, err := b.ec2.StopInstances(b.ctx, &ec2.StopInstancesInput{InstanceIds: []string{ids["bench-i-000006"]}, DryRun: aws.Bool(true)})
			return err
		}},
		{"dry-run start", func(b *backend, ids map[string]string) error {
			_, err := b.ec2.StartInstances(b.ctx, &ec2.StartInstancesInput{InstanceIds: []string{ids["bench-i-000011"]}, DryRun: aws.Bool(true)})
			return err
		}},
		{"start an unknown instance", func(b *backend, _ map[string]string) error {
			_, err := b.ec2.StartInstances(b.ctx, &ec2.StartInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
			return err
		}},
	}
	for _, tt := range errCases {
		t.Run("error/"+tt.name, func(t *testing.T) {
			a, b := code(tt.call(inv, instIDs[0])), code(tt.call(moto, instIDs[1]))
			if a != b || a == "" {
				t.Errorf("inventory %q, moto %q", a, b)
			}
		})
	}
}

// TestS3ContractWithMoto: the bucket and object calls the jobs make, against
// the same small estate on both servers.
func TestS3ContractWithMoto(t *testing.T) {
	emulatortest.Moto(t)
	motoCfg := load(t, "us-east-1")
	srv, err := inventory.Start(inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	if err := srv.Seed(inventory.Spec{Buckets: 3, Objects: 30, Now: now}); err != nil {
		t.Fatal(err)
	}
	invCfg := motoCfg.Copy()
	invCfg.BaseEndpoint = aws.String(srv.URL)
	clients := []*s3.Client{s3client.New(invCfg), s3client.New(motoCfg)}
	ctx := context.Background()
	inv, moto := clients[0], clients[1]

	// Replicate buckets, tags, versioning and objects into moto.
	lb, err := inv.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, bk := range lb.Buckets {
		if _, err := moto.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bk.Name}); err != nil {
			t.Fatal(err)
		}
		tg, err := inv.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bk.Name})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := moto.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: bk.Name, Tagging: &s3types.Tagging{TagSet: tg.TagSet}}); err != nil {
			t.Fatal(err)
		}
		if v, err := inv.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: bk.Name}); err != nil {
			t.Fatal(err)
		} else if v.Status != "" {
			if _, err := moto.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: bk.Name, VersioningConfiguration: &s3types.VersioningConfiguration{Status: v.Status}}); err != nil {
				t.Fatal(err)
			}
		}
		p := s3.NewListObjectsV2Paginator(inv, &s3.ListObjectsV2Input{Bucket: bk.Name})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page.Contents {
				if _, err := moto.PutObject(ctx, &s3.PutObjectInput{Bucket: bk.Name, Key: o.Key, Body: bytes.NewReader(make([]byte, aws.ToInt64(o.Size)))}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}

	bucket := aws.String("bench-bucket-0000")
	type answer func(c *s3.Client) string
	listing := func(prefix string, max int32) answer {
		return func(c *s3.Client) string {
			var keys []string
			pages := 0
			p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: bucket, Prefix: aws.String(prefix), MaxKeys: aws.Int32(max)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return "error " + code(err)
				}
				pages++
				for _, o := range page.Contents {
					keys = append(keys, fmt.Sprintf("%s:%d", aws.ToString(o.Key), aws.ToInt64(o.Size)))
				}
			}
			return fmt.Sprintf("pages=%d keys=%v", pages, keys)
		}
	}
	cases := []struct {
		name string
		ask  answer
	}{
		{"buckets", func(c *s3.Client) string {
			out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
			if err != nil {
				return "error " + code(err)
			}
			var n []string
			for _, b := range out.Buckets {
				n = append(n, aws.ToString(b.Name))
			}
			return strings.Join(n, ",")
		}},
		{"objects in pages of 7", listing("", 7)},
		{"objects by prefix", listing("obj/0000001", 1000)},
		{"tags", func(c *s3.Client) string {
			out, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bucket})
			if err != nil {
				return "error " + code(err)
			}
			var kv []string
			for _, t := range out.TagSet {
				kv = append(kv, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
			}
			sort.Strings(kv)
			return strings.Join(kv, ",")
		}},
		{"versioning", func(c *s3.Client) string {
			out, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("bench-bucket-0001")})
			if err != nil {
				return "error " + code(err)
			}
			return string(out.Status)
		}},
		{"lifecycle not set", func(c *s3.Client) string {
			_, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: bucket})
			return code(err)
		}},
		{"public access block not set", func(c *s3.Client) string {
			_, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: bucket})
			return code(err)
		}},
		{"no such bucket", func(c *s3.Client) string {
			_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bench-nope")})
			return code(err)
		}},
		{"multipart uploads", func(c *s3.Client) string {
			out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bucket})
			if err != nil {
				return "error " + code(err)
			}
			return fmt.Sprint(len(out.Uploads))
		}},
		{"delete 5 then list", func(c *s3.Client) string {
			var objs []s3types.ObjectIdentifier
			for i := range 5 {
				objs = append(objs, s3types.ObjectIdentifier{Key: aws.String(fmt.Sprintf("obj/%08d", i*3))})
			}
			out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: bucket, Delete: &s3types.Delete{Objects: objs}})
			if err != nil {
				return "error " + code(err)
			}
			return fmt.Sprintf("deleted=%d %s", len(out.Deleted), listing("", 1000)(c))
		}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			if a, b := tt.ask(inv), tt.ask(moto); a != b {
				t.Errorf("inventory %q\nmoto      %q", a, b)
			}
		})
	}
}
