package cleanup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/clock"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

const day = 24 * time.Hour

// fixture is a moto account with an EC2 client and a job factory.
type fixture struct {
	t   *testing.T
	ec2 *ec2.Client
	cfg aws.Config
	emf bytes.Buffer
}

func newFixture(t *testing.T) *fixture {
	cfg := emulatortest.Config(t)
	return &fixture{t: t, ec2: ec2client.New(cfg), cfg: cfg}
}

// job builds a Job from a policy document and settings variables on top of
// the test defaults (live, simulated time allowed).
func (f *fixture) job(doc string, env map[string]string) *Job {
	f.t.Helper()
	vars := map[string]string{"AWS_REGION": "us-east-1", "COMMANDER_DRY_RUN": "false", "COMMANDER_ALLOW_SIMULATED_TIME": "true"}
	for k, v := range env {
		vars[k] = v
	}
	get := func(k string) string { return vars[k] }
	s, err := settings.Load(get)
	if err != nil {
		f.t.Fatal(err)
	}
	vars[PolicyVariable] = doc
	pols, err := LoadPolicies(get)
	if err != nil {
		f.t.Fatal(err)
	}
	return &Job{
		Function: "cleanup", Settings: s, Policies: pols,
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Clients: func(string) Clients {
			return Clients{EC2: f.ec2, CloudWatch: cloudwatchclient.New(f.cfg), IAM: iamclient.New(f.cfg), S3: s3client.New(f.cfg), Lambda: lambdaclient.New(f.cfg)}
		},
		Audit: eventbridgeclient.New(f.cfg),
		Clock: clock.Real{}, Metrics: &f.emf,
	}
}

// run invokes the job directly at a simulated now.
func (f *fixture) run(j *Job, now time.Time, extra string) *report.Report {
	f.t.Helper()
	body := fmt.Sprintf(`{"now":%q%s}`, now.Format(time.RFC3339), extra)
	rep, err := j.Handle(context.Background(), json.RawMessage(body))
	if err != nil {
		f.t.Fatalf("run at %s: %v", now, err)
	}
	return rep
}

func (f *fixture) instance(state string, tg map[string]string, mod func(*ec2.RunInstancesInput)) string {
	f.t.Helper()
	in := &ec2.RunInstancesInput{ImageId: aws.String("ami-12345678"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: types.InstanceTypeT2Micro}
	if len(tg) > 0 {
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: ec2Tags(tg)}}
	}
	if mod != nil {
		mod(in)
	}
	out, err := f.ec2.RunInstances(context.Background(), in)
	if err != nil {
		f.t.Fatal(err)
	}
	id := aws.ToString(out.Instances[0].InstanceId)
	if state == "stopped" {
		if _, err := f.ec2.StopInstances(context.Background(), &ec2.StopInstancesInput{InstanceIds: []string{id}}); err != nil {
			f.t.Fatal(err)
		}
	}
	return id
}

func (f *fixture) volume(tg map[string]string) string {
	f.t.Helper()
	in := &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(1)}
	if len(tg) > 0 {
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeVolume, Tags: ec2Tags(tg)}}
	}
	out, err := f.ec2.CreateVolume(context.Background(), in)
	if err != nil {
		f.t.Fatal(err)
	}
	return aws.ToString(out.VolumeId)
}

// orphanSnapshot is a snapshot whose volume was deleted.
func (f *fixture) orphanSnapshot(tg map[string]string, description string) string {
	f.t.Helper()
	ctx := context.Background()
	vol := f.volume(nil)
	in := &ec2.CreateSnapshotInput{VolumeId: aws.String(vol), Description: aws.String(description)}
	all := map[string]string{"fixture": "yes"}
	for k, v := range tg {
		all[k] = v
	}
	in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeSnapshot, Tags: ec2Tags(all)}}
	out, err := f.ec2.CreateSnapshot(ctx, in)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.ec2.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(vol)}); err != nil {
		f.t.Fatal(err)
	}
	return aws.ToString(out.SnapshotId)
}

func (f *fixture) address(tg map[string]string) string {
	f.t.Helper()
	in := &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc}
	if len(tg) > 0 {
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeElasticIp, Tags: ec2Tags(tg)}}
	}
	out, err := f.ec2.AllocateAddress(context.Background(), in)
	if err != nil {
		f.t.Fatal(err)
	}
	return aws.ToString(out.AllocationId)
}

func ec2Tags(m map[string]string) []types.Tag {
	var out []types.Tag
	for _, k := range sortedStrings(m) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// state is every EC2 resource the job may touch, with its tags, as JSON:
// two equal states mean nothing changed.
func (f *fixture) state() string {
	f.t.Helper()
	ctx := context.Background()
	var parts []any
	inst, err := f.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, r := range inst.Reservations {
		for _, i := range r.Instances {
			parts = append(parts, []any{i.InstanceId, i.State.Name, tags.EC2(i.Tags)})
		}
	}
	vols, err := f.ec2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, v := range vols.Volumes {
		parts = append(parts, []any{v.VolumeId, v.State, tags.EC2(v.Tags)})
	}
	snaps, err := f.ec2.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, s := range snaps.Snapshots {
		parts = append(parts, []any{s.SnapshotId, s.State, tags.EC2(s.Tags)})
	}
	addrs, err := f.ec2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, a := range addrs.Addresses {
		parts = append(parts, []any{a.AllocationId, a.AssociationId, tags.EC2(a.Tags)})
	}
	var lines []string
	for _, p := range parts {
		b, err := json.Marshal(p)
		if err != nil {
			f.t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	return strings.Join(lines, "\n")
}

// changed lists the lines of two states that differ.
func changed(before, after string) []string {
	in := map[string]bool{}
	for _, l := range strings.Split(before, "\n") {
		in[l] = true
	}
	out := []string{}
	for _, l := range strings.Split(after, "\n") {
		if !in[l] {
			out = append(out, "now: "+l)
		}
		delete(in, l)
	}
	for l := range in {
		out = append(out, "was: "+l)
	}
	return out
}

// tags of one resource (nil when it no longer exists).
func (f *fixture) tags(id string) map[string]string {
	f.t.Helper()
	out, err := f.ec2.DescribeTags(context.Background(), &ec2.DescribeTagsInput{Filters: []types.Filter{filter("resource-id", id)}})
	if err != nil {
		f.t.Fatal(err)
	}
	m := map[string]string{}
	for _, t := range out.Tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func (f *fixture) instanceState(id string) string {
	f.t.Helper()
	out, err := f.ec2.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		f.t.Fatal(err)
	}
	return string(out.Reservations[0].Instances[0].State.Name)
}

func (f *fixture) exists(kind, id string) bool {
	f.t.Helper()
	ctx := context.Background()
	var err error
	switch kind {
	case "volume":
		_, err = f.ec2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{id}})
	case "snapshot":
		_, err = f.ec2.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{id}})
	case "address":
		_, err = f.ec2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{AllocationIds: []string{id}})
	}
	if err != nil && !strings.Contains(err.Error(), "NotFound") {
		f.t.Fatal(err)
	}
	return err == nil
}

// decisionFor finds the report's decision for id.
func decisionFor(rep *report.Report, id string) report.Decision {
	for _, d := range rep.Resources {
		if d.Resource == id {
			return d
		}
	}
	return report.Decision{}
}

const everything = `
policies:
  - name: stopped-instances
    resource: ec2:instance
    action: terminate
    filters: [{state: stopped}, {stoppedFor: 30d}]
  - name: unattached-volumes
    resource: ec2:volume
    action: delete
    filters: [{state: available}, {age: 14d}]
  - name: orphan-snapshots
    resource: ec2:snapshot
    action: delete
    # moto ships a thousand snapshots of its own AMIs: the tests look at theirs.
    filters: [{volumeGone: true}, {age: 30d}, {tag: fixture, present: true}]
  - name: idle-addresses
    resource: ec2:address
    action: release
    filters: [{state: unassociated}]
`

// Dry-run (the default) plans everything and changes nothing: full
// describes before and after are equal, marks already due included.
func TestDryRunChangesNothing(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC()
	due := now.Add(-time.Hour).Format(time.RFC3339)
	inst := f.instance("stopped", nil, nil)
	dueInst := f.instance("stopped", map[string]string{tags.CleanupAction: "terminate", tags.CleanupDue: due}, nil)
	stale := f.instance("running", map[string]string{tags.CleanupAction: "terminate", tags.CleanupDue: due}, nil)
	vol := f.volume(nil)
	snap := f.orphanSnapshot(nil, "old")
	addr := f.address(nil)
	before := f.state()

	j := f.job(everything, map[string]string{"COMMANDER_DRY_RUN": ""})
	rep := f.run(j, now.Add(40*day), "")
	if after := f.state(); after != before {
		t.Fatalf("dry-run changed AWS state: %v", changed(before, after))
	}
	if !rep.DryRun || rep.Status != report.StatusOK {
		t.Errorf("report: dryRun %v status %s %s", rep.DryRun, rep.Status, rep.Reason)
	}
	for _, c := range []struct{ id, action string }{
		{inst, "mark"}, {vol, "mark"}, {snap, "mark"}, {addr, "mark"}, {dueInst, "terminate"}, {stale, "unmark"},
	} {
		if d := decisionFor(rep, c.id); d.Action != c.action || d.Outcome != report.Planned {
			t.Errorf("%s: decision %+v, want %s planned", c.id, d, c.action)
		}
	}
	if rep.APICalls["EC2.CreateTags"]+rep.APICalls["EC2.TerminateInstances"]+rep.APICalls["EC2.DeleteTags"] != 0 {
		t.Errorf("dry-run made mutating calls: %v", rep.APICalls)
	}
	// A direct request may force a dry run on a live deployment, never the reverse.
	live := f.job(everything, nil)
	rep = f.run(live, now.Add(40*day), `,"dryRun":true`)
	if after := f.state(); after != before || !rep.DryRun {
		t.Fatalf("dryRun request changed state (dryRun %v): %v", rep.DryRun, changed(before, after))
	}
}

// Mark, wait out the grace, act: with a resource that stops matching during
// the grace (it loses its marks) and a re-delivered run (nothing new).
func TestMarkGraceAct(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now().UTC().Add(40 * day)
	gone := f.instance("stopped", map[string]string{"Name": "old"}, nil)
	restarted := f.instance("stopped", nil, nil)
	running := f.instance("running", nil, nil)
	vol := f.volume(nil)
	kept := f.volume(map[string]string{"keep": "yes"})
	snap := f.orphanSnapshot(nil, "old")
	addr := f.address(nil)
	doc := strings.Replace(everything, "filters: [{state: available}, {age: 14d}]", "filters: [{state: available}, {age: 14d}]\n    exclude: [{tag: keep, present: true}]", 1)
	j := f.job(doc, map[string]string{"COMMANDER_CLEANUP_GRACE": "7d"})

	// Run 1 marks every candidate with the action and now + grace.
	rep := f.run(j, now, "")
	due := now.Add(7 * day).Truncate(time.Second).Format(time.RFC3339)
	for _, c := range []struct{ id, action string }{{gone, "terminate"}, {restarted, "terminate"}, {vol, "delete"}, {snap, "delete"}, {addr, "release"}} {
		tg := f.tags(c.id)
		if tg[tags.CleanupAction] != c.action || tg[tags.CleanupDue] != due {
			t.Errorf("%s after mark: tags %v, want %s due %s", c.id, tg, c.action, due)
		}
	}
	for _, id := range []string{running, kept} {
		if tg := f.tags(id); tg[tags.CleanupAction] != "" {
			t.Errorf("%s does not match but was marked: %v", id, tg)
		}
	}
	if rep.Count("mark", report.Done) != 5 || rep.APICalls["EC2.CreateTags"] != 4 {
		t.Errorf("marks: %v, CreateTags calls %d (one batch per type expected)", rep.Counts, rep.APICalls["EC2.CreateTags"])
	}
	// Re-delivery: the same run again marks nothing new and keeps the due date.
	rep = f.run(j, now, "")
	if rep.Count("mark", report.Done) != 0 || rep.Count("wait", report.Skipped) != 5 || f.tags(gone)[tags.CleanupDue] != due {
		t.Errorf("re-delivered run: %v", rep.Counts)
	}

	// During the grace one instance is started: it no longer matches.
	if _, err := f.ec2.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{restarted}}); err != nil {
		t.Fatal(err)
	}
	// Before due: nothing is acted on.
	rep = f.run(j, now.Add(6*day), "")
	if rep.Count("terminate", report.Done)+rep.Count("delete", report.Done) != 0 || f.instanceState(gone) != "stopped" {
		t.Fatalf("acted before due: %v", rep.Counts)
	}
	if tg := f.tags(restarted); tg[tags.CleanupAction] != "" || tg[tags.CleanupDue] != "" {
		t.Errorf("a resource that stopped matching keeps its marks: %v", tg)
	}
	// Past due: act.
	rep = f.run(j, now.Add(8*day), "")
	if rep.Status != report.StatusOK {
		t.Fatalf("act run: %s %s %v", rep.Status, rep.Reason, rep.Errors)
	}
	if s := f.instanceState(gone); s != "terminated" && s != "shutting-down" {
		t.Errorf("%s state %s, want terminated", gone, s)
	}
	if s := f.instanceState(restarted); s != "running" {
		t.Errorf("restarted instance state %s", s)
	}
	if f.exists("volume", vol) || !f.exists("volume", kept) {
		t.Errorf("volume %s deleted %v, excluded %s kept %v", vol, !f.exists("volume", vol), kept, f.exists("volume", kept))
	}
	if f.exists("snapshot", snap) || f.exists("address", addr) {
		t.Errorf("snapshot %s or address %s still exists", snap, addr)
	}
	// The volume's final snapshot exists and says whose it is.
	finals, err := f.ec2.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, Filters: []types.Filter{filter("tag:"+FinalSnapshotOf, vol)}})
	if err != nil || len(finals.Snapshots) != 1 {
		t.Fatalf("final snapshot of %s: %v %d", vol, err, len(finals.Snapshots))
	}
	if d := decisionFor(rep, vol); !strings.Contains(d.Reason, aws.ToString(finals.Snapshots[0].SnapshotId)) {
		t.Errorf("volume decision does not name its final snapshot: %+v", d)
	}
	// Re-delivered act run: everything is done already; nothing fails, no second final snapshot.
	rep = f.run(j, now.Add(8*day), "")
	if rep.Status != report.StatusOK || rep.Count("delete", report.Failed)+rep.Count("terminate", report.Failed) != 0 {
		t.Errorf("re-delivered act run: %s %v %v", rep.Status, rep.Counts, rep.Errors)
	}
	finals, _ = f.ec2.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, Filters: []types.Filter{filter("tag:"+FinalSnapshotOf, vol)}})
	if len(finals.Snapshots) != 1 {
		t.Errorf("final snapshots after re-delivery: %d", len(finals.Snapshots))
	}
	if !strings.Contains(f.emf.String(), `"Done"`) || !strings.Contains(f.emf.String(), `"Namespace":"Commander"`) {
		t.Errorf("no EMF metrics written: %s", f.emf.String())
	}
}

// A protected resource is never marked, acted on or unmarked, even when
// every filter matches and it carries a due mark; the key in another case
// and values other than "true" protect too (the one rule, guard.Protected).
func TestProtectedNeverTouched(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC().Add(40 * day)
	due := map[string]string{"commander:protect": "true", tags.CleanupAction: "terminate", tags.CleanupDue: now.Add(-day).Format(time.RFC3339)}
	protect := map[string]string{"commander:protect": "true"}
	inst := f.instance("stopped", due, nil)
	fresh := f.instance("stopped", protect, nil)
	vol := f.volume(protect)
	snap := f.orphanSnapshot(protect, "old")
	addr := f.address(protect)
	otherCase := f.instance("stopped", map[string]string{"Commander:Protect": "true", tags.CleanupAction: "terminate", tags.CleanupDue: now.Add(-day).Format(time.RFC3339)}, nil)
	yes := f.instance("stopped", map[string]string{"commander:protect": "yes"}, nil)
	padded := f.volume(map[string]string{"COMMANDER:PROTECT": " TRUE "})
	before := f.state()

	j := f.job(everything, nil)
	for _, at := range []time.Time{now, now.Add(8 * day), now.Add(30 * day)} {
		rep := f.run(j, at, "")
		for _, id := range []string{inst, fresh, vol, snap, addr, otherCase, yes, padded} {
			if d := decisionFor(rep, id); d.Outcome != report.Skipped || !strings.Contains(d.Reason, "commander:protect=true") {
				t.Errorf("%s at %s: %+v", id, at, d)
			}
		}
	}
	if after := f.state(); after != before {
		t.Fatalf("protected resources changed: %v", changed(before, after))
	}
}

// The breaker stops a policy whose due actions exceed the limit, reports
// why, and leaves the other policies running.
func TestBreakerTrips(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC().Add(40 * day)
	var ids []string
	for range 4 {
		ids = append(ids, f.instance("stopped", nil, nil))
	}
	addr := f.address(nil)
	j := f.job(everything, map[string]string{"COMMANDER_BREAKER_MAX_COUNT": "3", "COMMANDER_CLEANUP_GRACE": "1d"})
	f.run(j, now, "")
	rep := f.run(j, now.Add(2*day), "")
	if rep.Status != report.StatusPartial || !strings.Contains(rep.Reason, "policy stopped-instances") || !strings.Contains(rep.Reason, "circuit breaker: 4 destructive actions planned, more than the limit of 3") {
		t.Errorf("report: %s %q", rep.Status, rep.Reason)
	}
	for _, id := range ids {
		if s := f.instanceState(id); s != "stopped" {
			t.Errorf("%s is %s although the breaker tripped", id, s)
		}
	}
	if f.exists("address", addr) {
		t.Error("the breaker of one policy must not stop the others")
	}
	if rep.APICalls["EC2.TerminateInstances"] != 0 {
		t.Errorf("TerminateInstances called: %v", rep.APICalls)
	}
}

// Termination protection and stop protection are respected, learned from
// the batched call AWS refuses, never read per instance: the instance is
// marked like any candidate, then left as it is, and the report says why.
func TestInstanceProtectionAttributes(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC().Add(40 * day)
	noTerminate := f.instance("stopped", nil, nil)
	noStop := f.instance("running", nil, nil)
	// moto ignores these flags on RunInstances; it keeps them when modified.
	for _, in := range []*ec2.ModifyInstanceAttributeInput{
		{InstanceId: aws.String(noTerminate), DisableApiTermination: &types.AttributeBooleanValue{Value: aws.Bool(true)}},
		{InstanceId: aws.String(noStop), DisableApiStop: &types.AttributeBooleanValue{Value: aws.Bool(true)}},
	} {
		if _, err := f.ec2.ModifyInstanceAttribute(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	plain := f.instance("running", nil, nil)
	doc := everything + `
  - name: untagged-running
    resource: ec2:instance
    action: stop
    filters: [{state: running}, {tag: owner, absent: true}]
`
	j := f.job(doc, map[string]string{"COMMANDER_CLEANUP_GRACE": "0d"})
	// The mark run reads no attribute: every candidate is marked.
	rep := f.run(j, now, "")
	if rep.APICalls["EC2.DescribeInstanceAttribute"] != 0 || rep.Count("mark", report.Done) != 3 {
		t.Errorf("mark run: %v, calls %v", rep.Counts, rep.APICalls)
	}
	// A dry run of the act says where protection is learned.
	dry := f.run(j, now.Add(time.Minute), `,"dryRun":true`)
	if d := decisionFor(dry, noTerminate); d.Outcome != report.Planned || !strings.Contains(d.Reason, "termination and stop protection are checked when acting") {
		t.Errorf("dry run of the act: %+v", d)
	}
	// The act run learns each protection from the batch AWS refused.
	rep = f.run(j, now.Add(time.Minute), "")
	if d := decisionFor(rep, noTerminate); d.Action != "terminate" || d.Outcome != report.Skipped || !strings.Contains(d.Reason, "disableApiTermination") {
		t.Errorf("termination-protected: %+v", d)
	}
	if d := decisionFor(rep, noStop); d.Action != "stop" || d.Outcome != report.Skipped || !strings.Contains(d.Reason, "disableApiStop") {
		t.Errorf("stop-protected: %+v", d)
	}
	if rep.Status != report.StatusOK || rep.APICalls["EC2.DescribeInstanceAttribute"] != 0 {
		t.Errorf("act run: %s %v, calls %v", rep.Status, rep.Errors, rep.APICalls)
	}
	if s := f.instanceState(noTerminate); s != "stopped" {
		t.Errorf("termination-protected instance is %s", s)
	}
	if s := f.instanceState(noStop); s != "running" {
		t.Errorf("stop-protected instance is %s", s)
	}
	if s := f.instanceState(plain); s != "stopped" && s != "stopping" {
		t.Errorf("unprotected instance is %s, want stopped (report %v)", s, rep.Counts)
	}
}

// Snapshots an AMI uses, or that AWS Backup made, are held whatever the policy.
func TestSnapshotHolds(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now().UTC().Add(40 * day)
	// moto's RegisterImage makes a snapshot of its own for the AMI, whatever
	// the mapping says: find it and tag it so the test policy concerns it.
	img, err := f.ec2.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String("kept"), RootDeviceName: aws.String("/dev/xvda")})
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := f.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{aws.ToString(img.ImageId)}})
	if err != nil || len(imgs.Images) != 1 || len(imgs.Images[0].BlockDeviceMappings) == 0 {
		t.Fatalf("describe image: %v %+v", err, imgs)
	}
	inAMI := aws.ToString(imgs.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId)
	if _, err := f.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{inAMI}, Tags: ec2Tags(map[string]string{"fixture": "yes"})}); err != nil {
		t.Fatal(err)
	}
	byBackup := f.orphanSnapshot(nil, "This snapshot is created by the AWS Backup service.")
	plain := f.orphanSnapshot(nil, "old")
	j := f.job(everything, map[string]string{"COMMANDER_CLEANUP_GRACE": "0d"})
	rep := f.run(j, now, "")
	f.run(j, now.Add(time.Minute), "")
	if d := decisionFor(rep, inAMI); d.Outcome != report.Skipped || !strings.Contains(d.Reason, aws.ToString(img.ImageId)) {
		t.Errorf("AMI snapshot: %+v", d)
	}
	if d := decisionFor(rep, byBackup); d.Outcome != report.Skipped || !strings.Contains(d.Reason, "AWS Backup") {
		t.Errorf("AWS Backup snapshot: %+v", d)
	}
	if !f.exists("snapshot", inAMI) || !f.exists("snapshot", byBackup) || f.exists("snapshot", plain) {
		t.Errorf("exists: ami %v backup %v plain %v", f.exists("snapshot", inAMI), f.exists("snapshot", byBackup), f.exists("snapshot", plain))
	}
}

// Bad requests fail with a message naming the field.
func TestHandleRefusesBadRequests(t *testing.T) {
	f := newFixture(t)
	live := f.job(everything, nil)
	noSim := f.job(everything, map[string]string{"COMMANDER_ALLOW_SIMULATED_TIME": "false"})
	cases := []struct {
		name string
		job  *Job
		body string
		want string
	}{
		{"unknown field", live, `{"dry_run":true}`, `unknown field "dry_run"`},
		{"unknown policy", live, `{"policies":["nope"]}`, `unknown policy "nope"`},
		{"simulated now refused", noSim, `{"now":"2030-01-01T00:00:00Z"}`, "COMMANDER_ALLOW_SIMULATED_TIME"},
		{"bad now", live, `{"now":"tomorrow"}`, `field "now"`},
		{"http refused", live, `{"version":"2.0","routeKey":"POST /cleanup","requestContext":{"requestId":"r"}}`, "http trigger is not accepted"},
		{"not json", live, `[]`, "JSON object"},
		{"resume of the old shape", live, `{"resume":{"region":"us-east-1","type":"ec2:instance","hop":1}}`, `unknown field "region"`},
		{"resume hop 0", live, `{"resume":{"hop":0,"regions":[{"region":"us-east-1","type":"ec2:instance"}]}}`, `field "resume.hop" = 0: accepts a whole number from 1`},
		{"resume with no region", live, `{"resume":{"hop":1,"regions":[]}}`, `field "resume.regions" is empty`},
		{"resume region outside the run", live, `{"resume":{"hop":1,"regions":[{"region":"mars-1","type":"ec2:instance"}]}}`, `field "resume.regions[0].region" = "mars-1": accepts a region of COMMANDER_REGIONS (us-east-1) or "global"`},
		{"resume region twice", live, `{"resume":{"hop":1,"regions":[{"region":"us-east-1","type":"ec2:instance"},{"region":"us-east-1","type":"ec2:volume"}]}}`, `field "resume.regions[1].region" = "us-east-1": accepts each region once`},
		{"resume unknown type", live, `{"resume":{"hop":1,"regions":[{"region":"us-east-1","type":"ec2:nope"}]}}`, `field "resume.regions[0].type" = "ec2:nope": accepts one of ec2:instance,`},
		{"resume global type in a region", live, `{"resume":{"hop":1,"regions":[{"region":"us-east-1","type":"iam:role"}]}}`, `field "resume.regions[0].type" = "iam:role"`},
		{"resume regional type in global", live, `{"resume":{"hop":1,"regions":[{"region":"global","type":"ec2:volume"}]}}`, `field "resume.regions[0].type" = "ec2:volume": accepts one of iam:instance-profile, iam:role`},
		{"resume actions of an unknown policy", live, `{"resume":{"hop":1,"regions":[{"region":"us-east-1","type":"ec2:volume"}],"actions":{"nope":1}}}`, `field "resume.actions" has "nope": 1: accepts a policy name`},
		{"resume negative actions", live, `{"resume":{"hop":1,"regions":[{"region":"us-east-1","type":"ec2:volume"}],"actions":{"idle-addresses":-1}}}`, `field "resume.actions" has "idle-addresses": -1`},
		{"resume tripped unknown policy", live, `{"resume":{"hop":1,"regions":[{"region":"us-east-1","type":"ec2:volume"}],"tripped":["nope"]}}`, `field "resume.tripped[0]" = "nope"`},
		{"resume region not an object", live, `{"resume":{"hop":1,"regions":["us-east-1"]}}`, `field "resume.regions" is a JSON string`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.job.Handle(context.Background(), json.RawMessage(c.body))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestStoppedAt(t *testing.T) {
	cases := []struct {
		name, reason string
		want         time.Time
	}{
		{"aws", "User initiated (2026-01-31 02:00:00 GMT)", time.Date(2026, 1, 31, 2, 0, 0, 0, time.UTC)},
		{"moto", "User initiated (2026-01-31 02:00:00 UTC)", time.Date(2026, 1, 31, 2, 0, 0, 0, time.UTC)},
		{"no time", "Server.InternalError", time.Time{}},
		{"empty", "", time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := StoppedAt(c.reason); !got.Equal(c.want) {
				t.Errorf("StoppedAt = %v, want %v", got, c.want)
			}
		})
	}
}
