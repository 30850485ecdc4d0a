package demo

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/emulator"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The demo's scenario, run as make demo runs it, leaves the account in the
// state the story tells: backed up, cleaned up after the grace period, the
// alarmed server stopped, and the protected instance untouched.
func TestScenario(t *testing.T) {
	steps, err := Scenario()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE", "AWS_CA_BUNDLE", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, os.Getenv(k)) // Run points this process at its emulator; restore afterwards
	}
	opts := Options{Reports: t.TempDir(), Out: io.Discard, Logs: io.Discard, Build: t.TempDir()}
	if testing.Verbose() {
		opts.Out = os.Stdout
	}
	var checked bool
	res, err := Run(context.Background(), opts, steps, func(cfg aws.Config, res Result) error {
		checked = true
		checkState(t, cfg, res.Estate)
		return nil
	})
	if errors.Is(err, emulator.ErrMissing) && os.Getenv("CI") != "true" {
		t.Skipf("emulator unavailable (CI=true makes this a failure): %v", err)
	}
	if err != nil {
		for _, o := range res.Failed() {
			t.Errorf("step %q (%s) failed: %v", o.Step.Title, o.Step.Function, o.Err)
		}
		t.Fatalf("demo: %v", err)
	}
	if !checked {
		t.Fatal("the state was never inspected")
	}
}

func checkState(t *testing.T, cfg aws.Config, e Estate) {
	t.Helper()
	ctx := context.Background()
	compute := ec2client.New(cfg)

	states := map[string]ec2types.InstanceStateName{}
	instTags := map[string]map[string]string{}
	out, err := compute.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{e.Web, e.OldBatch, e.Protected, e.Temporary, e.DevBox}})
	if err != nil {
		t.Fatalf("describe instances: %v", err)
	}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			id := aws.ToString(i.InstanceId)
			states[id] = i.State.Name
			instTags[id] = map[string]string{}
			for _, tg := range i.Tags {
				instTags[id][aws.ToString(tg.Key)] = aws.ToString(tg.Value)
			}
		}
	}
	instances := []struct {
		name, id string
		want     ec2types.InstanceStateName
	}{
		{"web server stopped by its alarm", e.Web, ec2types.InstanceStateNameStopped},
		{"instance stopped long ago terminated after the grace", e.OldBatch, ec2types.InstanceStateNameTerminated},
		{"expired temporary instance terminated", e.Temporary, ec2types.InstanceStateNameTerminated},
		{"protected instance left stopped", e.Protected, ec2types.InstanceStateNameStopped},
		{"dev box stopped by its office-hours schedule", e.DevBox, ec2types.InstanceStateNameStopped},
	}
	for _, c := range instances {
		if states[c.id] != c.want {
			t.Errorf("%s: %s is %q, want %q", c.name, c.id, states[c.id], c.want)
		}
	}
	if _, marked := instTags[e.Protected][tags.CleanupDue]; marked {
		t.Errorf("protected instance %s was marked for cleanup: %v", e.Protected, instTags[e.Protected])
	}

	_, err = compute.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{e.Scratch}})
	if err == nil {
		t.Errorf("unattached volume %s still exists after the grace period", e.Scratch)
	}
	snaps, err := compute.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag-key"), Values: []string{tags.ManagedBy}}}})
	if err != nil {
		t.Fatalf("describe snapshots: %v", err)
	}
	var backups, finals int
	for _, s := range snaps.Snapshots {
		vol := aws.ToString(s.VolumeId)
		for _, tg := range s.Tags {
			switch {
			case aws.ToString(tg.Key) == tags.BackupPolicy && vol == e.BackedUp:
				backups++
			case aws.ToString(tg.Key) == "commander:final-snapshot-of" && aws.ToString(tg.Value) == e.Scratch:
				finals++
			}
		}
	}
	if backups != 1 {
		t.Errorf("volume %s has %d backup snapshots, want 1", e.BackedUp, backups)
	}
	if finals != 1 {
		t.Errorf("deleted volume %s has %d final snapshots, want 1", e.Scratch, finals)
	}
	if _, err := compute.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{e.OldSnapshot}}); err != nil {
		t.Errorf("the manual snapshot %s (younger than the 90-day orphan rule) is gone: %v", e.OldSnapshot, err)
	}

	v, err := s3client.New(cfg).GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(e.BackupBucket)})
	if err != nil || v.Status != s3types.BucketVersioningStatusEnabled {
		t.Errorf("backup bucket versioning = %v (%v), want Enabled", v, err)
	}
	if _, err := iamclient.New(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(e.UnusedRole)}); err == nil {
		t.Errorf("unused role %s still exists", e.UnusedRole)
	}

	// What the api requests created and deleted.
	launched, err := compute.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:Name"), Values: []string{"commander-demo-web"}},
		{Name: aws.String("tag:" + tags.ManagedBy), Values: []string{tags.ManagedByValue}}}})
	if err != nil || len(launched.Reservations) != 1 || len(launched.Reservations[0].Instances) != 1 {
		t.Errorf("instances launched through the api: %v (%v), want exactly one", launched, err)
	}
	if _, err := s3client.New(cfg).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("commander-demo-bucket")}); err == nil {
		t.Error("bucket commander-demo-bucket, deleted through the api, still exists")
	}
	for _, role := range []string{"commander-demo-lambda", "commander-demo-ec2"} {
		if _, err := iamclient.New(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)}); err == nil {
			t.Errorf("role %s, deleted through the api, still exists", role)
		}
	}
}
