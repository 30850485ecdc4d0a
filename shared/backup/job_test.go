package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/clock"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

const scheduleARN = "arn:aws:scheduler:us-east-1:123456789012:schedule/default/commander-backup-daily"

// env is the test's AWS: moto, and the clients the checks use.
type env struct {
	t   *testing.T
	cfg aws.Config
	ec2 *ec2.Client
	s3  *s3.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	cfg := emulatortest.Config(t)
	return &env{t: t, cfg: cfg, ec2: ec2client.New(cfg), s3: s3client.New(cfg)}
}

// job builds the backup job against moto with vars over the test defaults
// (simulated time allowed, a breaker that does not get in the way).
func (e *env) job(vars map[string]string) *Job {
	e.t.Helper()
	all := map[string]string{
		"AWS_REGION": "us-east-1", "COMMANDER_ALLOW_SIMULATED_TIME": "true",
		"COMMANDER_BREAKER_MAX_COUNT": "1000", "COMMANDER_BREAKER_MAX_PERCENT": "100",
	}
	maps.Copy(all, vars)
	get := func(k string) string { return all[k] }
	s, err := settings.Load(get)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := LoadConfig(get, s)
	if err != nil {
		e.t.Fatal(err)
	}
	return &Job{Settings: s, Config: c, Clock: clock.Real{}, Metrics: io.Discard, Audit: eventbridgeclient.New(e.cfg),
		Regions: []Region{{Name: "us-east-1", EC2: e.ec2, S3: e.s3}}}
}

func scheduled(at string) []byte {
	return fmt.Appendf(nil, `{"version":"0","id":"ev-%s","detail-type":"Scheduled Event","source":"aws.scheduler","account":"123456789012","time":%q,"region":"us-east-1","resources":[%q],"detail":{"now":%q}}`, at, at, scheduleARN, at)
}

func (e *env) run(j *Job, raw []byte) *report.Report {
	e.t.Helper()
	r, err := j.Handle(context.Background(), raw)
	if err != nil && r.Status != report.StatusFailed {
		e.t.Fatalf("run: %v", err)
	}
	return r
}

func ec2Tags(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func (e *env) volume(kv ...string) string {
	e.t.Helper()
	in := &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(8)}
	if len(kv) > 0 {
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeVolume, Tags: ec2Tags(kv...)}}
	}
	out, err := e.ec2.CreateVolume(context.Background(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(out.VolumeId)
}

// instance runs an instance with a root and one data volume; it returns
// the instance and its volume ids.
func (e *env) instance(kv ...string) (string, []string) {
	e.t.Helper()
	in := &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: types.InstanceTypeT2Micro,
		Placement: &types.Placement{AvailabilityZone: aws.String("us-east-1a")}}
	if len(kv) > 0 {
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: ec2Tags(kv...)}}
	}
	out, err := e.ec2.RunInstances(context.Background(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	id := aws.ToString(out.Instances[0].InstanceId)
	data := e.volume()
	if _, err := e.ec2.AttachVolume(context.Background(), &ec2.AttachVolumeInput{VolumeId: aws.String(data), InstanceId: aws.String(id), Device: aws.String("/dev/sdf")}); err != nil {
		e.t.Fatal(err)
	}
	d, err := e.ec2.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		e.t.Fatal(err)
	}
	var vols []string
	for _, m := range d.Reservations[0].Instances[0].BlockDeviceMappings {
		vols = append(vols, aws.ToString(m.Ebs.VolumeId))
	}
	if len(vols) != 2 {
		e.t.Fatalf("instance %s has volumes %v, want a root and a data volume", id, vols)
	}
	return id, vols
}

// snapshots are this account's snapshots by source volume.
func (e *env) snapshots() map[string][]types.Snapshot {
	e.t.Helper()
	out, err := e.ec2.DescribeSnapshots(context.Background(), &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}})
	if err != nil {
		e.t.Fatal(err)
	}
	m := map[string][]types.Snapshot{}
	for _, s := range out.Snapshots {
		m[aws.ToString(s.VolumeId)] = append(m[aws.ToString(s.VolumeId)], s)
	}
	return m
}

func (e *env) tag(id string, kv ...string) {
	e.t.Helper()
	if _, err := e.ec2.CreateTags(context.Background(), &ec2.CreateTagsInput{Resources: []string{id}, Tags: ec2Tags(kv...)}); err != nil {
		e.t.Fatal(err)
	}
}

// createdAt lists the commander:created-at of snapshots, sorted.
func createdAt(list []types.Snapshot) []string {
	var out []string
	for _, s := range list {
		out = append(out, tags.EC2(s.Tags)[tags.CreatedAt])
	}
	sort.Strings(out)
	return out
}

func day(d int) string {
	return time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC).AddDate(0, 0, d).Format(time.RFC3339)
}

// Tagged volumes and instances get exactly one snapshot per scheduled time;
// untagged ones none; the same event twice makes nothing new.
func TestScheduledBackup(t *testing.T) {
	e := newEnv(t)
	tagged := e.volume(tags.Backup, "daily", "team", "storage", "Name", "data")
	plain := e.volume("team", "storage")
	inst, instVols := e.instance(tags.Backup, "daily", "app", "web")
	_, otherVols := e.instance("app", "web")
	e.tag(instVols[1], "disk", "logs", tags.Protect, "true")
	unknown := e.volume(tags.Backup, "hourly")
	j := e.job(nil)

	r := e.run(j, scheduled(day(0)))
	if r.Status != report.StatusOK || r.Count(ActionSnapshot, report.Done) != 3 {
		t.Fatalf("first run: status %s, counts %v, reason %s", r.Status, r.Counts, r.Reason)
	}
	if r.APICalls["EC2.CreateSnapshots"] != 1 || r.APICalls["EC2.CreateSnapshot"] != 1 {
		t.Errorf("want one CreateSnapshots for the instance and one CreateSnapshot for the volume, got %v", r.APICalls)
	}
	snaps := e.snapshots()
	for _, v := range append([]string{tagged}, instVols...) {
		if len(snaps[v]) != 1 {
			t.Errorf("volume %s has %d snapshots, want 1", v, len(snaps[v]))
		}
	}
	if r.Count(ActionSnapshot, report.Skipped) != 1 || !strings.Contains(strings.Join(reasonsOf(r, ActionSnapshot), ""), unknown+`: unknown backup policy "hourly"`) {
		t.Errorf("a volume under an unknown policy must be skipped with the reason: %v", reasonsOf(r, ActionSnapshot))
	}
	for _, v := range append([]string{plain, unknown}, otherVols...) {
		if len(snaps[v]) != 0 {
			t.Errorf("untagged volume %s has %d snapshots", v, len(snaps[v]))
		}
	}
	key := scheduleARN + "@" + day(0)
	wantTags := map[string]map[string]string{
		tagged:      {"team": "storage", "Name": "data", tags.ManagedBy: "commander", tags.BackupPolicy: "daily", SourceVolume: tagged, tags.RunKey: key, tags.CreatedAt: day(0)},
		instVols[1]: {"app": "web", "disk": "logs", tags.BackupPolicy: "daily", SourceVolume: instVols[1], SourceInstance: inst, tags.RunKey: key},
	}
	for v, want := range wantTags {
		got := tags.EC2(snaps[v][0].Tags)
		for k, val := range want {
			if got[k] != val {
				t.Errorf("snapshot of %s: tag %s = %q, want %q (all: %v)", v, k, got[k], val, got)
			}
		}
		for k := range got {
			if k == tags.Backup || k == tags.Protect || strings.HasPrefix(k, "aws:") {
				t.Errorf("snapshot of %s carries %s, which must not be copied", v, k)
			}
		}
	}

	again := e.run(j, scheduled(day(0)))
	if again.Count(ActionSnapshot, report.Done) != 0 || again.Count(ActionSnapshot, report.Skipped) != 4 {
		t.Errorf("same event again: counts %v", again.Counts)
	}
	if n := len(e.snapshots()[tagged]); n != 1 {
		t.Errorf("same event again made a second snapshot: %d", n)
	}

	next := e.run(j, scheduled(day(1)))
	if next.Count(ActionSnapshot, report.Done) != 3 {
		t.Errorf("next scheduled time: counts %v", next.Counts)
	}
	for _, v := range append([]string{tagged}, instVols...) {
		if n := len(e.snapshots()[v]); n != 2 {
			t.Errorf("volume %s has %d snapshots after two scheduled times, want 2", v, n)
		}
	}
}

// The root volume of a tagged instance is left out when configured.
func TestExcludeRoot(t *testing.T) {
	e := newEnv(t)
	_, vols := e.instance(tags.Backup, "daily")
	r := e.run(e.job(map[string]string{"COMMANDER_BACKUP_EXCLUDE_ROOT": "true"}), scheduled(day(0)))
	s := e.snapshots()
	if len(s[vols[0]]) != 0 || len(s[vols[1]]) != 1 {
		t.Errorf("root %d snapshots, data %d; want 0 and 1 (counts %v)", len(s[vols[0]]), len(s[vols[1]]), r.Counts)
	}
}

// Retention by count, by age (simulated now) and by rotation, each run
// on increasing scheduled times.
func TestRetention(t *testing.T) {
	cases := []struct {
		name   string
		vars   map[string]string
		policy string
		days   []int // scheduled runs, days after 2026-01-01
		want   []int // days whose snapshots remain
	}{
		{name: "newest N", vars: map[string]string{"COMMANDER_BACKUP_POLICIES": "count=last:2"}, policy: "count", days: []int{0, 1, 2, 3}, want: []int{2, 3}},
		{name: "fewer than N", vars: map[string]string{"COMMANDER_BACKUP_POLICIES": "count=last:5"}, policy: "count", days: []int{0, 1, 2}, want: []int{0, 1, 2}},
		{name: "age: daily keeps COMMANDER_BACKUP_RETENTION_DAYS", vars: map[string]string{"COMMANDER_BACKUP_RETENTION_DAYS": "3"}, policy: "daily", days: []int{0, 1, 2, 3, 4, 5}, want: []int{3, 4, 5}},
		{name: "age with a gap: the newest is always kept", vars: map[string]string{"COMMANDER_BACKUP_RETENTION_DAYS": "3"}, policy: "daily", days: []int{0, 1, 40}, want: []int{40}},
		// 2026-01-01 is a Thursday: ISO week 1 ends on the 4th.
		{name: "rotation: 2 daily, 2 weekly", vars: map[string]string{"COMMANDER_BACKUP_POLICIES": "gfs=daily:2,weekly:2"}, policy: "gfs", days: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, want: []int{3, 8, 9}},
		{name: "weekly built-in backs up once a week", policy: "weekly", days: []int{0, 1, 2, 3, 4, 5, 11}, want: []int{0, 4, 11}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			vol := e.volume(tags.Backup, c.policy)
			j := e.job(c.vars)
			for _, d := range c.days {
				if r := e.run(j, scheduled(day(d))); r.Status != report.StatusOK {
					t.Fatalf("run on day %d: %s %s %v", d, r.Status, r.Reason, r.Errors)
				}
			}
			var want []string
			for _, d := range c.want {
				want = append(want, day(d))
			}
			if got := createdAt(e.snapshots()[vol]); !slices.Equal(got, want) {
				t.Errorf("snapshots taken at %v, want %v", got, want)
			}
		})
	}
}

// failingEC2 makes CreateSnapshot fail, as a full snapshot quota would.
type failingEC2 struct{ *ec2.Client }

func (failingEC2) CreateSnapshot(context.Context, *ec2.CreateSnapshotInput, ...func(*ec2.Options)) (*ec2.CreateSnapshotOutput, error) {
	return nil, errors.New("SnapshotLimitExceeded: simulated")
}

// Retention never deletes what it must keep.
func TestNeverDelete(t *testing.T) {
	ctx := context.Background()
	vars := map[string]string{"COMMANDER_BACKUP_POLICIES": "one=last:1;short=days:1"}

	t.Run("protected, AWS Backup and AMI snapshots", func(t *testing.T) {
		e := newEnv(t)
		vol := e.volume(tags.Backup, "one")
		j := e.job(vars)
		e.run(j, scheduled(day(0)))
		protected := aws.ToString(e.snapshots()[vol][0].SnapshotId)
		e.tag(protected, "Commander:Protect", "true") // the key in another case protects too (guard.Protected)
		e.run(j, scheduled(day(1)))
		var awsBackup string
		for _, s := range e.snapshots()[vol] {
			if aws.ToString(s.SnapshotId) != protected {
				awsBackup = aws.ToString(s.SnapshotId)
			}
		}
		e.tag(awsBackup, AWSBackupTag, "arn:aws:ec2:us-east-1:123456789012:volume/"+vol)
		e.run(j, scheduled(day(2))) // a plain backup, which day 3's retention deletes

		// An AMI's snapshot that carries our tags, as if an AMI was registered from a backup.
		inst, _ := e.instance()
		img, err := e.ec2.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(inst), Name: aws.String("from-backup")})
		if err != nil {
			t.Fatal(err)
		}
		imgs, err := e.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{aws.ToString(img.ImageId)}})
		if err != nil {
			t.Fatal(err)
		}
		amiSnap := aws.ToString(imgs.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId)
		e.tag(amiSnap, tags.ManagedBy, "commander", tags.BackupPolicy, "one", SourceVolume, vol, tags.CreatedAt, day(-5))

		r := e.run(j, scheduled(day(3)))
		left := map[string]bool{}
		for _, s := range e.snapshots()[vol] {
			left[aws.ToString(s.SnapshotId)] = true
		}
		for _, id := range []string{protected, awsBackup} {
			if !left[id] {
				t.Errorf("snapshot %s was deleted; report %+v", id, r.Sorted())
			}
		}
		if !e.snapshotExists(amiSnap) {
			t.Errorf("the AMI's snapshot %s was deleted", amiSnap)
		}
		if len(left) != 3 || r.Count(ActionDelete, report.Done) != 1 {
			t.Errorf("want day 2's snapshot deleted and the rest kept: left %v, counts %v", left, r.Counts)
		}
		reasons := strings.Join(reasonsOf(r, ActionKeep), "\n")
		for _, want := range []string{"protected", "AWS Backup", "used by an AMI"} {
			if !strings.Contains(reasons, want) {
				t.Errorf("no keep reason mentions %q:\n%s", want, reasons)
			}
		}
	})

	t.Run("newest snapshot of a volume that still exists", func(t *testing.T) {
		e := newEnv(t)
		vol := e.volume(tags.Backup, "short")
		j := e.job(vars)
		e.run(j, scheduled(day(0)))
		if _, err := e.ec2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{vol}, Tags: ec2Tags(tags.Backup, "short")}); err != nil {
			t.Fatal(err)
		}
		r := e.run(j, scheduled(day(10)))
		if n := len(e.snapshots()[vol]); n != 1 {
			t.Fatalf("the only snapshot of an existing volume was deleted (%d left): %+v", n, r.Sorted())
		}
		if _, err := e.ec2.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(vol)}); err != nil {
			t.Fatal(err)
		}
		r = e.run(j, scheduled(day(11)))
		if n := len(e.snapshots()[vol]); n != 0 || r.Count(ActionDelete, report.Done) != 1 {
			t.Errorf("after the volume is gone its expired snapshot goes: %d left, counts %v", n, r.Counts)
		}
	})

	t.Run("a failed backup holds pruning", func(t *testing.T) {
		e := newEnv(t)
		vol := e.volume(tags.Backup, "one")
		j := e.job(vars)
		e.run(j, scheduled(day(0)))
		e.run(j, scheduled(day(1)))
		j.Regions[0].EC2 = failingEC2{e.ec2}
		r := e.run(j, scheduled(day(5)))
		if n := len(e.snapshots()[vol]); n != 1 {
			t.Fatalf("%d snapshots, want the one last:1 keeps", n)
		}
		// With an older backup beside the newest, a failed run still deletes nothing.
		j.Regions[0].EC2 = e.ec2
		e.run(j, scheduled(day(6)))
		if _, err := e.ec2.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: aws.String(vol), TagSpecifications: []types.TagSpecification{{
			ResourceType: types.ResourceTypeSnapshot, Tags: ec2Tags(tags.ManagedBy, "commander", tags.BackupPolicy, "one", SourceVolume, vol, tags.CreatedAt, day(3))}}}); err != nil {
			t.Fatal(err)
		}
		j.Regions[0].EC2 = failingEC2{e.ec2}
		r = e.run(j, scheduled(day(7)))
		if n := len(e.snapshots()[vol]); n != 2 {
			t.Errorf("a failed backup let retention prune: %d snapshots left, want 2", n)
		}
		if r.Status != report.StatusPartial || r.Count(ActionSnapshot, report.Failed) != 1 || !strings.Contains(strings.Join(reasonsOf(r, ActionKeep), "\n"), "pruning waits") {
			t.Errorf("status %s counts %v keeps %v", r.Status, r.Counts, reasonsOf(r, ActionKeep))
		}
	})
}

func (e *env) snapshotExists(id string) bool {
	out, err := e.ec2.DescribeSnapshots(context.Background(), &ec2.DescribeSnapshotsInput{
		Filters: []types.Filter{{Name: aws.String("snapshot-id"), Values: []string{id}}}})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(out.Snapshots) == 1
}

func reasonsOf(r *report.Report, action string) []string {
	var out []string
	for _, d := range r.Sorted() {
		if d.Action == action {
			out = append(out, d.Resource+": "+d.Reason)
		}
	}
	return out
}

// Too many deletions trip the breaker: nothing is deleted, the report says so.
func TestBreakerTrips(t *testing.T) {
	e := newEnv(t)
	var vols []string
	for range 3 {
		vols = append(vols, e.volume(tags.Backup, "keep"))
	}
	loose := e.job(map[string]string{"COMMANDER_BACKUP_POLICIES": "keep=last:10"})
	for d := range 3 {
		e.run(loose, scheduled(day(d)))
	}
	strict := e.job(map[string]string{"COMMANDER_BACKUP_POLICIES": "keep=last:1", "COMMANDER_BREAKER_MAX_COUNT": "3"})
	r := e.run(strict, scheduled(day(3)))
	if r.Status != report.StatusPartial || !strings.Contains(r.Reason, "circuit breaker") {
		t.Errorf("status %s, reason %q", r.Status, r.Reason)
	}
	if r.Count(ActionDelete, report.Skipped) != 9 || r.Count(ActionDelete, report.Done) != 0 {
		t.Errorf("counts %v", r.Counts)
	}
	for _, v := range vols {
		if n := len(e.snapshots()[v]); n != 4 {
			t.Errorf("volume %s: %d snapshots, want all 4 kept", v, n)
		}
	}
	// By percentage: 9 of 12 candidates is 75%.
	pct := e.job(map[string]string{"COMMANDER_BACKUP_POLICIES": "keep=last:1", "COMMANDER_BREAKER_MAX_PERCENT": "50", "COMMANDER_BREAKER_MIN_COUNT": "2"})
	r = e.run(pct, scheduled(day(4)))
	if !strings.Contains(r.Reason, "COMMANDER_BREAKER_MAX_PERCENT") || r.Count(ActionDelete, report.Done) != 0 {
		t.Errorf("percentage breaker: reason %q counts %v", r.Reason, r.Counts)
	}
	// The cap holds per run, across the deadline hand-over: a follow-up whose
	// earlier hops were allowed 6 deletions may not delete 15 more (5 per
	// volume) under a cap of 20; the same run started afresh may.
	capped := e.job(map[string]string{"COMMANDER_BACKUP_POLICIES": "keep=last:1", "COMMANDER_BREAKER_MAX_COUNT": "20"})
	key := scheduleARN + "@" + day(5)
	follow := fmt.Appendf(nil, `{"continuation":{"event":%s,"key":%q,"hop":1,"breaker":{"actions":{"retention":6}}}}`, scheduled(day(5)), key)
	r = e.run(capped, follow)
	if !strings.Contains(r.Reason, "6 of them were allowed earlier in this run") || r.Count(ActionDelete, report.Done) != 0 || r.Count(ActionDelete, report.Skipped) != 15 {
		t.Errorf("follow-up over the run's cap: reason %q counts %v", r.Reason, r.Counts)
	}
	tripped := fmt.Appendf(nil, `{"continuation":{"event":%s,"key":%q,"hop":2,"breaker":{"tripped":["retention"]}}}`, scheduled(day(5)), key)
	if r = e.run(capped, tripped); !strings.Contains(r.Reason, "tripped earlier in this run (in an earlier invocation)") || r.Count(ActionDelete, report.Done) != 0 {
		t.Errorf("follow-up after a trip: reason %q counts %v", r.Reason, r.Counts)
	}
	if _, err := capped.Handle(context.Background(), []byte(strings.Replace(string(follow), `"retention":6`, `"retention":-1`, 1))); err == nil || !strings.Contains(err.Error(), "continuation.breaker.actions.retention") {
		t.Errorf("a negative ledger: %v", err)
	}
	if r = e.run(capped, scheduled(day(5))); r.Count(ActionDelete, report.Done) != 15 || r.Count(ActionSnapshot, report.Done) != 0 {
		t.Errorf("fresh run under the cap: %s %q %v", r.Status, r.Reason, r.Counts)
	}
}

func (e *env) bucket(name string, kv ...string) {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		e.t.Fatal(err)
	}
	if len(kv) > 0 {
		var ts []s3types.Tag
		for i := 0; i+1 < len(kv); i += 2 {
			ts = append(ts, s3types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
		}
		if _, err := e.s3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(name), Tagging: &s3types.Tagging{TagSet: ts}}); err != nil {
			e.t.Fatal(err)
		}
	}
}

var userRule = s3types.LifecycleRule{
	ID: aws.String("user-logs"), Status: s3types.ExpirationStatusEnabled,
	Filter:     &s3types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
	Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(90)},
}

func (e *env) rules(bucket string) map[string]s3types.LifecycleRule {
	e.t.Helper()
	out, err := e.s3.GetBucketLifecycleConfiguration(context.Background(), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	if err != nil {
		e.t.Fatal(err)
	}
	m := map[string]s3types.LifecycleRule{}
	for _, r := range out.Rules {
		m[aws.ToString(r.ID)] = r
	}
	return m
}

// Tagged buckets get versioning, encryption, Block Public Access and our
// lifecycle rule; a user's own rule survives; untagged buckets are untouched.
func TestS3Enforcement(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("backups", tags.Backup, "weekly")
	e.bucket("other")
	if _, err := e.s3.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("backups"),
		LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: []s3types.LifecycleRule{userRule}}}); err != nil {
		t.Fatal(err)
	}
	j := e.job(nil)
	r := e.run(j, scheduled(day(0)))
	for _, a := range []string{ActionVersioning, ActionEncryption, ActionPublicAccess, ActionLifecycle} {
		if r.Count(a, report.Done) != 1 {
			t.Errorf("%s: counts %v", a, r.Counts)
		}
	}
	v, err := e.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("backups")})
	if err != nil || v.Status != s3types.BucketVersioningStatusEnabled {
		t.Errorf("versioning %v %v", v, err)
	}
	enc, err := e.s3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("backups")})
	if err != nil || enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != s3types.ServerSideEncryptionAes256 {
		t.Errorf("encryption: %v", err)
	}
	pab, err := e.s3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("backups")})
	if err != nil || len(publicAccessOff(pab, nil)) != 0 {
		t.Errorf("public access block: %v", err)
	}
	rules := e.rules("backups")
	if u, ok := rules["user-logs"]; !ok || aws.ToInt32(u.Expiration.Days) != 90 {
		t.Errorf("the user's rule did not survive: %+v", rules)
	}
	if ours, ok := rules[LifecycleRuleID]; !ok || aws.ToInt32(ours.NoncurrentVersionExpiration.NoncurrentDays) != 84 {
		t.Errorf("our rule missing or wrong (weekly keeps 12 weeks = 84 days): %+v", rules)
	}
	if _, err := e.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("other")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("other")}); err == nil {
		t.Error("the untagged bucket got a lifecycle configuration")
	}

	// Compliant now; then someone edits our rule: only that is fixed, their rule stays.
	if r := e.run(j, scheduled(day(1))); r.Count(ActionCheck, report.Skipped) != 1 || len(r.Counts) != 1 {
		t.Errorf("second run should find the bucket compliant: %v", r.Counts)
	}
	bad, _ := MergeLifecycle([]s3types.LifecycleRule{userRule}, 5)
	if _, err := e.s3.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("backups"),
		LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: bad}}); err != nil {
		t.Fatal(err)
	}
	r = e.run(j, scheduled(day(2)))
	if r.Count(ActionLifecycle, report.Done) != 1 || !strings.Contains(strings.Join(reasonsOf(r, ActionLifecycle), ""), "after 5 days, not 84") {
		t.Errorf("edited rule: %v %v", r.Counts, reasonsOf(r, ActionLifecycle))
	}
	rules = e.rules("backups")
	if len(rules) != 2 || aws.ToInt32(rules[LifecycleRuleID].NoncurrentVersionExpiration.NoncurrentDays) != 84 {
		t.Errorf("rules after the fix: %+v", rules)
	}
}

// account is a full description of what the job could touch.
func (e *env) account() string {
	e.t.Helper()
	ctx := context.Background()
	var parts []any
	add := func(v any, err error) {
		if err != nil {
			e.t.Fatal(err)
		}
		parts = append(parts, v)
	}
	add(e.ec2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{}))
	add(e.ec2.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}}))
	add(e.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}))
	add(e.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}}))
	buckets, err := e.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	add(buckets, err)
	for _, b := range buckets.Buckets {
		in := aws.String(aws.ToString(b.Name))
		add(e.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: in}))
		add(e.s3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: in}))
		for _, call := range []func() (any, error){
			func() (any, error) { return e.s3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: in}) },
			func() (any, error) { return e.s3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: in}) },
			func() (any, error) {
				return e.s3.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: in})
			},
		} {
			v, err := call()
			if err != nil {
				v = errCode(err) // an absent configuration reads as its error code
			}
			parts = append(parts, v)
		}
	}
	b, err := json.MarshalIndent(parts, "", " ")
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func errCode(err error) string {
	s := err.Error()
	if i := strings.Index(s, "api error "); i >= 0 {
		s = s[i:]
		if j := strings.Index(s, ":"); j >= 0 {
			return s[:j]
		}
	}
	return s
}

// A dry run returns the whole plan and leaves the account as it was.
func TestDryRunChangesNothing(t *testing.T) {
	e := newEnv(t)
	vol := e.volume(tags.Backup, "daily")
	e.instance(tags.Backup, "daily")
	e.bucket("backups", tags.Backup, "daily")
	j := e.job(map[string]string{"COMMANDER_BACKUP_RETENTION_DAYS": "2", "COMMANDER_BACKUP_S3": "false"})
	for d := range 3 {
		e.run(j, scheduled(day(d)))
	}
	j = e.job(map[string]string{"COMMANDER_BACKUP_RETENTION_DAYS": "2"})
	before := e.account()
	r := e.run(j, fmt.Appendf(nil, `{"dryRun":true,"now":%q}`, day(10)))
	after := e.account()
	if before != after {
		t.Errorf("the dry run changed the account:\nbefore %s\nafter %s", before, after)
	}
	if !r.DryRun || r.Count(ActionSnapshot, report.Planned) != 3 || r.Count(ActionDelete, report.Planned) != 3 ||
		r.Count(ActionVersioning, report.Planned) != 1 || r.Count(ActionLifecycle, report.Planned) != 1 {
		t.Errorf("plan counts %v", r.Counts)
	}
	for _, d := range r.Resources {
		if d.Outcome == report.Done {
			t.Errorf("dry run did %+v", d)
		}
	}
	// Retention (2 days) left day 1 and day 2; day 1 is planned for deletion, day 2 is the newest.
	if n := len(e.snapshots()[vol]); n != 2 {
		t.Errorf("%d snapshots after the dry run, want 2", n)
	}
	// COMMANDER_DRY_RUN=true makes every run a dry run, whatever the event says.
	forced := e.job(map[string]string{"COMMANDER_DRY_RUN": "true"})
	if r := e.run(forced, fmt.Appendf(nil, `{"dryRun":false,"now":%q}`, day(11))); !r.DryRun || e.account() != before {
		t.Errorf("COMMANDER_DRY_RUN=true did not hold")
	}
}

// The audit event reaches the configured bus.
func TestAuditEvent(t *testing.T) {
	e := newEnv(t)
	e.volume(tags.Backup, "daily")
	rule := emulatortest.NewRule(t, e.cfg, "commander-audit", `{"source":["commander"],"detail-type":["Commander Backup Completed"]}`)
	r := e.run(e.job(map[string]string{"COMMANDER_EVENT_BUS": "commander-audit"}), scheduled(day(0)))
	if r.Status != report.StatusOK {
		t.Fatalf("status %s: %s", r.Status, r.Reason)
	}
	got := rule.Receive(t, 1)
	if len(got) != 1 {
		t.Fatalf("audit events received: %d, want 1", len(got))
	}
	var detail struct {
		Counts         map[string]int `json:"counts"`
		IdempotencyKey string         `json:"idempotencyKey"`
	}
	if err := json.Unmarshal(got[0].Detail, &detail); err != nil {
		t.Fatal(err)
	}
	ev := struct {
		DetailType string
		Detail     struct {
			Counts         map[string]int `json:"counts"`
			IdempotencyKey string         `json:"idempotencyKey"`
		}
	}{got[0].DetailType, detail}
	if ev.DetailType != "Commander Backup Completed" || ev.Detail.Counts["snapshot.done"] != 1 || ev.Detail.IdempotencyKey != scheduleARN+"@"+day(0) {
		t.Errorf("audit event %+v", ev)
	}
}

func TestRefusals(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, event string
		vars        map[string]string
		want        string
	}{
		{"simulated now refused by default", `{"now":"2026-01-01T00:00:00Z"}`, map[string]string{"COMMANDER_ALLOW_SIMULATED_TIME": "false"}, "COMMANDER_ALLOW_SIMULATED_TIME"},
		{"unknown policy", `{"policy":"hourly"}`, nil, `unknown backup policy "hourly"`},
		{"unknown field", `{"dry_run":true}`, nil, `unknown field "dry_run"`},
		{"http", `{"version":"2.0","routeKey":"POST /backup","rawPath":"/backup","requestContext":{"requestId":"r"}}`, nil, "HTTP"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.job(c.vars).Handle(context.Background(), []byte(c.event))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

// A run for one policy touches only that policy's resources; a volume's own
// tag wins over its instance's.
func TestPolicyRun(t *testing.T) {
	e := newEnv(t)
	_, vols := e.instance(tags.Backup, "daily")
	e.tag(vols[1], tags.Backup, "weekly")
	j := e.job(nil)
	r := e.run(j, fmt.Appendf(nil, `{"policy":"daily","now":%q}`, day(0)))
	s := e.snapshots()
	if len(s[vols[0]]) != 1 || len(s[vols[1]]) != 0 || r.APICalls["EC2.CreateSnapshots"] != 0 {
		t.Fatalf("daily run: root %d, data %d snapshots; calls %v", len(s[vols[0]]), len(s[vols[1]]), r.APICalls)
	}
	r = e.run(j, fmt.Appendf(nil, `{"policy":"weekly","now":%q}`, day(0)))
	s = e.snapshots()
	if len(s[vols[0]]) != 1 || len(s[vols[1]]) != 1 || tags.EC2(s[vols[1]][0].Tags)[tags.BackupPolicy] != "weekly" {
		t.Errorf("weekly run: root %d, data %d snapshots; counts %v", len(s[vols[0]]), len(s[vols[1]]), r.Counts)
	}
}

// New backups are copied to another region, encrypted with the given key,
// once each, and the copies follow their own retention there.
func TestCrossRegionCopy(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	vol := e.volume(tags.Backup, "dr")
	j := e.job(map[string]string{"COMMANDER_BACKUP_POLICIES": "dr=last:3,copy:eu-west-1,copykms:alias/commander-dr,copydays:2"})
	dest := ec2client.New(awsclient.InRegion(e.cfg, "eu-west-1"))
	j.Regions = append(j.Regions, Region{Name: "eu-west-1", EC2: dest, CopiesOnly: true})
	if got := j.Config.CopyRegions(); !slices.Equal(got, []string{"eu-west-1"}) {
		t.Fatalf("copy regions %v", got)
	}
	copies := func() []types.Snapshot {
		out, err := dest.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"},
			Filters: []types.Filter{{Name: aws.String("tag-key"), Values: []string{CopyOf}}}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Snapshots
	}
	deleted := map[string]int{} // by report section
	for d := range 4 {
		r := e.run(j, scheduled(day(d)))
		if r.Status != report.StatusOK || r.Count(ActionCopy, report.Done) != 1 {
			t.Fatalf("day %d: %s %s counts %v", d, r.Status, r.Reason, r.Counts)
		}
		if len(r.Sections) != 2 || r.Sections[0].Counts[ActionCopy+"."+report.Done] != 1 {
			t.Fatalf("day %d: sections %+v, want the source's with its copy, then the destination's", d, r.Sections)
		}
		for _, sec := range r.Sections {
			deleted[sec.Region] += sec.Counts[ActionDelete+"."+report.Done]
		}
	}
	// 4 backups, 3 kept at the source; 4 copies, 2 kept at the destination.
	if deleted["us-east-1"] != 1 || deleted["eu-west-1"] != 2 {
		t.Errorf("deletions by section %v, want us-east-1 1 and eu-west-1 2", deleted)
	}
	if got := createdAt(e.snapshots()[vol]); !slices.Equal(got, []string{day(1), day(2), day(3)}) {
		t.Errorf("source keeps its last 3: %v", got)
	}
	cs := copies()
	if got := createdAt(cs); !slices.Equal(got, []string{day(2), day(3)}) {
		t.Errorf("copies follow copydays:2: %v", got)
	}
	for _, c := range cs {
		tm := tags.EC2(c.Tags)
		if tm[tags.BackupPolicy] != "dr@copy" || tm[SourceRegion] != "us-east-1" || tm[SourceVolume] != vol || tm[CopyOf] == "" {
			t.Errorf("copy tags %v", tm)
		}
		if !aws.ToBool(c.Encrypted) || aws.ToString(c.KmsKeyId) != "alias/commander-dr" {
			t.Errorf("copy encrypted %v with %q, want the policy's key", aws.ToBool(c.Encrypted), aws.ToString(c.KmsKeyId))
		}
	}
	// The same event again copies nothing new.
	r := e.run(j, scheduled(day(3)))
	if r.Count(ActionCopy, report.Done) != 0 || r.Count(ActionCopy, report.Skipped) != 1 || len(copies()) != 2 {
		t.Errorf("redelivery: counts %v, %d copies", r.Counts, len(copies()))
	}
}

// A volume tagged with its instance's policy stays in the instance's
// crash-consistent set.
func TestInstanceSetWithTaggedVolume(t *testing.T) {
	e := newEnv(t)
	inst, vols := e.instance(tags.Backup, "daily", "app", "db")
	e.tag(vols[1], tags.Backup, "daily", "disk", "data")
	r := e.run(e.job(nil), scheduled(day(0)))
	if r.APICalls["EC2.CreateSnapshots"] != 1 || r.APICalls["EC2.CreateSnapshot"] != 0 || r.Count(ActionSnapshot, report.Done) != 2 {
		t.Fatalf("calls %v counts %v", r.APICalls, r.Counts)
	}
	got := tags.EC2(e.snapshots()[vols[1]][0].Tags)
	if got[SourceInstance] != inst || got["app"] != "db" || got["disk"] != "data" || got[SourceVolume] != vols[1] {
		t.Errorf("tags %v", got)
	}
}
