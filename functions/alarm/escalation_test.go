package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/alarm"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/alarmtest"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
)

// Issue 12, findings 4 and 6 on the alarm side, through the real bootstrap
// under the RIE against moto: whoever may invoke the function can write an
// alarm event, so the function acts only on CloudWatch's own definition and
// state, and never takes down a resource protected in any spelling of the
// key. Each case checks the account unchanged where it must be.
func TestEscalation(t *testing.T) {
	emulatortest.Moto(t)
	fn := emulatortest.Function(t, "alarm", map[string]string{"COMMANDER_EVENT_BUS": bus})
	samples, err := events.Samples("alarm")
	if err != nil {
		t.Fatal(err)
	}
	base := func(name string) []byte {
		for _, s := range samples {
			if s.Name == name {
				return s.Body
			}
		}
		t.Fatalf("no sample %s", name)
		return nil
	}
	const name = "prod-cpu-web"
	running := func(t *testing.T, f *alarmtest.Fixture, what string, ids ...string) {
		t.Helper()
		for _, id := range ids {
			if s := f.InstanceState(id); s != "running" {
				t.Errorf("%s %s is %s, want running", what, id, s)
			}
			if v, ok := f.InstanceTags(id)[alarm.ReactedTag]; ok {
				t.Errorf("%s %s was tagged %s=%s", what, id, alarm.ReactedTag, v)
			}
		}
	}
	tests := []struct {
		name string
		run  func(t *testing.T, f *alarmtest.Fixture) (audits int)
	}{
		{name: "(a) the issue's attack: ALARM claimed for instance B while CloudWatch says INSUFFICIENT_DATA", run: func(t *testing.T, f *alarmtest.Fixture) int {
			a, b := f.Instance(nil), f.Instance(nil)
			f.MetricAlarm(name, map[string]string{tags.OnAlarm: "terminate"}, map[string]string{"InstanceId": a})
			f.SetAlarmState(name, "INSUFFICIENT_DATA")
			ans := invoke(t, fn, alarmtest.Forge(t, base("alarm-single-metric.json"), alarmtest.Forgery{
				Alarm: name, State: "ALARM", Previous: "OK", At: time.Now().Add(time.Second), Dimensions: []map[string]string{{"InstanceId": b}}}))
			if ans.Status != "skipped" || !strings.Contains(ans.Reason, "state change not confirmed by CloudWatch: event says ALARM at ") ||
				!strings.Contains(ans.Reason, "; CloudWatch says INSUFFICIENT_DATA since ") || len(ans.Resources) != 0 {
				t.Errorf("answer = %+v", ans)
			}
			running(t, f, "instance", a, b)
			if s := f.AlarmState(name); s != "INSUFFICIENT_DATA" {
				t.Errorf("alarm is %s", s)
			}
			return 0
		}},
		{name: "(a') the same with a stale timestamp: the history decides, and moto cannot serve it, so the invocation fails for a retry", run: func(t *testing.T, f *alarmtest.Fixture) int {
			// moto 5.2.1 has no DescribeAlarmHistory (HTTP 500 "not implemented"):
			// the function must fail closed, never act on what it could not confirm.
			a, b := f.Instance(nil), f.Instance(nil)
			f.MetricAlarm(name, map[string]string{tags.OnAlarm: "terminate"}, map[string]string{"InstanceId": a})
			f.SetAlarmState(name, "INSUFFICIENT_DATA")
			out, err := fn.Invoke(context.Background(), alarmtest.Forge(t, base("alarm-single-metric.json"), alarmtest.Forgery{
				Alarm: name, Dimensions: []map[string]string{{"InstanceId": b}}}))
			if err != nil {
				t.Fatal(err)
			}
			var ans answer
			_ = json.Unmarshal(out, &ans)
			if !strings.Contains(ans.ErrorMessage, "history of alarm "+name) {
				t.Errorf("answer = %s, want the history's failure", out)
			}
			running(t, f, "instance", a, b)
			return 0
		}},
		{name: "(b) the alarm is in ALARM but the event names instance B: only A, per the definition", run: func(t *testing.T, f *alarmtest.Fixture) int {
			a, b := f.Instance(nil), f.Instance(nil)
			f.MetricAlarm(name, map[string]string{tags.OnAlarm: "terminate"}, map[string]string{"InstanceId": a})
			f.SetAlarmState(name, "ALARM")
			ans := invoke(t, fn, alarmtest.Forge(t, base("alarm-single-metric.json"), alarmtest.Forgery{
				Alarm: name, Dimensions: []map[string]string{{"InstanceId": b}}}))
			if ans.Status != "ok" || len(ans.Resources) != 1 || ans.Resources[0].Resource != a || !ans.has("terminate", "done") ||
				!strings.Contains(ans.Resources[0].Reason, "the event also named ec2:instance "+b+", which the alarm's definition does not: ignored") {
				t.Errorf("answer = %+v", ans)
			}
			if s := f.InstanceState(a); s != "terminated" && s != "shutting-down" {
				t.Errorf("instance A is %s, want terminated by its own alarm", s)
			}
			running(t, f, "instance B", b)
			return 1
		}},
		{name: "(c) an event for an alarm that does not exist", run: func(t *testing.T, f *alarmtest.Fixture) int {
			b := f.Instance(nil)
			ans := invoke(t, fn, alarmtest.Forge(t, base("alarm-single-metric.json"), alarmtest.Forgery{
				Alarm: "no-such-alarm", Dimensions: []map[string]string{{"InstanceId": b}}}))
			if ans.Status != "skipped" || !strings.Contains(ans.Reason, `unknown alarm "no-such-alarm"`) {
				t.Errorf("answer = %+v", ans)
			}
			running(t, f, "instance", b)
			return 0
		}},
		{name: "(d) Commander:Protect=true: the instance is not terminated, the function not throttled", run: func(t *testing.T, f *alarmtest.Fixture) int {
			id := f.Instance(map[string]string{"Commander:Protect": "true"})
			f.MetricAlarm(name, map[string]string{tags.OnAlarm: "terminate"}, map[string]string{"InstanceId": id})
			f.SetAlarmState(name, "ALARM")
			ans := invoke(t, fn, alarmtest.Forge(t, base("alarm-single-metric.json"), alarmtest.Forgery{
				Alarm: name, Dimensions: []map[string]string{{"InstanceId": id}}}))
			if ans.Status != "ok" || !ans.has("notify", "done") || ans.has("terminate", "done") ||
				!strings.Contains(ans.Resources[0].Reason, "protected by Commander:Protect=true: terminate turned into notify") {
				t.Errorf("instance answer = %+v", ans)
			}
			if s := f.InstanceState(id); s != "running" {
				t.Errorf("protected instance is %s", s)
			}

			f.Function("orders-worker", map[string]string{"Commander:Protect": "true"})
			const fnAlarm = "commander-error-rate-orders-worker"
			f.MetricAlarm(fnAlarm, map[string]string{tags.OnAlarm: "throttle"}, map[string]string{"FunctionName": "orders-worker"})
			f.SetAlarmState(fnAlarm, "ALARM")
			ans = invoke(t, fn, base("alarm-metric-math.json"))
			if ans.Status != "ok" || !ans.has("notify", "done") || ans.has("throttle", "done") ||
				!strings.Contains(ans.Resources[0].Reason, "protected by Commander:Protect=true: throttle turned into notify") {
				t.Errorf("function answer = %+v", ans)
			}
			if c := f.Concurrency("orders-worker"); c != nil {
				t.Errorf("protected function has reserved concurrency %d", *c)
			}
			return 2
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := alarmtest.New(t, emulatortest.Config(t))
			queue := f.Bus(bus, `{"source":["commander"],"detail-type":["`+events.AlarmReaction+`"]}`)
			want := tt.run(t, f)
			if got := f.Reactions(queue); len(got) != want {
				t.Errorf("%d audit events, want %d: %+v", len(got), want, got)
			}
		})
	}
}
