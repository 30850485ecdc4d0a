package backup

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The pending snapshot (issue 15), end to end through the SDK against the
// inventory server, whose snapshots stay pending for a while (on a
// FakeClock the test moves between runs), may end in error, and obey EC2's
// limits on snapshots in progress per volume.

// pendingEnv is the inventory server, its clock and its volumes by index
// (the seed's order: bench-vol-000000, ...).
type pendingEnv struct {
	*env
	srv   *inventory.Server
	clock *inventory.FakeClock
	vols  []string
}

// byID orders the volumes as the job works on them (by id) instead of the
// seed's order: for a case whose outcome depends on which comes first.
func newPendingEnv(t *testing.T, p *inventory.PendingSnapshots, spec inventory.Spec, policies []string, byID bool) *pendingEnv {
	t.Helper()
	ctx := context.Background()
	clock := inventory.NewFakeClock(time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC))
	srv, err := inventory.Start(inventory.Options{Clock: clock, Pending: p})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	if err := srv.Seed(spec); err != nil {
		t.Fatal(err)
	}
	for k, v := range srv.Env() {
		t.Setenv(k, v)
	}
	cfg, err := awsclient.Load(ctx, inventory.DefaultRegion, 3) // the SDK's retries on: the limits must not be retried
	if err != nil {
		t.Fatal(err)
	}
	pe := &pendingEnv{env: &env{t: t, cfg: cfg, ec2: ec2client.New(cfg)}, srv: srv, clock: clock}
	out, err := pe.ec2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]string{}
	for _, v := range out.Volumes {
		n, _ := lookup(v.Tags, "Name")
		byName[n] = aws.ToString(v.VolumeId)
	}
	for i := range spec.Volumes {
		pe.vols = append(pe.vols, byName[fmt.Sprintf("bench-vol-%06d", i)])
	}
	if byID {
		slices.Sort(pe.vols)
	}
	// The seed tags some volumes daily or weekly: each volume gets the case's policy, or none.
	for i, id := range pe.vols {
		if _, err := pe.ec2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String(tags.Backup)}}}); err != nil {
			t.Fatal(err)
		}
		if i < len(policies) && policies[i] != "" {
			pe.tag(id, tags.Backup, policies[i])
		}
	}
	return pe
}

// listing is every backup of the tagged volumes: "v<index> <created-at> <state>", sorted.
func (pe *pendingEnv) listing() ([]string, map[string]string) {
	pe.t.Helper()
	out, err := pe.ec2.DescribeSnapshots(context.Background(), &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"},
		Filters: []types.Filter{{Name: aws.String("tag-key"), Values: []string{tags.BackupPolicy}}}})
	if err != nil {
		pe.t.Fatal(err)
	}
	var l []string
	failed := map[string]string{} // id -> volume, of the snapshots in state error
	for _, s := range out.Snapshots {
		v := slices.Index(pe.vols, aws.ToString(s.VolumeId))
		l = append(l, fmt.Sprintf("v%d %s %s", v, tags.EC2(s.Tags)[tags.CreatedAt], s.State))
		if s.State == types.SnapshotStateError {
			failed[aws.ToString(s.SnapshotId)] = aws.ToString(s.VolumeId)
		}
	}
	sort.Strings(l)
	return l, failed
}

// hourOf is day d at 02:00 UTC plus h hours.
func hourOf(d, h int) string {
	return time.Date(2026, 1, 1, 2+h, 0, 0, 0, time.UTC).AddDate(0, 0, d).Format(time.RFC3339)
}

func snap(vol int, at, state string) string { return fmt.Sprintf("v%d %s %s", vol, at, state) }

// pendingStep is one run of a case: the clock moves, the run runs, the
// account and the report are checked.
type pendingStep struct {
	name     string
	advance  time.Duration // the server's clock, before the run
	at       string        // the scheduled time (the event's)
	followUp bool          // the event is the previous run's continuation instead
	deadline int           // > 0: the run's time ends after that many CreateSnapshot calls
	status   string        // the report's
	creates  int64         // CreateSnapshot calls the server saw
	deleted  int           // snapshots deleted
	vol      int           // whose snapshot decision is checked
	outcome  string        // of that decision
	reason   string        // in its reason
	want     []string      // the backups after the run (snap(...)), sorted
}

func TestPendingSnapshots(t *testing.T) {
	const (
		done, skipped = report.Done, report.Skipped
		ok, partial   = report.StatusOK, report.StatusPartial
	)
	typical := inventory.TypicalPending() // an 8 GiB volume's snapshot: 62 s; st1's 500 GiB: 2 030 s
	cases := []struct {
		name     string
		pending  *inventory.PendingSnapshots
		spec     inventory.Spec
		policies []string // by volume index
		byID     bool     // volume indexes in the job's order (newPendingEnv)
		vars     map[string]string
		steps    []pendingStep
	}{
		{
			name:    "keep-N counts completed backups only: a pending one neither fills a place nor is redone",
			pending: typical, spec: inventory.Spec{Volumes: 1}, policies: []string{"count"},
			vars: map[string]string{"COMMANDER_BACKUP_POLICIES": "count=last:2"},
			steps: []pendingStep{
				{name: "day 0", at: day(0), status: ok, creates: 1, outcome: done, want: []string{snap(0, day(0), "pending")}},
				{name: "day 1", advance: 2 * time.Minute, at: day(1), status: ok, creates: 1, outcome: done,
					want: []string{snap(0, day(0), "completed"), snap(0, day(1), "pending")}},
				{name: "day 2: its backup pending, day 0 is still among the newest 2 completed", advance: 2 * time.Minute, at: day(2), status: ok, creates: 1, outcome: done,
					want: []string{snap(0, day(0), "completed"), snap(0, day(1), "completed"), snap(0, day(2), "pending")}},
				{name: "day 2 redelivered while pending: no second snapshot, nothing pruned", advance: 20 * time.Second, at: day(2), status: ok, outcome: skipped, reason: "already backed up by this run",
					want: []string{snap(0, day(0), "completed"), snap(0, day(1), "completed"), snap(0, day(2), "pending")}},
				{name: "day 2 redelivered once completed: now day 0 goes", advance: 2 * time.Minute, at: day(2), status: ok, deleted: 1, outcome: skipped, reason: "already backed up by this run",
					want: []string{snap(0, day(1), "completed"), snap(0, day(2), "completed")}},
			},
		},
		{
			name:    "a run that hands over while its snapshots are pending leaves them to the follow-up and the next day",
			pending: typical, spec: inventory.Spec{Volumes: 2}, policies: []string{"one", "one"}, byID: true,
			vars: map[string]string{"COMMANDER_BACKUP_POLICIES": "one=last:1", "COMMANDER_CONCURRENCY": "1"},
			steps: []pendingStep{
				{name: "day 0", at: day(0), status: ok, creates: 2, outcome: done,
					want: []string{snap(0, day(0), "pending"), snap(1, day(0), "pending")}},
				{name: "day 1 runs out of time after one snapshot", advance: 2 * time.Minute, at: day(1), deadline: 1, status: partial, creates: 1, vol: 1, outcome: skipped, reason: "ran out of time",
					want: []string{snap(0, day(0), "completed"), snap(0, day(1), "pending"), snap(1, day(0), "completed")}},
				{name: "the follow-up: v0's pending backup is this run's, v1 is snapshotted, nothing pruned", advance: 20 * time.Second, followUp: true, status: ok, creates: 1, outcome: skipped, reason: "already backed up by this run",
					want: []string{snap(0, day(0), "completed"), snap(0, day(1), "pending"), snap(1, day(0), "completed"), snap(1, day(1), "pending")}},
				{name: "the follow-up again: nothing new", advance: 20 * time.Second, followUp: true, status: ok, vol: 1, outcome: skipped, reason: "already backed up by this run",
					want: []string{snap(0, day(0), "completed"), snap(0, day(1), "pending"), snap(1, day(0), "completed"), snap(1, day(1), "pending")}},
				// v1's day-1 backup started 40 s ago: still pending (62 s).
				{name: "day 2 while day 1's are pending: day 0 stays the newest completed", at: day(2), status: ok, creates: 2, outcome: done,
					want: []string{snap(0, day(0), "completed"), snap(0, day(1), "pending"), snap(0, day(2), "pending"),
						snap(1, day(0), "completed"), snap(1, day(1), "pending"), snap(1, day(2), "pending")}},
				{name: "day 2 redelivered once all completed: last:1 keeps day 2", advance: 2 * time.Minute, at: day(2), status: ok, deleted: 4, outcome: skipped,
					want: []string{snap(0, day(2), "completed"), snap(1, day(2), "completed")}},
			},
		},
		{
			name:    "a snapshot in state error is reported, retried under the same key, never counted, and deleted",
			pending: &inventory.PendingSnapshots{Base: time.Minute, FailEvery: 2}, spec: inventory.Spec{Volumes: 1}, policies: []string{"one"},
			vars: map[string]string{"COMMANDER_BACKUP_POLICIES": "one=last:1"},
			steps: []pendingStep{
				{name: "day 0", at: day(0), status: ok, creates: 1, outcome: done, want: []string{snap(0, day(0), "pending")}},
				{name: "day 1: its snapshot will fail", advance: 2 * time.Minute, at: day(1), status: ok, creates: 1, outcome: done,
					want: []string{snap(0, day(0), "completed"), snap(0, day(1), "pending")}},
				{name: "day 1 redelivered after it failed: reported, snapshotted again, the failed one deleted, day 0 kept", advance: 2 * time.Minute, at: day(1),
					status: partial, creates: 1, deleted: 1, outcome: done, reason: "ended in state error",
					want: []string{snap(0, day(0), "completed"), snap(0, day(1), "pending")}},
				{name: "day 1 redelivered once the retry completed", advance: 2 * time.Minute, at: day(1), status: ok, deleted: 1, outcome: skipped, reason: "already backed up by this run",
					want: []string{snap(0, day(1), "completed")}},
			},
		},
		{
			name:    "a snapshot in state error does not cover its day for an every:day policy",
			pending: &inventory.PendingSnapshots{Base: time.Minute, FailEvery: 2}, spec: inventory.Spec{Volumes: 1}, policies: []string{"day"},
			vars: map[string]string{"COMMANDER_BACKUP_POLICIES": "day=every:day,last:5"},
			steps: []pendingStep{
				{name: "day 0", at: day(0), status: ok, creates: 1, outcome: done, want: []string{snap(0, day(0), "pending")}},
				{name: "day 1: its snapshot will fail", advance: 2 * time.Minute, at: day(1), status: ok, creates: 1, outcome: done,
					want: []string{snap(0, day(0), "completed"), snap(0, day(1), "pending")}},
				{name: "later on day 1 (another schedule's time): day 1 has no backup yet", advance: 2 * time.Minute, at: hourOf(1, 6), status: partial, creates: 1, deleted: 1, outcome: done, reason: "first backup of day",
					want: []string{snap(0, day(0), "completed"), snap(0, hourOf(1, 6), "pending")}},
				{name: "later still: now day 1 has one", advance: 2 * time.Minute, at: hourOf(1, 8), status: ok, outcome: skipped, reason: "already has a backup",
					want: []string{snap(0, day(0), "completed"), snap(0, hourOf(1, 6), "completed")}},
			},
		},
		{
			name:    "an st1 volume with a snapshot in progress is skipped, not failed, and not retried at once",
			pending: typical, spec: inventory.Spec{Volumes: 2, HDDVolumes: 1}, policies: []string{"", "run"},
			vars: map[string]string{"COMMANDER_BACKUP_POLICIES": "run=last:3"},
			steps: []pendingStep{
				{name: "day 0", at: day(0), status: ok, creates: 1, vol: 1, outcome: done, want: []string{snap(1, day(0), "pending")}},
				{name: "day 1: EC2 refuses (ConcurrentSnapshotLimitExceeded) once", advance: time.Minute, at: day(1), status: ok, creates: 1, vol: 1, outcome: skipped,
					reason: "limit on snapshots in progress per volume is reached (5; 1 for st1 and sc1), 1 of them this system's (EC2 ConcurrentSnapshotLimitExceeded); the next run snapshots it",
					want:   []string{snap(1, day(0), "pending")}},
				{name: "day 1 redelivered once day 0's completed", advance: time.Hour, at: day(1), status: ok, creates: 1, vol: 1, outcome: done,
					want: []string{snap(1, day(0), "completed"), snap(1, day(1), "pending")}},
			},
		},
		{
			name:    "a volume snapshotted less than 15 s ago is skipped, not failed",
			pending: typical, spec: inventory.Spec{Volumes: 1}, policies: []string{"run"},
			vars: map[string]string{"COMMANDER_BACKUP_POLICIES": "run=last:3"},
			steps: []pendingStep{
				{name: "first", at: hourOf(0, 0), status: ok, creates: 1, outcome: done, want: []string{snap(0, hourOf(0, 0), "pending")}},
				{name: "5 s later, another scheduled time", advance: 5 * time.Second, at: hourOf(0, 1), status: ok, creates: 1, outcome: skipped,
					reason: "started less than 15 s ago and is still in progress (EC2 SnapshotCreationPerVolumeRateExceeded); the next run snapshots it",
					want:   []string{snap(0, hourOf(0, 0), "pending")}},
				{name: "15 s later: a second in progress is allowed", advance: 10 * time.Second, at: hourOf(0, 1), status: ok, creates: 1, outcome: done,
					want: []string{snap(0, hourOf(0, 0), "pending"), snap(0, hourOf(0, 1), "pending")}},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pe := newPendingEnv(t, c.pending, c.spec, c.policies, c.byID)
			vars := map[string]string{"COMMANDER_BACKUP_S3": "false"}
			for k, v := range c.vars {
				vars[k] = v
			}
			j := pe.job(vars)
			j.Audit = nil // the inventory server has no EventBridge
			var next any  // the latest hand-over's continuation
			for _, st := range c.steps {
				pe.clock.Advance(st.advance)
				_, failedBefore := pe.listing()
				r := pe.runStep(j, st, next)
				if r.Next != nil {
					next = r.Next
				}
				got, _ := pe.listing()
				if r.Status != st.status || pe.creates() != st.creates || r.Count(ActionDelete, report.Done) != st.deleted {
					t.Errorf("%s: status %s (%s), %d creates, %d deleted; want %s, %d, %d; counts %v",
						st.name, r.Status, r.Reason, pe.creates(), r.Count(ActionDelete, report.Done), st.status, st.creates, st.deleted, r.Counts)
				}
				if !slices.Equal(got, st.want) {
					t.Errorf("%s: backups\n  %v\nwant\n  %v", st.name, got, st.want)
				}
				d := decision(r, pe.vols[st.vol])
				if d.Outcome != st.outcome || !strings.Contains(d.Reason, st.reason) {
					t.Errorf("%s: v%d's decision %s %q, want %s with %q", st.name, st.vol, d.Outcome, d.Reason, st.outcome, st.reason)
				}
				checkFailedReported(t, st.name, r, failedBefore)
			}
		})
	}
}

// runStep runs one step's event with the job, after zeroing the server's call counts.
func (pe *pendingEnv) runStep(j *Job, st pendingStep, next any) *report.Report {
	pe.t.Helper()
	pe.srv.Reset()
	ev := scheduled(st.at)
	if st.followUp {
		body, err := json.Marshal(map[string]any{"continuation": next})
		if err != nil || next == nil {
			pe.t.Fatalf("%s: no continuation to follow (%v)", st.name, err)
		}
		ev = body
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j.Regions[0].EC2 = pe.ec2
	if st.deadline > 0 {
		j.Regions[0].EC2 = &deadlineEC2{Client: pe.ec2, n: st.deadline, cancel: cancel}
	}
	r, err := j.Handle(ctx, ev)
	if err != nil {
		pe.t.Fatalf("%s: %v", st.name, err)
	}
	return r
}

func (pe *pendingEnv) creates() int64 {
	c := pe.srv.Calls()
	return c["EC2.CreateSnapshot"] + c["EC2.CreateSnapshots"]
}

// checkFailedReported: each snapshot that was in state error before the run
// has a failed decision naming it, its volume, its state and AWS's message.
func checkFailedReported(t *testing.T, step string, r *report.Report, failed map[string]string) {
	t.Helper()
	for id, vol := range failed {
		found := false
		for _, d := range r.Resources {
			found = found || d.Resource == id && d.Type == TypeSnapshot && d.Action == ActionSnapshot && d.Outcome == report.Failed &&
				strings.Contains(d.Reason, id) && strings.Contains(d.Reason, "state error") && strings.Contains(d.Reason, vol) &&
				strings.Contains(d.Reason, "could not be completed") // AWS's statusMessage
		}
		if !found {
			t.Errorf("%s: no failed decision names %s of %s and its state: %+v", step, id, vol, r.Sorted())
		}
	}
}
