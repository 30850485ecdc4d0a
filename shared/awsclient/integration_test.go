package awsclient_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/audit"
	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

func counted(t *testing.T) (context.Context, *awsclient.Counter) {
	c := awsclient.NewCounter()
	return awsclient.WithCounter(context.Background(), c), c
}

func TestEC2RoundTripAndPageCounting(t *testing.T) {
	cfg := emulatortest.Config(t)
	ctx, counter := counted(t)
	client := ec2client.New(cfg)

	const volumes = 7
	for i := range volumes {
		_, err := client.CreateVolume(ctx, &ec2.CreateVolumeInput{
			AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(1),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVolume,
				Tags: []ec2types.Tag{{Key: aws.String("commander:backup"), Value: aws.String(fmt.Sprint("policy-", i%2))}}}},
		})
		if err != nil {
			t.Fatalf("create volume: %v", err)
		}
	}
	// Server-side tag filter. moto answers in one page whatever MaxResults
	// says; paging itself is proven on S3 below.
	p := ec2.NewDescribeVolumesPaginator(client, &ec2.DescribeVolumesInput{
		MaxResults: aws.Int32(5),
		Filters:    []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{"commander:backup"}}},
	})
	seen, pages := 0, 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("describe volumes: %v", err)
		}
		pages++
		seen += len(out.Volumes)
	}
	if seen != volumes {
		t.Errorf("listed %d volumes, want %d", seen, volumes)
	}
	if got := counter.Calls()["EC2.DescribeVolumes"]; got != int64(pages) {
		t.Errorf("counter saw %d DescribeVolumes calls over %d pages", got, pages)
	}
	if got := counter.Calls()["EC2.CreateVolume"]; got != volumes {
		t.Errorf("counter saw %d CreateVolume calls, want %d", got, volumes)
	}

	_, err := client.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String("vol-0123456789abcdef0")})
	if !awserr.Is(err, awserr.NotFound) {
		t.Errorf("deleting a missing volume: kind %s (%v), want not-found", awserr.Classify(err), err)
	}
	_, err = client.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(1), DryRun: aws.Bool(true)})
	if !awserr.Is(err, awserr.DryRunOK) {
		t.Errorf("dry-run create: kind %s (%v), want dry-run-ok", awserr.Classify(err), err)
	}
}

func TestS3PathStyleRoundTrip(t *testing.T) {
	cfg := emulatortest.Config(t)
	ctx, counter := counted(t)
	client := s3client.New(cfg)
	bucket := "commander-roundtrip"
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket (path-style must be on, or the host bucket.127.0.0.1 fails): %v", err)
	}
	if _, err := client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	body := []byte("backup payload")
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b.txt"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("put object: %v", err)
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b.txt")})
	if err != nil {
		t.Fatalf("get object: %v", err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, body) {
		t.Errorf("read %q, want %q", got, body)
	}
	v, err := client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	if err != nil || v.Status != s3types.BucketVersioningStatusEnabled {
		t.Errorf("versioning = %v, %v", v, err)
	}
	_, err = client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("commander-missing")})
	if !awserr.Is(err, awserr.NotFound) {
		t.Errorf("head missing bucket: kind %s, want not-found", awserr.Classify(err))
	}
	if counter.Calls()["S3.PutObject"] != 1 {
		t.Errorf("calls = %v", counter.Calls())
	}
}

func TestCounterCountsPages(t *testing.T) {
	cfg := emulatortest.Config(t)
	ctx, counter := counted(t)
	client := s3client.New(cfg)
	bucket := aws.String("commander-pages")
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	const objects, pageSize = 7, 3
	for i := range objects {
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(fmt.Sprint("k", i)), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	before := counter.Calls()["S3.ListObjectsV2"]
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: bucket, MaxKeys: aws.Int32(pageSize)})
	keys := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		keys += len(out.Contents)
	}
	pages := counter.Calls()["S3.ListObjectsV2"] - before
	if keys != objects || pages != 3 {
		t.Errorf("listed %d keys in %d counted calls; want %d keys in ceil(%d/%d)=3 pages", keys, pages, objects, objects, pageSize)
	}
	if counter.Total() < objects+1+pages {
		t.Errorf("total %d below the calls made", counter.Total())
	}
	if counter.Retries() != 0 {
		t.Errorf("retries = %d against a healthy emulator", counter.Retries())
	}
}

func TestCloudWatchAlarmRoundTrip(t *testing.T) {
	cfg := emulatortest.Config(t)
	ctx := context.Background()
	client := cloudwatchclient.New(cfg)
	_, err := client.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("commander-cpu-i-1"), Namespace: aws.String("AWS/EC2"), MetricName: aws.String("CPUUtilization"),
		Dimensions:         []cwtypes.Dimension{{Name: aws.String("InstanceId"), Value: aws.String("i-1")}},
		Statistic:          cwtypes.StatisticAverage,
		Period:             aws.Int32(300),
		EvaluationPeriods:  aws.Int32(2),
		Threshold:          aws.Float64(70),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
		Tags:               []cwtypes.Tag{{Key: aws.String("commander:on-alarm"), Value: aws.String("stop")}},
	})
	if err != nil {
		t.Fatalf("put alarm (CloudWatch must speak JSON 1.0 to moto): %v", err)
	}
	out, err := client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"commander-cpu-i-1"}})
	if err != nil {
		t.Fatalf("describe alarms: %v", err)
	}
	if len(out.MetricAlarms) != 1 {
		t.Fatalf("%d alarms", len(out.MetricAlarms))
	}
	a := out.MetricAlarms[0]
	if aws.ToFloat64(a.Threshold) != 70 || aws.ToInt32(a.EvaluationPeriods) != 2 || aws.ToInt32(a.Period) != 300 ||
		len(a.Dimensions) != 1 || aws.ToString(a.Dimensions[0].Value) != "i-1" {
		t.Errorf("alarm = threshold %v periods %v period %v dims %v", aws.ToFloat64(a.Threshold), aws.ToInt32(a.EvaluationPeriods), aws.ToInt32(a.Period), a.Dimensions)
	}
}

func TestIAMRoundTrip(t *testing.T) {
	cfg := emulatortest.Config(t)
	ctx := context.Background()
	client := iamclient.New(cfg)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("commander-test"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatalf("create role: %v", err)
	}
	_, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("commander-test"), AssumeRolePolicyDocument: aws.String(trust)})
	if !awserr.Is(err, awserr.Conflict) {
		t.Errorf("second create: kind %s, want conflict", awserr.Classify(err))
	}
	out, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("commander-test")})
	if err != nil || !strings.Contains(aws.ToString(out.Role.AssumeRolePolicyDocument), "ec2.amazonaws.com") {
		t.Fatalf("get role: %v", err)
	}
	_, err = client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("commander-missing")})
	if !awserr.Is(err, awserr.NotFound) {
		t.Errorf("missing role: kind %s, want not-found", awserr.Classify(err))
	}
}

func TestLambdaRoundTrip(t *testing.T) {
	cfg := emulatortest.Config(t)
	ctx := context.Background()
	roles := iamclient.New(cfg)
	role, err := roles.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	client := lambdaclient.New(cfg)
	_, err = client.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("commander-echo"), Role: role.Role.Arn, Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: zipWithBootstrap(t)},
		MemorySize: aws.Int32(128), Timeout: aws.Int32(60),
		Environment: &lambdatypes.Environment{Variables: map[string]string{"K": "V"}},
	})
	if err != nil {
		t.Fatalf("create function: %v", err)
	}
	got, err := client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("commander-echo")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(got.MemorySize) != 128 || aws.ToInt32(got.Timeout) != 60 || got.Environment.Variables["K"] != "V" {
		t.Errorf("configuration = %d MB, %d s, env %v", aws.ToInt32(got.MemorySize), aws.ToInt32(got.Timeout), got.Environment.Variables)
	}
	inv, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("commander-echo"), Payload: []byte(`{"ping":1}`)})
	if err != nil || inv.StatusCode != 200 {
		t.Fatalf("invoke: %v %v", inv, err)
	}
}

func TestEventBridgeAudit(t *testing.T) {
	cfg := emulatortest.Config(t)
	ctx, counter := counted(t)
	client := eventbridgeclient.New(cfg)
	if _, err := client.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("commander-audit")}); err != nil {
		t.Fatal(err)
	}
	e := audit.Emitter{API: client, Bus: "commander-audit"}
	if err := e.Emit(ctx, "Commander Backup Completed", map[string]any{"snapshots": 3}); err != nil {
		t.Fatalf("emit: %v", err)
	}
	if counter.Calls()["EventBridge.PutEvents"] != 1 {
		t.Errorf("calls = %v", counter.Calls())
	}
	err := audit.Emitter{API: client, Bus: "commander-audit"}.Emit(ctx, "X", map[string]any{"big": strings.Repeat("x", audit.MaxDetailBytes)})
	if err == nil || !strings.Contains(err.Error(), "bytes") {
		t.Errorf("oversized detail: %v", err)
	}
}
