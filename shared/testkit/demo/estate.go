package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Estate is the small, realistic account the demo seeds, by role.
type Estate struct {
	Seeded       time.Time // when it was seeded ("now" in the emulator)
	Web          string    // running instance with a CPU alarm tagged commander:on-alarm=stop
	WebAlarm     string
	OldBatch     string // stopped long ago (by simulated time)
	Protected    string // stopped, commander:protect=true: every job must leave it alone
	Temporary    string // commander:expires-at in the near future
	DevBox       string // running, commander:schedule=office-hours: the scheduler stops it in the evening
	Scratch      string // unattached volume
	BackedUp     string // volume tagged commander:backup=daily, attached to web
	OldSnapshot  string // snapshot of the scratch volume
	BackupBucket string // tagged commander:backup=daily, versioning off
	UnusedRole   string // created by this system, never used
}

// Seed creates the estate through the SDK.
func Seed(ctx context.Context, cfg aws.Config, now time.Time) (Estate, error) {
	e := Estate{Seeded: now, BackupBucket: "commander-demo-backups", UnusedRole: "commander-demo-unused"}
	compute := ec2client.New(cfg)
	ami, err := amazonLinux(ctx, compute)
	if err != nil {
		return e, err
	}
	launch := func(name string, extra map[string]string) (string, error) {
		kv := map[string]string{"Name": name}
		for k, v := range extra {
			kv[k] = v
		}
		out, err := compute.RunInstances(ctx, &ec2.RunInstancesInput{
			ImageId: aws.String(ami), InstanceType: ec2types.InstanceTypeT2Micro, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			Placement:         &ec2types.Placement{AvailabilityZone: aws.String("us-east-1a")},
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: ec2Tags(kv)}},
		})
		if err != nil {
			return "", fmt.Errorf("launch %s: %w", name, err)
		}
		return aws.ToString(out.Instances[0].InstanceId), nil
	}
	if e.Web, err = launch("web", nil); err != nil {
		return e, err
	}
	if e.OldBatch, err = launch("old-batch", nil); err != nil {
		return e, err
	}
	if e.Protected, err = launch("ledger-db", map[string]string{tags.Protect: "true"}); err != nil {
		return e, err
	}
	if e.Temporary, err = launch("load-test", map[string]string{tags.ExpiresAt: now.Add(24 * time.Hour).Format(time.RFC3339)}); err != nil {
		return e, err
	}
	if e.DevBox, err = launch("dev-box", map[string]string{tags.Schedule: "office-hours"}); err != nil {
		return e, err
	}
	if _, err := compute.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{e.OldBatch, e.Protected}}); err != nil {
		return e, fmt.Errorf("stop instances: %w", err)
	}

	vol := func(name string, extra map[string]string) (string, error) {
		kv := map[string]string{"Name": name}
		for k, v := range extra {
			kv[k] = v
		}
		out, err := compute.CreateVolume(ctx, &ec2.CreateVolumeInput{
			AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(8), VolumeType: ec2types.VolumeTypeGp3, Encrypted: aws.Bool(true),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVolume, Tags: ec2Tags(kv)}},
		})
		if err != nil {
			return "", fmt.Errorf("create volume %s: %w", name, err)
		}
		return aws.ToString(out.VolumeId), nil
	}
	if e.Scratch, err = vol("scratch", nil); err != nil {
		return e, err
	}
	if e.BackedUp, err = vol("web-data", map[string]string{tags.Backup: "daily"}); err != nil {
		return e, err
	}
	if _, err := compute.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: aws.String(e.BackedUp), InstanceId: aws.String(e.Web), Device: aws.String("/dev/sdf")}); err != nil {
		return e, fmt.Errorf("attach %s: %w", e.BackedUp, err)
	}
	snap, err := compute.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: aws.String(e.Scratch), Description: aws.String("manual copy before an upgrade")})
	if err != nil {
		return e, fmt.Errorf("snapshot %s: %w", e.Scratch, err)
	}
	e.OldSnapshot = aws.ToString(snap.SnapshotId)

	watch := cloudwatchclient.New(cfg)
	e.WebAlarm = "commander-cpu-" + e.Web
	if _, err := watch.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(e.WebAlarm), Namespace: aws.String("AWS/EC2"), MetricName: aws.String("CPUUtilization"),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("InstanceId"), Value: aws.String(e.Web)}},
		Statistic:  cwtypes.StatisticAverage, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(2), Threshold: aws.Float64(70),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
		Tags:               []cwtypes.Tag{{Key: aws.String(tags.OnAlarm), Value: aws.String("stop")}},
	}); err != nil {
		return e, fmt.Errorf("create alarm: %w", err)
	}
	// The alarm function acts only on a state CloudWatch confirms: put the
	// alarm in ALARM, as it is when CloudWatch sends the demo's event.
	if _, err := watch.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(e.WebAlarm),
		StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("demo: CPU above 70% for 2 periods")}); err != nil {
		return e, fmt.Errorf("set alarm state: %w", err)
	}

	store := s3client.New(cfg)
	if _, err := store.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(e.BackupBucket)}); err != nil {
		return e, fmt.Errorf("create bucket: %w", err)
	}
	if _, err := store.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(e.BackupBucket),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String(tags.Backup), Value: aws.String("daily")}}}}); err != nil {
		return e, fmt.Errorf("tag bucket: %w", err)
	}

	roles := iamclient.New(cfg)
	managed := tags.Managed("demo-seed", now)
	roleTags := tags.List(managed, func(k, v *string) iamtypes.Tag { return iamtypes.Tag{Key: k, Value: v} })
	if _, err := roles.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String(e.UnusedRole),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
		Tags:                     roleTags,
	}); err != nil {
		return e, fmt.Errorf("create role: %w", err)
	}
	return e, nil
}

// amazonLinux finds the newest Amazon Linux 2023 image the emulator serves.
func amazonLinux(ctx context.Context, compute *ec2.Client) (string, error) {
	out, err := compute.DescribeImages(ctx, &ec2.DescribeImagesInput{
		Owners:  []string{"amazon"},
		Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{"al2023-ami-2023.*-x86_64"}}},
	})
	if err != nil {
		return "", fmt.Errorf("find Amazon Linux 2023: %w", err)
	}
	best, newest := "", ""
	for _, img := range out.Images {
		if name := aws.ToString(img.Name); strings.Compare(name, newest) > 0 {
			best, newest = aws.ToString(img.ImageId), name
		}
	}
	if best == "" {
		return "", fmt.Errorf("no Amazon Linux 2023 image found")
	}
	return best, nil
}

func ec2Tags(kv map[string]string) []ec2types.Tag {
	return tags.List(kv, func(k, v *string) ec2types.Tag { return ec2types.Tag{Key: k, Value: v} })
}
