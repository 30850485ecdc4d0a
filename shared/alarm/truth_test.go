package alarm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/alarm"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/alarmtest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
)

// historyCW answers DescribeAlarmHistory as CloudWatch would from items
// (moto 5.2 does not implement it: HTTP 500), filtered by name, type and
// window, and records each request.
type historyCW struct {
	alarm.CloudWatchAPI
	items []cwtypes.AlarmHistoryItem
	err   error
	calls *[]cloudwatch.DescribeAlarmHistoryInput
}

func (c historyCW) DescribeAlarmHistory(_ context.Context, in *cloudwatch.DescribeAlarmHistoryInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmHistoryOutput, error) {
	*c.calls = append(*c.calls, *in)
	if c.err != nil {
		return nil, c.err
	}
	out := &cloudwatch.DescribeAlarmHistoryOutput{}
	for _, it := range c.items {
		ts := aws.ToTime(it.Timestamp)
		if aws.ToString(it.AlarmName) != aws.ToString(in.AlarmName) || it.HistoryItemType != in.HistoryItemType ||
			ts.Before(aws.ToTime(in.StartDate)) || ts.After(aws.ToTime(in.EndDate)) {
			continue
		}
		out.AlarmHistoryItems = append(out.AlarmHistoryItems, it)
	}
	return out, nil
}

// transition is a StateUpdate history item as CloudWatch writes it.
func transition(name, from, to string, at time.Time) cwtypes.AlarmHistoryItem {
	return cwtypes.AlarmHistoryItem{AlarmName: aws.String(name), AlarmType: cwtypes.AlarmTypeMetricAlarm, HistoryItemType: cwtypes.HistoryItemTypeStateUpdate,
		Timestamp:      aws.Time(at),
		HistorySummary: aws.String("Alarm updated from " + from + " to " + to),
		HistoryData:    aws.String(`{"version":"1.0","oldState":{"stateValue":"` + from + `","stateReason":"r"},"newState":{"stateValue":"` + to + `","stateReason":"r"}}`)}
}

// The targets and the state come from CloudWatch, never from the event: a
// forged or stale event is a skipped report naming the mismatch, with
// nothing touched; the event's dimensions are never acted on.
func TestStateAndTargetsFromCloudWatch(t *testing.T) {
	sampleTime := time.Date(2019, 10, 2, 17, 4, 40, 989_000_000, time.UTC) // the single-metric sample's state timestamp
	tests := []struct {
		name    string
		state   string                     // CloudWatch's state, set before the event
		forgery func() alarmtest.Forgery   // how the event lies, given the instances
		items   []cwtypes.AlarmHistoryItem // served as DescribeAlarmHistory; nil: no such call expected
		histErr error
		wantErr bool
		check   func(t *testing.T, e *env, r *report.Report, a, b string)
	}{
		{name: "ALARM claimed now, INSUFFICIENT_DATA since before: skipped without history", state: "INSUFFICIENT_DATA",
			forgery: func() alarmtest.Forgery { return alarmtest.Forgery{At: time.Now().Add(time.Second)} },
			check: func(t *testing.T, e *env, r *report.Report, a, b string) {
				wantStatus(t, r, report.StatusSkipped, "state change not confirmed by CloudWatch: event says ALARM at ")
				wantStatus(t, r, report.StatusSkipped, "; CloudWatch says INSUFFICIENT_DATA since ")
				wantStatus(t, r, report.StatusSkipped, ", before the event's time")
			}},
		{name: "ALARM claimed in the past, INSUFFICIENT_DATA now, history has no such transition: skipped", state: "INSUFFICIENT_DATA",
			items: []cwtypes.AlarmHistoryItem{transition(singleAlarm, "OK", "INSUFFICIENT_DATA", sampleTime)},
			check: func(t *testing.T, e *env, r *report.Report, a, b string) {
				wantStatus(t, r, report.StatusSkipped, "event says ALARM at 2019-10-02T17:04:40.989Z; CloudWatch says INSUFFICIENT_DATA since ")
				wantStatus(t, r, report.StatusSkipped, ", and its history has no such transition")
			}},
		{name: "ALARM already left, history has the transition: acts on the definition", state: "OK",
			items: []cwtypes.AlarmHistoryItem{transition(singleAlarm, "OK", "ALARM", sampleTime.Add(12*time.Millisecond)), transition(singleAlarm, "ALARM", "OK", sampleTime.Add(time.Second))},
			check: func(t *testing.T, e *env, r *report.Report, a, b string) {
				wantDecision(t, r, "stop", report.Done)
				if s := e.f.InstanceState(a); s != "stopped" && s != "stopping" {
					t.Errorf("instance A is %s, want stopped", s)
				}
				wantReactions(t, e, "stop/done")
			}},
		{name: "history unreachable: failed for a retry, nothing touched", state: "OK",
			histErr: &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}, wantErr: true,
			check: func(t *testing.T, e *env, r *report.Report, a, b string) {
				if r.Status != report.StatusFailed {
					t.Errorf("status %s", r.Status)
				}
			}},
		{name: "in ALARM, event names instance B: A per the definition, B untouched", state: "ALARM",
			check: func(t *testing.T, e *env, r *report.Report, a, b string) {
				d := wantDecision(t, r, "stop", report.Done)
				if d.Resource != a || len(r.Resources) != 1 || !strings.Contains(d.Reason, "the event also named ec2:instance "+b+", which the alarm's definition does not: ignored") {
					t.Errorf("decisions = %+v", r.Resources)
				}
				if s := e.f.InstanceState(a); s != "stopped" && s != "stopping" {
					t.Errorf("instance A is %s, want stopped", s)
				}
				if rs := wantReactions(t, e, "stop/done"); rs[0].Detail.Target == nil || rs[0].Detail.Target.ID != a {
					t.Errorf("audit event = %+v", rs[0])
				}
			}},
		{name: "OK claimed while in ALARM since before: the way back does not run", state: "ALARM",
			forgery: func() alarmtest.Forgery {
				return alarmtest.Forgery{State: "OK", Previous: "ALARM", At: time.Now().Add(time.Second)}
			},
			check: func(t *testing.T, e *env, r *report.Report, a, b string) {
				wantStatus(t, r, report.StatusSkipped, "event says OK at ")
				wantStatus(t, r, report.StatusSkipped, "CloudWatch says ALARM since ")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, nil)
			a, b := e.f.Instance(nil), e.f.Instance(nil)
			e.f.MetricAlarm(singleAlarm, map[string]string{tags.OnAlarm: "stop", tags.OnOK: "start"}, map[string]string{"InstanceId": a})
			e.f.SetAlarmState(singleAlarm, tt.state)
			fg := alarmtest.Forgery{}
			if tt.forgery != nil {
				fg = tt.forgery()
			}
			// Every event names B: only the definition's A may ever be touched.
			fg.Dimensions = []map[string]string{{"InstanceId": b}}
			var calls []cloudwatch.DescribeAlarmHistoryInput
			real := e.h.Clients
			e.h.Clients = func(region string) alarm.Clients {
				c := real(region)
				c.CloudWatch = historyCW{CloudWatchAPI: c.CloudWatch, items: tt.items, err: tt.histErr, calls: &calls}
				return c
			}
			r, err := e.h.Handle(context.Background(), alarmtest.Forge(t, sample(t, single), fg))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v (report %+v)", err, tt.wantErr, r)
			}
			tt.check(t, e, r, a, b)

			if tt.items == nil && tt.histErr == nil && len(calls) != 0 {
				t.Errorf("DescribeAlarmHistory called %d times; CloudWatch's state alone decides here", len(calls))
			}
			for _, in := range calls {
				if aws.ToString(in.AlarmName) != singleAlarm || in.HistoryItemType != cwtypes.HistoryItemTypeStateUpdate ||
					aws.ToTime(in.EndDate).Sub(aws.ToTime(in.StartDate)) != 2*alarm.HistoryTolerance || len(in.AlarmTypes) != 2 {
					t.Errorf("DescribeAlarmHistory input = %+v", in)
				}
			}
			// B is never touched; A only when CloudWatch confirmed the change.
			acted := r.Status == report.StatusOK
			if s := e.f.InstanceState(b); s != "running" {
				t.Errorf("instance B (named only by the event) is %s", s)
			}
			if _, ok := e.f.InstanceTags(b)[alarm.ReactedTag]; ok {
				t.Error("instance B was tagged")
			}
			if !acted {
				if s := e.f.InstanceState(a); s != "running" {
					t.Errorf("instance A is %s after an unconfirmed event", s)
				}
				if _, ok := e.f.InstanceTags(a)[alarm.ReactedTag]; ok {
					t.Error("instance A was tagged after an unconfirmed event")
				}
				wantReactions(t, e)
			}
			if s := e.f.AlarmState(singleAlarm); s != tt.state {
				t.Errorf("alarm is %s, want %s unchanged", s, tt.state)
			}
		})
	}
}

// A composite alarm's state is CloudWatch's too.
func TestCompositeStateFromCloudWatch(t *testing.T) {
	e := setup(t, nil)
	e.f.CompositeAlarm("commander-service-health", map[string]string{tags.OnAlarm: "stop"})
	e.f.SetAlarmState("commander-service-health", "OK")
	real := e.h.Clients
	e.h.Clients = func(region string) alarm.Clients {
		c := real(region)
		c.CloudWatch = compositeCW{c.CloudWatch}
		return c
	}
	raw := alarmtest.Forge(t, sample(t, "alarm-composite.json"), alarmtest.Forgery{At: time.Now().Add(time.Second)})
	wantStatus(t, e.handleAsIs(t, raw), report.StatusSkipped, "CloudWatch says OK since ")
	if _, ok := e.f.AlarmTags("commander-service-health")[alarm.ReactedTag]; ok {
		t.Error("an unconfirmed event was remembered on the alarm")
	}
	wantReactions(t, e)
}
