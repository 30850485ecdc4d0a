package inventory_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func filter(name string, values ...string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String(name), Values: values}
}

// TestPendingSnapshotsProgressThenComplete: with Options.Pending a new
// snapshot stays pending, its progress growing with the time its volume's
// size takes at the given rate, then completes; filters see the state and
// progress of the moment.
func TestPendingSnapshotsProgressThenComplete(t *testing.T) {
	clock := inventory.NewFakeClock(now)
	pending := &inventory.PendingSnapshots{Base: 10 * time.Second, GiBPerSecond: 1} // an 8 GiB volume: 18 s
	_, c, _, ctx, _ := startWith(t, inventory.Options{Clock: clock, Pending: pending}, inventory.Spec{Volumes: 4})
	vols, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{filter("size", "8")}})
	if err != nil || len(vols.Volumes) != 1 {
		t.Fatalf("the 8 GiB volume: %v %v", vols, err)
	}
	out, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: vols.Volumes[0].VolumeId})
	if err != nil || out.State != ec2types.SnapshotStatePending {
		t.Fatalf("create: %v %v", out, err)
	}
	id := aws.ToString(out.SnapshotId)
	count := func(fs ...ec2types.Filter) int {
		d, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{Filters: append(fs, filter("snapshot-id", id)), MaxResults: aws.Int32(5)})
		if err != nil {
			t.Fatal(err)
		}
		return len(d.Snapshots)
	}
	steps := []struct {
		advance  time.Duration
		state    ec2types.SnapshotState
		progress string
	}{
		{0, ec2types.SnapshotStatePending, "0%"},
		{9 * time.Second, ec2types.SnapshotStatePending, "50%"},
		{8*time.Second + 900*time.Millisecond, ec2types.SnapshotStatePending, "99%"},
		{100 * time.Millisecond, ec2types.SnapshotStateCompleted, "100%"},
		{time.Hour, ec2types.SnapshotStateCompleted, "100%"},
	}
	for k, st := range steps {
		clock.Advance(st.advance)
		d, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{id}})
		if err != nil || len(d.Snapshots) != 1 {
			t.Fatalf("step %d: %v %v", k+1, d, err)
		}
		s := d.Snapshots[0]
		if s.State != st.state || aws.ToString(s.Progress) != st.progress {
			t.Errorf("step %d: %s %s, want %s %s", k+1, s.State, aws.ToString(s.Progress), st.state, st.progress)
		}
		if n := count(filter("status", string(st.state))); n != 1 {
			t.Errorf("step %d: status=%s filter finds %d", k+1, st.state, n)
		}
		if n := count(filter("progress", st.progress)); n != 1 {
			t.Errorf("step %d: progress=%s filter finds %d", k+1, st.progress, n)
		}
	}
}

// TestPendingSnapshotsPerVolumeLimits: five snapshots of a volume may be
// in progress (one of an st1 volume); the next CreateSnapshot is refused
// with ConcurrentSnapshotLimitExceeded, an HTTP 400 the SDK does not
// retry, until one completes (deleting a pending one does not free its
// place, as AWS documents). While one is in progress, the next must wait
// 15 s (SnapshotCreationPerVolumeRateExceeded). CreateSnapshots is refused
// whole when any of its volumes is at its limit.
func TestPendingSnapshotsPerVolumeLimits(t *testing.T) {
	const (
		concurrent = "ConcurrentSnapshotLimitExceeded"
		rate       = "SnapshotCreationPerVolumeRateExceeded"
	)
	setup := func(t *testing.T, p *inventory.PendingSnapshots) (*inventory.FakeClock, *inventory.Server, *ec2.Client, *ec2.Client, context.Context, *awsclient.Counter) {
		clock := inventory.NewFakeClock(now)
		srv, c, _, ctx, counter := startWith(t, inventory.Options{Clock: clock, Pending: p}, inventory.Spec{Volumes: 6, Instances: 2, HDDVolumes: 1})
		// A client that would retry, at once, what the SDK deems retryable.
		retrying := ec2.NewFromConfig(load(t, inventory.DefaultRegion), func(o *ec2.Options) {
			o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = 3
				so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		})
		return clock, srv, c, retrying, ctx, counter
	}
	volume := func(t *testing.T, c *ec2.Client, ctx context.Context, fs ...ec2types.Filter) string {
		out, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: fs})
		if err != nil || len(out.Volumes) == 0 {
			t.Fatalf("volume %v: %v", fs, err)
		}
		return aws.ToString(out.Volumes[0].VolumeId)
	}
	create := func(c *ec2.Client, ctx context.Context, v string) (string, error) {
		out, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: aws.String(v)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.SnapshotId), nil
	}

	for _, tt := range []struct {
		name   string
		filter []ec2types.Filter
		limit  int
	}{
		{"in progress, gp3", []ec2types.Filter{filter("volume-type", "gp3"), filter("status", "available")}, 5},
		{"in progress, st1", []ec2types.Filter{filter("volume-type", "st1")}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock, srv, c, retrying, ctx, counter := setup(t, &inventory.PendingSnapshots{Base: time.Minute, Interval: -1})
			vol := volume(t, c, ctx, tt.filter...)
			var made []string
			for k := range tt.limit {
				id, err := create(c, ctx, vol)
				if err != nil {
					t.Fatalf("snapshot %d: %v", k+1, err)
				}
				made = append(made, id)
			}
			srv.Reset()
			retries := counter.Retries()
			_, err := create(retrying, ctx, vol)
			if code(err) != concurrent {
				t.Fatalf("snapshot %d: %v, want %s", tt.limit+1, err, concurrent)
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
				t.Errorf("want HTTP 400: %v", err)
			}
			if got := srv.Calls()["EC2.CreateSnapshot"]; got != 1 || counter.Retries() != retries || retry.NewStandard().IsErrorRetryable(err) {
				t.Errorf("%d calls, %d retries: the SDK retried it", got, counter.Retries()-retries)
			}
			// A pending snapshot deleted still counts until it completes.
			if _, err := c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(made[0])}); err != nil {
				t.Fatal(err)
			}
			if _, err := create(c, ctx, vol); code(err) != concurrent {
				t.Errorf("after deleting a pending one: %v, want %s", err, concurrent)
			}
			clock.Advance(59 * time.Second)
			if _, err := create(c, ctx, vol); code(err) != concurrent {
				t.Errorf("a second before they complete: %v, want %s", err, concurrent)
			}
			clock.Advance(time.Second)
			if _, err := create(c, ctx, vol); err != nil {
				t.Errorf("once they completed: %v", err)
			}
		})
	}

	t.Run("15 s between snapshots in progress", func(t *testing.T) {
		clock, _, c, _, ctx, _ := setup(t, &inventory.PendingSnapshots{Base: time.Minute})
		vol := volume(t, c, ctx, filter("volume-type", "gp3"), filter("status", "available"))
		other := volume(t, c, ctx, filter("volume-type", "gp3"), filter("status", "in-use"))
		steps := []struct {
			advance time.Duration
			vol     string
			want    string
		}{
			{0, vol, ""},
			{0, vol, rate},
			{14 * time.Second, vol, rate},
			{0, other, ""}, // per volume
			{time.Second, vol, ""},
			{time.Minute, vol, ""}, // the earlier ones completed: no wait
			{0, vol, rate},         // but this one is in progress
		}
		for k, st := range steps {
			clock.Advance(st.advance)
			if _, err := create(c, ctx, st.vol); code(err) != st.want {
				t.Errorf("step %d: %v, want %q", k+1, err, st.want)
			}
		}
	})

	t.Run("CreateSnapshots", func(t *testing.T) {
		_, _, c, _, ctx, _ := setup(t, &inventory.PendingSnapshots{Base: time.Minute, Interval: -1})
		insts, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
		if err != nil {
			t.Fatal(err)
		}
		inst := insts.Reservations[0].Instances[0]
		root := aws.ToString(inst.BlockDeviceMappings[0].Ebs.VolumeId)
		spec := &ec2types.InstanceSpecification{InstanceId: inst.InstanceId}
		for k := range 4 {
			if _, err := create(c, ctx, root); err != nil {
				t.Fatalf("root snapshot %d: %v", k+1, err)
			}
		}
		out, err := c.CreateSnapshots(ctx, &ec2.CreateSnapshotsInput{InstanceSpecification: spec}) // root's fifth, data volume's first
		if err != nil || len(out.Snapshots) != 2 {
			t.Fatalf("CreateSnapshots: %v %v", out, err)
		}
		before, _ := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{})
		if _, err := c.CreateSnapshots(ctx, &ec2.CreateSnapshotsInput{InstanceSpecification: spec}); code(err) != concurrent {
			t.Errorf("with the root at its limit: %v, want %s", err, concurrent)
		}
		after, _ := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{})
		if len(after.Snapshots) != len(before.Snapshots) {
			t.Errorf("%d snapshots after, want %d: a refused call makes none", len(after.Snapshots), len(before.Snapshots))
		}
		if _, err := c.CreateSnapshots(ctx, &ec2.CreateSnapshotsInput{InstanceSpecification: &ec2types.InstanceSpecification{
			InstanceId: inst.InstanceId, ExcludeBootVolume: aws.Bool(true)}}); err != nil {
			t.Errorf("without the root volume: %v", err)
		}
	})

	t.Run("off by default", func(t *testing.T) {
		_, c, _, ctx, _ := start(t, inventory.Spec{Volumes: 2})
		vols, _ := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{})
		for k := range 8 {
			if _, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: vols.Volumes[0].VolumeId}); err != nil {
				t.Fatalf("snapshot %d: %v", k+1, err)
			}
		}
		d, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{Filters: []ec2types.Filter{filter("status", "completed")}})
		if err != nil || len(d.Snapshots) != 8 {
			t.Errorf("%d completed, %v; want 8 at once", len(d.Snapshots), err)
		}
	})
}

// TestPendingSnapshotsFailEvery: with FailEvery 2 the 2nd, 4th, ... snapshot
// of each volume stays pending for its time, then ends in "error" with a
// statusMessage (the state filter finds it) instead of "completed", and no
// longer counts toward the volume's snapshots in progress.
func TestPendingSnapshotsFailEvery(t *testing.T) {
	clock := inventory.NewFakeClock(now)
	p := &inventory.PendingSnapshots{Base: time.Minute, Interval: -1, PerVolume: 2, FailEvery: 2}
	_, c, _, ctx, _ := startWith(t, inventory.Options{Clock: clock, Pending: p}, inventory.Spec{Volumes: 2})
	vols, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{})
	if err != nil || len(vols.Volumes) != 2 {
		t.Fatalf("volumes: %v %v", vols, err)
	}
	type made struct {
		vol, id string
	}
	var snaps []made
	for _, v := range []int{0, 1, 0, 1} { // each volume's 1st, then its 2nd
		out, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: vols.Volumes[v].VolumeId})
		if err != nil {
			t.Fatalf("create on volume %d: %v", v, err)
		}
		snaps = append(snaps, made{aws.ToString(vols.Volumes[v].VolumeId), aws.ToString(out.SnapshotId)})
	}
	states := func() map[string]ec2types.Snapshot {
		d, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]ec2types.Snapshot{}
		for _, s := range d.Snapshots {
			m[aws.ToString(s.SnapshotId)] = s
		}
		return m
	}
	for _, s := range states() {
		if s.State != ec2types.SnapshotStatePending || s.StateMessage != nil {
			t.Errorf("%s before its time: %s %q, want pending without a message", aws.ToString(s.SnapshotId), s.State, aws.ToString(s.StateMessage))
		}
	}
	clock.Advance(time.Minute)
	got := states()
	for k, sn := range snaps {
		s := got[sn.id]
		want := ec2types.SnapshotStateCompleted
		if k >= 2 {
			want = ec2types.SnapshotStateError
		}
		if s.State != want || (want == ec2types.SnapshotStateError) != (aws.ToString(s.StateMessage) != "") {
			t.Errorf("snapshot %d of %s: %s %q, want %s (with a message only when error)", k, sn.vol, s.State, aws.ToString(s.StateMessage), want)
		}
	}
	d, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{Filters: []ec2types.Filter{filter("status", "error")}})
	if err != nil || len(d.Snapshots) != 2 {
		t.Errorf("status=error finds %d, %v; want 2", len(d.Snapshots), err)
	}
	// Neither the completed nor the failed ones are in progress: PerVolume 2 admits two more.
	for k := range 2 {
		if _, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: vols.Volumes[0].VolumeId}); err != nil {
			t.Errorf("snapshot %d after the first ended: %v", k+3, err)
		}
	}
}

// TestHDDVolumes: Spec.HDDVolumes are st1, 500 GiB, never a root volume.
func TestHDDVolumes(t *testing.T) {
	_, c, _, ctx, _ := start(t, inventory.Spec{Volumes: 10, Instances: 4, HDDVolumes: 3})
	out, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{filter("volume-type", "st1")}})
	if err != nil || len(out.Volumes) != 3 {
		t.Fatalf("st1 volumes: %d, %v; want 3", len(out.Volumes), err)
	}
	for _, v := range out.Volumes {
		if aws.ToInt32(v.Size) != 500 || v.Iops != nil || v.Throughput != nil {
			t.Errorf("%s: size %d iops %v throughput %v; want 500 GiB and no provisioned performance", aws.ToString(v.VolumeId), aws.ToInt32(v.Size), v.Iops, v.Throughput)
		}
		for _, a := range v.Attachments {
			if aws.ToBool(a.DeleteOnTermination) {
				t.Errorf("%s is a root volume", aws.ToString(v.VolumeId))
			}
		}
	}
	for _, tt := range []struct {
		spec inventory.Spec
		ok   bool
	}{
		{inventory.Spec{Volumes: 10, Instances: 4, HDDVolumes: 6}, true},
		{inventory.Spec{Volumes: 10, Instances: 4, HDDVolumes: 7}, false},
		{inventory.Spec{Volumes: 3, HDDVolumes: -1}, false},
	} {
		if err := tt.spec.Validate(); (err == nil) != tt.ok || (err != nil && !strings.Contains(err.Error(), "HDDVolumes=")) {
			t.Errorf("%+v: %v, want ok=%v", tt.spec, err, tt.ok)
		}
	}
}

func TestPendingValidation(t *testing.T) {
	tests := []struct {
		name string
		p    inventory.PendingSnapshots
		want string
	}{
		{"nothing to wait for", inventory.PendingSnapshots{}, "Pending has neither Base nor GiBPerSecond"},
		{"negative rate", inventory.PendingSnapshots{GiBPerSecond: -1}, "Pending.GiBPerSecond=-1 is invalid"},
		{"negative limit", inventory.PendingSnapshots{Base: time.Second, PerVolume: -1}, "Pending.PerVolume=-1"},
		{"negative FailEvery", inventory.PendingSnapshots{Base: time.Second, FailEvery: -1}, "Pending.FailEvery=-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inventory.Start(inventory.Options{Pending: &tt.p})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
