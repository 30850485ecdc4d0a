package cleanup

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

const alarmPolicies = `
policies:
  - name: orphan-alarms
    resource: cloudwatch:alarm
    action: delete
    filters: [{instanceGone: true}]
  - name: silent-alarms
    resource: cloudwatch:alarm
    action: delete
    filters: [{state: INSUFFICIENT_DATA}, {stateFor: 30d}]
`

// Alarms on a terminated instance, and alarms without data for long, are
// marked then deleted (DeleteAlarms, 100 names a call); an alarm whose data
// comes back during the grace loses its marks; a protected one stays.
func TestAlarms(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cw := cloudwatchclient.New(f.cfg)
	live := f.instance("running", nil, nil)
	dead := f.instance("running", nil, nil)
	if _, err := f.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{dead}}); err != nil {
		t.Fatal(err)
	}
	alarm := func(name, instance string, tg map[string]string) {
		in := &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String(name), Namespace: aws.String("AWS/EC2"), MetricName: aws.String("CPUUtilization"),
			Statistic: cwtypes.StatisticAverage, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(2),
			Threshold: aws.Float64(70), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
			Dimensions: []cwtypes.Dimension{{Name: aws.String("InstanceId"), Value: aws.String(instance)}},
		}
		for _, k := range sortedStrings(tg) {
			in.Tags = append(in.Tags, cwtypes.Tag{Key: aws.String(k), Value: aws.String(tg[k])})
		}
		if _, err := cw.PutMetricAlarm(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	setState := func(name string, s cwtypes.StateValue) {
		if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(name), StateValue: s, StateReason: aws.String("test")}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 101 {
		alarm(fmt.Sprintf("orphan-%03d", i), dead, nil)
	}
	alarm("protected-orphan", dead, map[string]string{"commander:protect": "true"})
	alarm("live-ok", live, nil)
	setState("live-ok", cwtypes.StateValueOk)
	// moto starts alarms in OK; real ones start in INSUFFICIENT_DATA.
	alarm("silent", live, nil)
	setState("silent", cwtypes.StateValueInsufficientData)
	alarm("comes-back", live, nil)
	setState("comes-back", cwtypes.StateValueInsufficientData)
	arns := map[string]string{}
	out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("comes-back")})
	if err != nil || len(out.MetricAlarms) != 1 {
		t.Fatalf("describe: %v", err)
	}
	arns["comes-back"] = aws.ToString(out.MetricAlarms[0].AlarmArn)

	j := f.job(alarmPolicies, map[string]string{"COMMANDER_BREAKER_MAX_COUNT": "200", "COMMANDER_BREAKER_MAX_PERCENT": "100"})
	now := time.Now().UTC().Add(40 * day)
	rep := f.run(j, now, "")
	if rep.Count("mark", report.Done) != 103 {
		t.Fatalf("mark run: %v %v", rep.Counts, rep.Errors)
	}
	if d := decisionFor(rep, "protected-orphan"); d.Outcome != report.Skipped || !strings.Contains(d.Reason, "commander:protect=true") {
		t.Errorf("protected alarm: %+v", d)
	}
	tg, err := cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(arns["comes-back"])})
	if err != nil || len(tg.Tags) != 2 {
		t.Fatalf("marks on comes-back: %v %+v", err, tg)
	}
	setState("comes-back", cwtypes.StateValueOk) // its data is back during the grace
	rep = f.run(j, now.Add(8*day), "")
	if rep.Status != report.StatusOK || rep.Count("delete", report.Done) != 102 || rep.Count("unmark", report.Done) != 1 {
		t.Fatalf("act run: %s %v %v", rep.Status, rep.Counts, rep.Errors)
	}
	// 101 orphans in two calls (100 names a call), the silent one in a third.
	if got := rep.APICalls["CloudWatch.DeleteAlarms"]; got != 3 {
		t.Errorf("DeleteAlarms calls = %d, want 3", got)
	}
	left, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range left.MetricAlarms {
		names = append(names, aws.ToString(a.AlarmName))
	}
	slices.Sort(names)
	if strings.Join(names, ",") != "comes-back,live-ok,protected-orphan" {
		t.Errorf("alarms left: %v", names)
	}
	tg, err = cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(arns["comes-back"])})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range tg.Tags {
		if k := aws.ToString(x.Key); k == tags.CleanupAction || k == tags.CleanupDue {
			t.Errorf("comes-back keeps its mark %s", k)
		}
	}
}
