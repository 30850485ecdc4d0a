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
	"github.com/aws-commander/commander/shared/testkit/emulator"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

const bus = "commander-audit"

// answer is what the function returns: the report, or Lambda's error shape.
type answer struct {
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	EventID   string `json:"eventId"`
	Resources []struct {
		Resource, Type, Action, Outcome, Reason string
	} `json:"resources"`
	ErrorMessage string `json:"errorMessage"`
}

func (a answer) has(action, outcome string) bool {
	for _, r := range a.Resources {
		if r.Action == action && r.Outcome == outcome {
			return true
		}
	}
	return false
}

// dim is how an instance id appears as the sample's dimension, so fixtures
// replace it there and not in the alarm's name.
func dim(id string) string { return `"InstanceId": "` + id + `"` }

// sampleCase prepares moto for one sample, says how to rewrite the sample's
// placeholder ids, and checks the answer and the resulting AWS state.
type sampleCase struct {
	setup func(t *testing.T, f *alarmtest.Fixture) (replace []string, check func(t *testing.T, a answer))
	// refused: the event can never be handled, so the function answers an
	// error (Lambda retries it, then it reaches the dead-letter queue).
	refused bool
}

var cases = map[string]sampleCase{
	"alarm-single-metric.json": {setup: func(t *testing.T, f *alarmtest.Fixture) ([]string, func(*testing.T, answer)) {
		id := f.Instance(nil)
		f.MetricAlarm("commander-cpu-i-0123456789abcdef0", map[string]string{tags.OnAlarm: "stop"}, map[string]string{"InstanceId": id})
		return []string{dim("i-0123456789abcdef0"), dim(id)}, func(t *testing.T, a answer) {
			if a.Status != "ok" || !a.has("stop", "done") {
				t.Errorf("answer = %+v", a)
			}
			if s := f.InstanceState(id); s != "stopped" && s != "stopping" {
				t.Errorf("instance is %s, want stopped", s)
			}
		}
	}},
	"alarm-metric-math.json": {setup: func(t *testing.T, f *alarmtest.Fixture) ([]string, func(*testing.T, answer)) {
		f.Function("orders-worker", nil)
		f.MetricAlarm("commander-error-rate-orders-worker", map[string]string{tags.OnAlarm: "throttle"}, map[string]string{"FunctionName": "orders-worker"})
		return nil, func(t *testing.T, a answer) {
			if a.Status != "ok" || !a.has("throttle", "done") {
				t.Errorf("answer = %+v", a)
			}
			if c := f.Concurrency("orders-worker"); c == nil || *c != 0 {
				t.Errorf("reserved concurrency = %v, want 0", c)
			}
		}
	}},
	"alarm-composite.json": {setup: func(t *testing.T, f *alarmtest.Fixture) ([]string, func(*testing.T, answer)) {
		f.CompositeAlarm("commander-service-health", map[string]string{tags.OnAlarm: "reboot"})
		return nil, func(t *testing.T, a answer) {
			if a.Status != "ok" || !a.has("notify", "done") || a.Resources[0].Type != "cloudwatch:alarm" {
				t.Errorf("answer = %+v", a)
			}
			if _, ok := f.AlarmTags("commander-service-health")[alarm.ReactedTag]; !ok {
				t.Errorf("alarm not tagged %s", alarm.ReactedTag)
			}
		}
	}},
	"alarm-ok-to-alarm.json": {setup: func(t *testing.T, f *alarmtest.Fixture) ([]string, func(*testing.T, answer)) {
		id := f.Instance(nil)
		vols := f.InstanceVolumes(id)
		f.MetricAlarm("commander-status-check-i-0fedcba9876543210", map[string]string{tags.OnAlarm: "snapshot"}, map[string]string{"InstanceId": id})
		return []string{dim("i-0fedcba9876543210"), dim(id)}, func(t *testing.T, a answer) {
			if a.Status != "ok" || !a.has("snapshot", "done") {
				t.Errorf("answer = %+v", a)
			}
			if n := len(f.Snapshots(vols...)); n == 0 || n != len(vols) {
				t.Errorf("%d snapshots of the instance's %d volumes", n, len(vols))
			}
			if s := f.InstanceState(id); s != "running" {
				t.Errorf("instance is %s", s)
			}
		}
	}},
	"alarm-alarm-to-ok.json": {setup: func(t *testing.T, f *alarmtest.Fixture) ([]string, func(*testing.T, answer)) {
		id := f.StoppedInstance(nil)
		f.MetricAlarm("commander-queue-depth-i-0123456789abcdef1", map[string]string{tags.OnAlarm: "stop", tags.OnOK: "start"}, map[string]string{"InstanceId": id})
		return []string{dim("i-0123456789abcdef1"), dim(id)}, func(t *testing.T, a answer) {
			if a.Status != "ok" || !a.has("start", "done") {
				t.Errorf("answer = %+v", a)
			}
			if s := f.InstanceState(id); s != "running" && s != "pending" {
				t.Errorf("instance is %s, want running", s)
			}
		}
	}},
	"alarm-insufficient-data.json": {setup: func(t *testing.T, f *alarmtest.Fixture) ([]string, func(*testing.T, answer)) {
		id := f.Instance(nil)
		f.MetricAlarm("commander-cpu-i-0aaaabbbbccccdddd", map[string]string{tags.OnAlarm: "stop"}, map[string]string{"InstanceId": id})
		return []string{dim("i-0aaaabbbbccccdddd"), dim(id)}, func(t *testing.T, a answer) {
			if a.Status != "skipped" || !strings.Contains(a.Reason, "no reaction configured") {
				t.Errorf("answer = %+v", a)
			}
			if s := f.InstanceState(id); s != "running" {
				t.Errorf("instance is %s", s)
			}
		}
	}},
	"alarm-malformed.json": {setup: func(t *testing.T, f *alarmtest.Fixture) ([]string, func(*testing.T, answer)) {
		id := f.Instance(nil)
		f.MetricAlarm("commander-cpu-i-0123456789abcdef0", map[string]string{tags.OnAlarm: "stop"}, map[string]string{"InstanceId": id})
		return []string{dim("i-0123456789abcdef0"), dim(id)}, func(t *testing.T, a answer) {
			if !strings.HasPrefix(a.ErrorMessage, "alarm: malformed event:") {
				t.Errorf("answer = %+v, want the function error naming the malformed event", a)
			}
			if s := f.InstanceState(id); s != "running" {
				t.Errorf("instance is %s", s)
			}
		}
	}, refused: true},
	"alarm-protected.json": {setup: func(t *testing.T, f *alarmtest.Fixture) ([]string, func(*testing.T, answer)) {
		id := f.Instance(map[string]string{tags.Protect: "true"})
		f.MetricAlarm("commander-cpu-protected-i-0bbbbccccddddeeee", map[string]string{tags.OnAlarm: "terminate"}, map[string]string{"InstanceId": id})
		return []string{dim("i-0bbbbccccddddeeee"), dim(id)}, func(t *testing.T, a answer) {
			if a.Status != "ok" || !a.has("notify", "done") || !strings.Contains(a.Resources[0].Reason, "protected") {
				t.Errorf("answer = %+v", a)
			}
			if s := f.InstanceState(id); s != "running" {
				t.Errorf("protected instance is %s", s)
			}
		}
	}},
}

func invoke(t *testing.T, fn *emulator.Function, body []byte) answer {
	t.Helper()
	a := answerOf(t, fn, body)
	if a.ErrorMessage != "" {
		t.Fatalf("function error: %s", a.ErrorMessage)
	}
	return a
}

// answerOf is the function's answer: its report, or its error.
func answerOf(t *testing.T, fn *emulator.Function, body []byte) answer {
	t.Helper()
	out, err := fn.Invoke(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	var a answer
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatalf("answer is not JSON: %s", out)
	}
	return a
}

// The real bootstrap, under the Lambda Runtime Interface Emulator against
// moto, handles every alarm sample: each reaction's AWS state is checked,
// its audit event read back from the bus, and a second delivery of the same
// event does nothing new.
func TestBootstrapHandlesSamples(t *testing.T) {
	emulatortest.Moto(t)
	fn := emulatortest.Function(t, "alarm", map[string]string{"COMMANDER_EVENT_BUS": bus})
	samples, err := events.Samples("alarm")
	if err != nil || len(samples) == 0 {
		t.Fatalf("samples: %v (%d)", err, len(samples))
	}
	for _, s := range samples {
		t.Run(s.Name, func(t *testing.T) {
			c, ok := cases[s.Name]
			if !ok {
				t.Fatalf("sample %s has no case in this test: add one that checks its effect", s.Name)
			}
			f := alarmtest.New(t, emulatortest.Config(t))
			queue := f.Bus(bus, `{"source":["commander"],"detail-type":["`+events.AlarmReaction+`"]}`)
			replace, check := c.setup(t, f)
			body := []byte(strings.NewReplacer(replace...).Replace(string(s.Body)))
			// CloudWatch is in the state the sample reports, as when it sends one:
			// the function acts only on a state change CloudWatch confirms.
			f.Agree(body)
			a := answerOf(t, fn, body)
			if a.ErrorMessage != "" && !c.refused {
				t.Fatalf("function error: %s", a.ErrorMessage)
			}
			check(t, a)

			reactions := f.Reactions(queue)
			acted := a.Status == "ok" || a.Status == "partial"
			if acted && len(reactions) != len(a.Resources) {
				t.Errorf("%d audit events for %d reactions", len(reactions), len(a.Resources))
			}
			if !acted && len(reactions) != 0 {
				t.Errorf("audit events for a %s event: %+v", a.Status, reactions)
			}
			if acted {
				again := invoke(t, fn, body)
				if again.Status != "skipped" || !strings.Contains(again.Reason, "duplicate") {
					t.Errorf("second delivery = %+v, want skipped as duplicate", again)
				}
				if n := len(f.Reactions(queue)); n != 0 {
					t.Errorf("second delivery emitted %d audit events", n)
				}
			}
		})
	}
}

// A bad alarm setting stops the start with a message naming the variable.
func TestBootstrapRefusesBadSettings(t *testing.T) {
	emulatortest.Moto(t)
	fn := emulatortest.Function(t, "alarm", map[string]string{alarm.EnvActions: "prod-=explode"})
	out, _ := fn.Invoke(context.Background(), []byte(`{}`))
	if strings.Contains(string(out), `"status"`) {
		t.Fatalf("the handler ran despite a bad setting: %s", out)
	}
	if !fn.AwaitOutput(`COMMANDER_ALARM_ACTIONS=\"prod-=explode\" is invalid`, 5*time.Second) {
		t.Errorf("the function's log must name the variable and value; got %s", fn.Output())
	}
}
