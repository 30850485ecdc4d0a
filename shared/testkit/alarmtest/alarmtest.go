// Package alarmtest builds moto fixtures for the alarm reactions' tests:
// instances, volumes, functions, alarms with their tags, and an audit bus
// whose events land in an SQS queue the test can read.
package alarmtest

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/tags"

	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Fixture holds the clients a test uses to build and inspect moto state.
type Fixture struct {
	t      testing.TB
	ctx    context.Context
	EC2    *ec2.Client
	CW     *cloudwatch.Client
	Lambda *lambda.Client
	Events *eventbridge.Client
	SQS    *sqs.Client
	IAM    *iam.Client
	ami    string
	role   string
}

// New returns a Fixture over cfg (emulatortest.Config).
func New(t testing.TB, cfg aws.Config) *Fixture {
	return &Fixture{t: t, ctx: context.Background(),
		EC2: ec2client.New(cfg), CW: cloudwatchclient.New(cfg), Lambda: lambdaclient.New(cfg),
		Events: eventbridgeclient.New(cfg), SQS: sqs.NewFromConfig(cfg), IAM: iamclient.New(cfg)}
}

func (f *Fixture) check(what string, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("fixture %s: %v", what, err)
	}
}

func ec2Tags(m map[string]string) []ec2types.Tag {
	return tags.List(m, func(k, v *string) ec2types.Tag { return ec2types.Tag{Key: k, Value: v} })
}

// Instance runs a t2.micro with tags and returns its id.
func (f *Fixture) Instance(tags map[string]string) string {
	f.t.Helper()
	if f.ami == "" {
		out, err := f.EC2.DescribeImages(f.ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"}})
		f.check("describe images", err)
		if len(out.Images) == 0 {
			f.t.Fatal("fixture: moto has no images")
		}
		f.ami = aws.ToString(out.Images[0].ImageId)
	}
	in := &ec2.RunInstancesInput{ImageId: aws.String(f.ami), InstanceType: ec2types.InstanceTypeT2Micro, MinCount: aws.Int32(1), MaxCount: aws.Int32(1)}
	if len(tags) > 0 {
		in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: ec2Tags(tags)}}
	}
	out, err := f.EC2.RunInstances(f.ctx, in)
	f.check("run instance", err)
	return aws.ToString(out.Instances[0].InstanceId)
}

// StoppedInstance is an Instance that has been stopped.
func (f *Fixture) StoppedInstance(tags map[string]string) string {
	f.t.Helper()
	id := f.Instance(tags)
	_, err := f.EC2.StopInstances(f.ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}})
	f.check("stop instance", err)
	return id
}

// Terminated is an Instance that has been terminated.
func (f *Fixture) Terminated() string {
	f.t.Helper()
	id := f.Instance(nil)
	_, err := f.EC2.TerminateInstances(f.ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	f.check("terminate instance", err)
	return id
}

// InstanceState is the instance's state name.
func (f *Fixture) InstanceState(id string) string {
	f.t.Helper()
	out, err := f.EC2.DescribeInstances(f.ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	f.check("describe instance", err)
	return string(out.Reservations[0].Instances[0].State.Name)
}

// InstanceTags are the instance's tags.
func (f *Fixture) InstanceTags(id string) map[string]string {
	f.t.Helper()
	out, err := f.EC2.DescribeInstances(f.ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	f.check("describe instance", err)
	m := map[string]string{}
	for _, tg := range out.Reservations[0].Instances[0].Tags {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

// InstanceVolumes are the ids of the instance's EBS volumes.
func (f *Fixture) InstanceVolumes(id string) []string {
	f.t.Helper()
	out, err := f.EC2.DescribeInstances(f.ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	f.check("describe instance", err)
	var vols []string
	for _, m := range out.Reservations[0].Instances[0].BlockDeviceMappings {
		if m.Ebs != nil {
			vols = append(vols, aws.ToString(m.Ebs.VolumeId))
		}
	}
	return vols
}

// Volume creates an 8 GB gp3 volume with tags.
func (f *Fixture) Volume(tags map[string]string) string {
	f.t.Helper()
	in := &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(8), VolumeType: ec2types.VolumeTypeGp3}
	if len(tags) > 0 {
		in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVolume, Tags: ec2Tags(tags)}}
	}
	out, err := f.EC2.CreateVolume(f.ctx, in)
	f.check("create volume", err)
	return aws.ToString(out.VolumeId)
}

// VolumeTags are the volume's tags.
func (f *Fixture) VolumeTags(id string) map[string]string {
	f.t.Helper()
	out, err := f.EC2.DescribeVolumes(f.ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{id}})
	f.check("describe volume", err)
	m := map[string]string{}
	for _, tg := range out.Volumes[0].Tags {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

// Snapshots are the snapshots of the given volumes, with their tags.
func (f *Fixture) Snapshots(volumes ...string) []ec2types.Snapshot {
	f.t.Helper()
	out, err := f.EC2.DescribeSnapshots(f.ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"},
		Filters: []ec2types.Filter{{Name: aws.String("volume-id"), Values: volumes}}})
	f.check("describe snapshots", err)
	return out.Snapshots
}

// Function creates a Lambda function (moto keeps the code, never runs it).
func (f *Fixture) Function(name string, tags map[string]string) string {
	f.t.Helper()
	if f.role == "" {
		out, err := f.IAM.CreateRole(f.ctx, &iam.CreateRoleInput{RoleName: aws.String("alarm-test-fn"),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
		f.check("create role", err)
		f.role = aws.ToString(out.Role.Arn)
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	fw, err := w.Create("bootstrap")
	f.check("zip", err)
	_, _ = fw.Write([]byte("#!/bin/sh\n"))
	f.check("zip", w.Close())
	out, err := f.Lambda.CreateFunction(f.ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String(f.role), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: buf.Bytes()}, Tags: tags,
	})
	f.check("create function", err)
	return aws.ToString(out.FunctionArn)
}

// Concurrency is the function's reserved concurrency, nil when none.
func (f *Fixture) Concurrency(name string) *int32 {
	f.t.Helper()
	out, err := f.Lambda.GetFunctionConcurrency(f.ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(name)})
	f.check("get function concurrency", err)
	return out.ReservedConcurrentExecutions
}

// SetConcurrency reserves n for the function.
func (f *Fixture) SetConcurrency(name string, n int32) {
	f.t.Helper()
	_, err := f.Lambda.PutFunctionConcurrency(f.ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(name), ReservedConcurrentExecutions: aws.Int32(n)})
	f.check("put function concurrency", err)
}

// FunctionTags are the function's tags.
func (f *Fixture) FunctionTags(arn string) map[string]string {
	f.t.Helper()
	out, err := f.Lambda.ListTags(f.ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
	f.check("list function tags", err)
	return out.Tags
}

func cwTags(m map[string]string) []cwtypes.Tag {
	return tags.List(m, func(k, v *string) cwtypes.Tag { return cwtypes.Tag{Key: k, Value: v} })
}

// MetricAlarm creates a metric alarm on one metric per dimension set (metric
// math when there are several), with tags.
func (f *Fixture) MetricAlarm(name string, tags map[string]string, dims ...map[string]string) {
	f.t.Helper()
	in := &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
		EvaluationPeriods: aws.Int32(2), Threshold: aws.Float64(70), Tags: cwTags(tags)}
	var sum []string
	for i, d := range dims {
		var ds []cwtypes.Dimension
		for k, v := range d {
			ds = append(ds, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(v)})
		}
		id := fmt.Sprintf("m%d", i+1)
		sum = append(sum, id)
		in.Metrics = append(in.Metrics, cwtypes.MetricDataQuery{Id: aws.String(id), ReturnData: aws.Bool(false),
			MetricStat: &cwtypes.MetricStat{Metric: &cwtypes.Metric{Namespace: aws.String("AWS/EC2"), MetricName: aws.String("CPUUtilization"), Dimensions: ds},
				Period: aws.Int32(300), Stat: aws.String("Average")}})
	}
	in.Metrics = append(in.Metrics, cwtypes.MetricDataQuery{Id: aws.String("e1"), Expression: aws.String(strings.Join(sum, "+")), ReturnData: aws.Bool(true)})
	_, err := f.CW.PutMetricAlarm(f.ctx, in)
	f.check("put metric alarm", err)
}

// CompositeAlarm stands in for a composite alarm: moto 5.2 serves no
// PutCompositeAlarm (and its PutMetricAlarm drops AlarmRule), so the test
// alarm is a metric alarm without metrics under the composite's name, which
// DescribeAlarms finds and tags work on. Tests that need DescribeAlarms to
// answer CompositeAlarms wrap the client (see AsComposite).
func (f *Fixture) CompositeAlarm(name string, tags map[string]string) {
	f.t.Helper()
	_, err := f.CW.PutMetricAlarm(f.ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, EvaluationPeriods: aws.Int32(1), Tags: cwTags(tags)})
	f.check("put stand-in composite alarm", err)
}

// DescribeAlarmsAPI is what AsComposite wraps.
type DescribeAlarmsAPI interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// AsComposite answers DescribeAlarms as AWS does for a composite alarm:
// moto's metric alarms are moved to CompositeAlarms.
func AsComposite(api DescribeAlarmsAPI, ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	out, err := api.DescribeAlarms(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	for _, m := range out.MetricAlarms {
		out.CompositeAlarms = append(out.CompositeAlarms, cwtypes.CompositeAlarm{AlarmName: m.AlarmName, AlarmArn: m.AlarmArn, AlarmRule: aws.String("ALARM(child)"),
			StateValue: m.StateValue, StateReason: m.StateReason, StateUpdatedTimestamp: m.StateUpdatedTimestamp, StateTransitionedTimestamp: m.StateTransitionedTimestamp})
	}
	out.MetricAlarms = nil
	return out, nil
}

// SetAlarmState puts the alarm in state (OK, ALARM, INSUFFICIENT_DATA), as
// CloudWatch's evaluation would. moto 5.2 then reports it with
// StateUpdatedTimestamp "now" (no StateTransitionedTimestamp), and keeps
// the previous state in a history it does not serve: DescribeAlarmHistory
// is not implemented (HTTP 500).
func (f *Fixture) SetAlarmState(name, state string) {
	f.t.Helper()
	_, err := f.CW.SetAlarmState(f.ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(name),
		StateValue: cwtypes.StateValue(state), StateReason: aws.String("set by the test")})
	f.check("set alarm state", err)
}

// AlarmState is the alarm's current StateValue.
func (f *Fixture) AlarmState(name string) string {
	f.t.Helper()
	out, err := f.CW.DescribeAlarms(f.ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	f.check("describe alarm", err)
	if len(out.MetricAlarms) == 0 {
		f.t.Fatalf("fixture: no alarm %s", name)
	}
	return string(out.MetricAlarms[0].StateValue)
}

// Agree puts the alarm an event names in the state the event reports, as
// CloudWatch is when it sends the event itself. An event without a readable
// alarm name or state, or for an alarm moto does not hold, changes nothing.
func (f *Fixture) Agree(event []byte) {
	f.t.Helper()
	var ev struct {
		Detail struct {
			AlarmName string `json:"alarmName"`
			State     struct {
				Value string `json:"value"`
			} `json:"state"`
		} `json:"detail"`
	}
	if json.Unmarshal(event, &ev) != nil || ev.Detail.AlarmName == "" {
		return
	}
	switch ev.Detail.State.Value {
	case "OK", "ALARM", "INSUFFICIENT_DATA":
	default:
		return
	}
	_, err := f.CW.SetAlarmState(f.ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(ev.Detail.AlarmName),
		StateValue: cwtypes.StateValue(ev.Detail.State.Value), StateReason: aws.String("set by the test to agree with the event")})
	var nf *cwtypes.ResourceNotFound
	if errors.As(err, &nf) {
		return
	}
	f.check("set alarm state", err)
}

// AlarmTags are the alarm's tags.
func (f *Fixture) AlarmTags(name string) map[string]string {
	f.t.Helper()
	out, err := f.CW.ListTagsForResource(f.ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + name)})
	f.check("list alarm tags", err)
	m := map[string]string{}
	for _, tg := range out.Tags {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

// Bus creates a custom event bus with a rule for pattern whose target is a
// new SQS queue, and returns the queue's URL.
func (f *Fixture) Bus(bus, pattern string) string {
	f.t.Helper()
	_, err := f.Events.CreateEventBus(f.ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)})
	f.check("create event bus", err)
	q, err := f.SQS.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: aws.String(bus + "-queue")})
	f.check("create queue", err)
	attrs, err := f.SQS.GetQueueAttributes(f.ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	f.check("queue arn", err)
	_, err = f.Events.PutRule(f.ctx, &eventbridge.PutRuleInput{Name: aws.String(bus + "-rule"), EventBusName: aws.String(bus), EventPattern: aws.String(pattern)})
	f.check("put rule", err)
	_, err = f.Events.PutTargets(f.ctx, &eventbridge.PutTargetsInput{Rule: aws.String(bus + "-rule"), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes["QueueArn"])}}})
	f.check("put targets", err)
	return aws.ToString(q.QueueUrl)
}

// Received drains the queue: the events EventBridge delivered, as raw JSON.
func (f *Fixture) Received(queueURL string) []json.RawMessage {
	f.t.Helper()
	var out []json.RawMessage
	for {
		msgs, err := f.SQS.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 0})
		f.check("receive messages", err)
		if len(msgs.Messages) == 0 {
			return out
		}
		for _, m := range msgs.Messages {
			out = append(out, json.RawMessage(aws.ToString(m.Body)))
			_, err := f.SQS.DeleteMessage(f.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle})
			f.check("delete message", err)
		}
	}
}

// Reaction is the part of a "Commander Alarm Reaction" event tests check.
type Reaction struct {
	DetailType string `json:"detail-type"`
	Source     string `json:"source"`
	Detail     struct {
		Alarm   string `json:"alarm"`
		EventID string `json:"eventId"`
		Target  *struct {
			Type, ID string
		} `json:"target"`
		Action  string `json:"action"`
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
		DryRun  bool   `json:"dryRun"`
	} `json:"detail"`
}

// Reactions drains the queue and decodes each event.
func (f *Fixture) Reactions(queueURL string) []Reaction {
	f.t.Helper()
	var out []Reaction
	for _, raw := range f.Received(queueURL) {
		var r Reaction
		if err := json.Unmarshal(raw, &r); err != nil {
			f.t.Fatalf("audit event is not JSON: %s", raw)
		}
		out = append(out, r)
	}
	return out
}

// Forgery says how Forge rewrites an alarm event; zero fields keep the
// event's own value.
type Forgery struct {
	Alarm      string              // detail.alarmName and resources[0]
	State      string              // detail.state.value
	Previous   string              // detail.previousState.value
	At         time.Time           // detail.state.timestamp
	Dimensions []map[string]string // detail.configuration.metrics, one metric each
}

// Forge rewrites base (a sample) as a caller of the function may: an event
// only needs the right shape to reach the handler.
func Forge(t testing.TB, base []byte, fg Forgery) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(base, &ev); err != nil {
		t.Fatalf("forge: %v", err)
	}
	d, ok := ev["detail"].(map[string]any)
	if !ok {
		t.Fatal("forge: the event has no detail")
	}
	if fg.Alarm != "" {
		d["alarmName"] = fg.Alarm
		ev["resources"] = []any{"arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + fg.Alarm}
	}
	if fg.State != "" {
		d["state"].(map[string]any)["value"] = fg.State
	}
	if fg.Previous != "" {
		d["previousState"].(map[string]any)["value"] = fg.Previous
	}
	if !fg.At.IsZero() {
		d["state"].(map[string]any)["timestamp"] = fg.At.UTC().Format("2006-01-02T15:04:05.000-0700")
	}
	if fg.Dimensions != nil {
		var metrics []any
		for i, dims := range fg.Dimensions {
			metrics = append(metrics, map[string]any{"id": fmt.Sprintf("m%d", i+1), "returnData": true,
				"metricStat": map[string]any{"metric": map[string]any{"namespace": "AWS/EC2", "name": "CPUUtilization", "dimensions": dims},
					"period": 300, "stat": "Average"}})
		}
		d["configuration"] = map[string]any{"metrics": metrics}
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatalf("forge: %v", err)
	}
	return out
}
