package tagger

import (
	"archive/zip"
	"bytes"
	"context"
	"maps"
	"testing"

	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// One resource of each service, each with a tag of its own, is tagged and
// untagged through the real SDK clients against moto, in one call each, and
// its tags read back from moto.
func TestAgainstMoto(t *testing.T) {
	cfg := emulatortest.Config(t)
	ctx := context.Background()
	region := cfg.Region
	ec2c, cw, lam, iamc, s3c := ec2client.New(cfg), cloudwatchclient.New(cfg), lambdaclient.New(cfg), iamclient.New(cfg), s3client.New(cfg)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	own := map[string]string{"team": "data"}

	vol, err := ec2c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String(region + "a"), Size: aws.Int32(1),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVolume, Tags: tags.List(own, func(k, v *string) ec2types.Tag { return ec2types.Tag{Key: k, Value: v} })}}})
	must("create volume", err)
	volARN := EC2ARN(region, aws.ToString(vol.OwnerId), "volume", aws.ToString(vol.VolumeId))

	_, err = cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("cpu-high"), Namespace: aws.String("AWS/EC2"), MetricName: aws.String("CPUUtilization"),
		Statistic: cwtypes.StatisticAverage, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(2),
		Threshold: aws.Float64(70), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
		Tags: tags.List(own, func(k, v *string) cwtypes.Tag { return cwtypes.Tag{Key: k, Value: v} }),
	})
	must("put alarm", err)
	alarms, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"cpu-high"}})
	must("describe alarm", err)
	if len(alarms.MetricAlarms) != 1 {
		t.Fatalf("alarms: %+v", alarms.MetricAlarms)
	}
	alarmARN := aws.ToString(alarms.MetricAlarms[0].AlarmArn)

	iamTags := tags.List(own, func(k, v *string) iamtypes.Tag { return iamtypes.Tag{Key: k, Value: v} })
	role, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app-role"), Path: aws.String("/service/app/"),
		AssumeRolePolicyDocument: aws.String(trust), Tags: iamTags})
	must("create role", err)
	roleARN := aws.ToString(role.Role.Arn)
	ip, err := iamc.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("app-profile"), Path: aws.String("/service/"), Tags: iamTags})
	must("create instance profile", err)
	profileARN := aws.ToString(ip.InstanceProfile.Arn)

	var code bytes.Buffer
	zw := zip.NewWriter(&code)
	w, _ := zw.Create("bootstrap")
	w.Write([]byte("#!/bin/sh\n"))
	zw.Close()
	fn, err := lam.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("app"), Role: role.Role.Arn, Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Code: &lambdatypes.FunctionCode{ZipFile: code.Bytes()}, Tags: own,
	})
	must("create function", err)
	fnARN := aws.ToString(fn.FunctionArn)

	_, err = s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("data")})
	must("create bucket", err)
	_, err = s3c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("data"), Tagging: &s3types.Tagging{
		TagSet: tags.List(own, func(k, v *string) s3types.Tag { return s3types.Tag{Key: k, Value: v} })}})
	must("tag bucket", err)
	_, err = s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bare")})
	must("create bucket", err)
	bucketARN, bareARN := BucketARN(region, "data"), BucketARN(region, "bare")

	read := map[string]func() map[string]string{
		volARN: func() map[string]string {
			out, err := ec2c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{aws.ToString(vol.VolumeId)}})
			must("describe volume", err)
			return tags.EC2(out.Volumes[0].Tags)
		},
		alarmARN: func() map[string]string {
			out, err := cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(alarmARN)})
			must("alarm tags", err)
			return tags.Map(out.Tags, func(t cwtypes.Tag) *string { return t.Key }, func(t cwtypes.Tag) *string { return t.Value })
		},
		fnARN: func() map[string]string {
			out, err := lam.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(fnARN)})
			must("function tags", err)
			return out.Tags
		},
		roleARN: func() map[string]string {
			out, err := iamc.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("app-role")})
			must("role tags", err)
			return tags.Map(out.Tags, func(t iamtypes.Tag) *string { return t.Key }, func(t iamtypes.Tag) *string { return t.Value })
		},
		profileARN: func() map[string]string {
			// moto answers ListInstanceProfileTags with a 500: read the profile.
			out, err := iamc.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("app-profile")})
			must("instance profile tags", err)
			return tags.Map(out.InstanceProfile.Tags, func(t iamtypes.Tag) *string { return t.Key }, func(t iamtypes.Tag) *string { return t.Value })
		},
		bucketARN: func() map[string]string { return bucketTags(t, s3c, "data") },
		bareARN:   func() map[string]string { return bucketTags(t, s3c, "bare") },
	}
	owned := map[string]bool{volARN: true, alarmARN: true, fnARN: true, roleARN: true, profileARN: true, bucketARN: true}
	arns := []string{volARN, alarmARN, fnARN, roleARN, profileARN, bucketARN, bareARN}
	check := func(step string, want map[string]string) {
		t.Helper()
		for _, a := range arns {
			w := maps.Clone(want)
			if w == nil {
				w = map[string]string{}
			}
			if owned[a] {
				maps.Copy(w, own)
			}
			if got := read[a](); !maps.Equal(got, w) {
				t.Errorf("%s: %s has tags %v, want %v", step, a, got, w)
			}
		}
	}
	tg := Tagger{EC2: ec2c, CloudWatch: cw, IAM: iamc, S3: s3c, Lambda: lam, Concurrency: 4}

	marks := map[string]string{tags.CleanupAction: "delete", tags.CleanupDue: "2035-01-08T04:00:00Z"}
	if errs := tg.Tag(ctx, arns, marks); len(errs) != 0 {
		t.Fatalf("tag: %v", errs)
	}
	check("tagged", marks)

	if errs := tg.Untag(ctx, arns, tags.CleanupDue, "never-set"); len(errs) != 0 {
		t.Fatalf("untag: %v", errs)
	}
	check("one key untagged", map[string]string{tags.CleanupAction: "delete"})

	if errs := tg.Change(ctx, arns, map[string]string{tags.CleanupDue: "2035-02-01T00:00:00Z"}, []string{tags.CleanupAction}); len(errs) != 0 {
		t.Fatalf("change: %v", errs)
	}
	check("changed", map[string]string{tags.CleanupDue: "2035-02-01T00:00:00Z"})

	if errs := tg.Untag(ctx, arns, tags.CleanupDue); len(errs) != 0 {
		t.Fatalf("untag: %v", errs)
	}
	check("untagged", nil) // the bare bucket's emptied set, written without a TagSet, reads as none

	// A resource deleted meanwhile is done; one of a service the tagger
	// does not tag fails alone.
	_, err = ec2c.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: vol.VolumeId})
	must("delete volume", err)
	_, err = lam.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("app")})
	must("delete function", err)
	queue := "arn:aws:sqs:" + region + ":123456789012:q"
	errs := tg.Tag(ctx, []string{volARN, fnARN, queue, roleARN}, marks)
	if len(errs) != 1 || errs[queue] == nil {
		t.Errorf("gone and unsupported: %v", errs)
	}
}

// bucketTags reads a bucket's tags; no tag set reads as none.
func bucketTags(t *testing.T, api *s3.Client, bucket string) map[string]string {
	t.Helper()
	out, err := api.GetBucketTagging(context.Background(), &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	if awserr.Is(err, awserr.NotFound) {
		return map[string]string{}
	}
	if err != nil {
		t.Fatalf("bucket %s tags: %v", bucket, err)
	}
	return tags.Map(out.TagSet, func(t s3types.Tag) *string { return t.Key }, func(t s3types.Tag) *string { return t.Value })
}
