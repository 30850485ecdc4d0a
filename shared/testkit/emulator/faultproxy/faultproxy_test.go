package faultproxy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws-commander/commander/shared/testkit/emulator/faultproxy"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

// through returns clients' config pointed at a fault proxy in front of moto.
func through(t *testing.T, opts faultproxy.Options, attempts int) (aws.Config, aws.Config, *faultproxy.Proxy) {
	t.Helper()
	return emulatortest.Faulty(t, opts, attempts)
}

// With 20 % of mutating calls throttled and 5 % of all calls failing, the
// SDK's bounded adaptive retries still reach the same end state, and the
// counter reports the retries.
func TestSameEndStateUnderFaults(t *testing.T) {
	faulty, direct, proxy := through(t, faultproxy.Options{ThrottleMutates: 0.20, Unavailable: 0.05, Seed: 7}, 10)
	counter := awsclient.NewCounter()
	ctx := awsclient.WithCounter(context.Background(), counter)

	compute := ec2client.New(faulty)
	const volumes = 12
	var ids []string
	for i := range volumes {
		out, err := compute.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(1)})
		if err != nil {
			t.Fatalf("create volume %d: %v", i, err)
		}
		ids = append(ids, aws.ToString(out.VolumeId))
	}
	if _, err := compute.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids, Tags: []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
		t.Fatalf("tag: %v", err)
	}
	store := s3client.New(faulty)
	if _, err := store.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("faulty")}); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		if _, err := store.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("faulty"), Key: aws.String(fmt.Sprint(i)), Body: strings.NewReader("x")}); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
	watch := cloudwatchclient.New(faulty)
	for i := range 5 {
		if _, err := watch.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(fmt.Sprint("a", i)),
			Namespace: aws.String("AWS/EC2"), MetricName: aws.String("CPUUtilization"), Statistic: cwtypes.StatisticAverage,
			Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold}); err != nil {
			t.Fatalf("alarm %d: %v", i, err)
		}
	}

	// The end state, read directly from moto, is exactly what was asked for.
	vols, err := ec2client.New(direct).DescribeVolumes(context.Background(), &ec2.DescribeVolumesInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:k"), Values: []string{"v"}}}})
	if err != nil || len(vols.Volumes) != volumes {
		t.Errorf("tagged volumes = %d (%v), want %d", len(vols.Volumes), err, volumes)
	}
	objs, err := s3client.New(direct).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("faulty")})
	if err != nil || len(objs.Contents) != 8 {
		t.Errorf("objects = %d (%v), want 8", len(objs.Contents), err)
	}
	alarms, err := cloudwatchclient.New(direct).DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{})
	if err != nil || len(alarms.MetricAlarms) != 5 {
		t.Errorf("alarms = %d (%v), want 5", len(alarms.MetricAlarms), err)
	}
	if proxy.Faults() == 0 {
		t.Fatal("no fault was injected; the test proves nothing")
	}
	if got := counter.Retries(); got != int64(proxy.Faults()) {
		t.Errorf("counter reports %d retries, the proxy injected %d faults", got, proxy.Faults())
	}
	t.Logf("injected %v, passed %d, retries counted %d", proxy.Injected, proxy.Passed, counter.Retries())
}

// A listing that keeps failing fails loudly after its bounded attempts: never
// a silent "0 resources".
func TestListingFailsLoudlyAfterRetries(t *testing.T) {
	faulty, _, proxy := through(t, faultproxy.Options{Unavailable: 1}, 3)
	counter := awsclient.NewCounter()
	ctx := awsclient.WithCounter(context.Background(), counter)
	_, err := ec2client.New(faulty).DescribeVolumes(ctx, &ec2.DescribeVolumesInput{})
	if err == nil {
		t.Fatal("listing succeeded through a backend that always fails")
	}
	if k := awserr.Classify(err); k != awserr.Unavailable {
		t.Errorf("kind = %s, want unavailable (%v)", k, err)
	}
	if proxy.Faults() != 3 || counter.Retries() != 2 {
		t.Errorf("faults %d, retries %d; want 3 attempts = 1 call + 2 retries", proxy.Faults(), counter.Retries())
	}
}

// A lost answer is an answer to a call that took effect. Sent again
// blindly, as the SDK does by default, a create without a client token
// makes a second snapshot; through awsclient.CreateOnce, with its key in
// the tags, it makes one.
func TestLostAnswers(t *testing.T) {
	cases := []struct {
		name  string
		once  bool
		want  int
		fails bool
	}{
		{name: "plain SDK create: a duplicate", once: false, want: 2, fails: true},
		{name: "CreateOnce: one snapshot", once: true, want: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			faulty, direct, proxy := through(t, faultproxy.Options{LoseAnswers: 1, Seed: 3}, 2)
			ctx := context.Background()
			vol, err := ec2client.New(direct).CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(1)})
			if err != nil {
				t.Fatal(err)
			}
			id := aws.ToString(vol.VolumeId)
			api := ec2client.New(faulty)
			in := &ec2.CreateSnapshotInput{VolumeId: vol.VolumeId, TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSnapshot,
				Tags: []ec2types.Tag{{Key: aws.String("commander:run"), Value: aws.String("run-1")}}}}}
			var got string
			if c.once {
				out, err := awsclient.CreateOnce(ctx,
					func(ctx context.Context) (*ec2.CreateSnapshotOutput, error) {
						return api.CreateSnapshot(ctx, in, ec2client.NoBlindRetry)
					},
					func(ctx context.Context) (*ec2.CreateSnapshotOutput, bool, error) {
						l, err := ec2client.FindSnapshots(ctx, api, ec2client.Filter("tag:commander:run", "run-1"), ec2client.Filter("volume-id", id))
						if err != nil || len(l) == 0 {
							return nil, false, err
						}
						return &ec2.CreateSnapshotOutput{SnapshotId: l[0].SnapshotId, State: l[0].State}, true, nil
					})
				if err != nil {
					t.Fatalf("CreateOnce: %v", err)
				}
				got = aws.ToString(out.SnapshotId)
			} else if _, err := api.CreateSnapshot(ctx, in); err == nil && c.fails {
				t.Fatal("the plain create succeeded although every answer was lost")
			}
			l, err := ec2client.FindSnapshots(ctx, ec2client.New(direct), ec2client.Filter("volume-id", id))
			if err != nil {
				t.Fatal(err)
			}
			if len(l) != c.want {
				t.Errorf("snapshots of %s = %d, want %d (injected %v)", id, len(l), c.want, proxy.Injected)
			}
			if c.once && (len(l) != 1 || aws.ToString(l[0].SnapshotId) != got) {
				t.Errorf("CreateOnce returned %s, the volume has %v", got, l)
			}
			if proxy.Injected["lost"]+proxy.Injected["dropped"] == 0 {
				t.Fatal("no answer was lost; the test proves nothing")
			}
		})
	}
}
