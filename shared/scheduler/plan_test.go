package scheduler

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/schedule"
	"github.com/aws-commander/commander/shared/tags"
)

func mustDoc(t *testing.T, text string) schedule.Document {
	t.Helper()
	d, err := schedule.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Plan, per instance: the schedule's state where it changed, the guards
// (override, protection, Auto Scaling, states in transition) before it.
// 2026-12-07 is a Monday; Paris is UTC+1 in December.
func TestPlan(t *testing.T) {
	doc := mustDoc(t, schedule.Default)
	const (
		evening = "2026-12-07T18:30:00Z" // 19:30 in Paris: stopped since 19:00
		morning = "2026-12-07T07:30:00Z" // 08:30 in Paris: running since 08:00
	)
	stoppedAt19 := "stopped@2026-12-07T18:00:00Z"
	cases := []struct {
		name       string
		now        string
		state      string
		tags       map[string]string
		wantOK     bool
		wantAction string
		wantWant   schedule.State
		wantReason string // a part of Skip or Reason
	}{
		{"evening: a running instance first seen is stopped at once", evening, "running", nil, true, Stop, schedule.Stopped, ""},
		{"morning: a stopped instance first seen is started", morning, "stopped", nil, true, Start, schedule.Running, ""},
		{"already in the wanted state: only remembered", evening, "stopped", nil, true, Record, schedule.Stopped, ""},
		{"remembered already: nothing to do, no call", evening, "stopped", map[string]string{tags.ScheduleState: stoppedAt19}, false, "", "", ""},
		{"started by a person after the stop: not fought", evening, "running", map[string]string{tags.ScheduleState: stoppedAt19}, false, "", "", ""},
		{"the next morning: the schedule changed, so it acts", "2026-12-08T07:30:00Z", "stopped", map[string]string{tags.ScheduleState: stoppedAt19}, true, Start, schedule.Running, ""},
		{"protected: never stopped", evening, "running", map[string]string{"Commander:Protect": "yes"}, true, Stop, schedule.Stopped, "protected"},
		{"protected may still be started", morning, "stopped", map[string]string{tags.Protect: "true"}, true, Start, schedule.Running, ""},
		{"an Auto Scaling group's instance is left to the group", evening, "running", map[string]string{tags.AutoScalingGroup: "web"}, true, Stop, schedule.Stopped, "Auto Scaling group web"},
		{"pending: the next run decides", evening, "pending", nil, true, Stop, schedule.Stopped, "instance is pending"},
		{"override holds it running in the evening", evening, "running", map[string]string{tags.ScheduleOverride: "running until 2026-12-08T00:00:00Z"}, true, Record, schedule.Running, ""},
		{"an expired override is ignored", evening, "running", map[string]string{tags.ScheduleOverride: "running until 2026-12-07T12:00:00Z"}, true, Stop, schedule.Stopped, ""},
		{"a bad override leaves the instance alone", evening, "running", map[string]string{tags.ScheduleOverride: "awake"}, true, Keep, "", tags.ScheduleOverride},
		{"an unknown schedule is reported", evening, "running", map[string]string{tags.Schedule: "night-shift"}, true, Keep, "", `unknown schedule "night-shift"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg := map[string]string{tags.Schedule: "office-hours"}
			for k, v := range c.tags {
				tg[k] = v
			}
			st, ok := Plan(doc, Instance{ID: "i-1", Region: "eu-west-3", State: c.state, Type: "t3.micro", Tags: tg}, at(c.now), tags.Protect)
			if ok != c.wantOK {
				t.Fatalf("ok = %v, want %v (%+v)", ok, c.wantOK, st)
			}
			if !ok {
				return
			}
			if st.Action != c.wantAction || st.Want != c.wantWant {
				t.Errorf("action %q want %q, expected %q %q (skip %q, reason %q)", st.Action, st.Want, c.wantAction, c.wantWant, st.Skip, st.Reason)
			}
			if c.wantReason != "" && !strings.Contains(st.Skip+" "+st.Reason, c.wantReason) {
				t.Errorf("skip %q / reason %q lacks %q", st.Skip, st.Reason, c.wantReason)
			}
			if st.Action == Keep && st.Skip == "" {
				t.Error("a step left alone must say why")
			}
			if guarded := strings.Contains(c.name, "never stopped") || strings.Contains(c.name, "Auto Scaling") || strings.Contains(c.name, "next run decides"); guarded != (st.Skip != "" && st.Action != Keep) {
				t.Errorf("guarded step: skip %q with action %q", st.Skip, st.Action)
			}
		})
	}
}

// What the tag remembers is the transition that asked for the state, so a
// redelivered event (or the next run) finds it enforced.
func TestEnforcedValue(t *testing.T) {
	doc := mustDoc(t, schedule.Default)
	st, _ := Plan(doc, Instance{ID: "i-1", State: "running", Tags: map[string]string{tags.Schedule: "office-hours"}}, at("2026-12-07T18:30:00Z"), tags.Protect)
	if got := st.Enforced(); got != "stopped@2026-12-07T18:00:00Z" {
		t.Fatalf("enforced = %q", got)
	}
}

// Office hours 08:00–19:00 on weekdays keep an instance stopped 113 of
// 168 hours a week: 491 of AWS's 730 hours a month. A stop-only net keeps
// it stopped only from its stop to midnight.
func TestStoppedHoursPerMonth(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want float64
	}{
		{"office hours", schedule.Default, 113 * 730.0 / 168},
		{"stop at 22:00 every day", "schedules:\n  - name: net\n    timezone: UTC\n    periods:\n      - days: [mon, tue, wed, thu, fri, sat, sun]\n        stop: \"22:00\"\n", 14 * 730.0 / 168},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := mustDoc(t, c.doc)
			s := doc.Schedules[0]
			if got := stoppedHoursPerMonth(s, at("2026-12-07T00:00:00Z")); math.Abs(got-c.want) > 0.01 {
				t.Fatalf("stopped hours a month = %.2f, want %.2f", got, c.want)
			}
		})
	}
}
