package guard_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/guard"
)

func TestMarkThenAct(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 500, time.UTC)
	grace := 7 * 24 * time.Hour
	cases := []struct {
		name, markAction, due, action string
		step                          string
		at                            time.Time
	}{
		{"a new candidate is marked with a full grace", "", "", "delete", guard.StepMark, now.Add(grace).Truncate(time.Second)},
		{"marked for another action: marked again, never acted on", "stop", "2026-12-01T00:00:00Z", "terminate", guard.StepMark, now.Add(grace).Truncate(time.Second)},
		{"an unreadable due date: marked again", "delete", "next tuesday", "delete", guard.StepMark, now.Add(grace).Truncate(time.Second)},
		{"a due date without its action: marked again", "", "2026-12-01T00:00:00Z", "delete", guard.StepMark, now.Add(grace).Truncate(time.Second)},
		{"marked, not yet due: waits", "delete", "2026-12-04T00:00:00Z", "delete", guard.StepWait, time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)},
		{"marked and due: acts", "delete", "2026-12-01T00:00:00Z", "delete", guard.StepAct, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"due this very second: acts", "delete", "2026-12-03T12:00:00Z", "delete", guard.StepAct, time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			step, at := guard.MarkThenAct(c.markAction, c.due, c.action, now, grace)
			if step != c.step || !at.Equal(c.at) {
				t.Errorf("MarkThenAct = %s %s, want %s %s", step, at, c.step, c.at)
			}
		})
	}
}

func TestAgain(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	last := guard.Memory{Key: "cpu-high", At: now.Add(-10 * time.Minute), EventID: "ev-1"}
	cases := []struct {
		name     string
		last     guard.Memory
		key, ev  string
		cooldown time.Duration
		want     string
	}{
		{"nothing remembered: may act", guard.Memory{}, "cpu-high", "ev-2", time.Hour, ""},
		{"the same event again: a duplicate", last, "cpu-high", "ev-1", 0, "duplicate: event ev-1"},
		{"the same event is a duplicate whatever the alarm", last, "other", "ev-1", 0, "duplicate"},
		{"the same alarm within the cooldown", last, "cpu-high", "ev-2", 15 * time.Minute, "cooldown: reacted to this alarm"},
		{"the same alarm after the cooldown", last, "cpu-high", "ev-2", 5 * time.Minute, ""},
		{"another alarm within the cooldown", last, "disk-full", "ev-2", time.Hour, ""},
		{"a cooldown of 0 disables it", last, "cpu-high", "ev-2", 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := guard.Again(c.last, c.key, c.ev, now, c.cooldown)
			if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
				t.Errorf("Again = %q, want %q", got, c.want)
			}
		})
	}
}

func TestDryRun(t *testing.T) {
	cases := []struct {
		name              string
		deployment, asked bool
		want              bool
	}{
		{"live deployment, live request: acts", false, false, false},
		{"a request may ask for a dry run", false, true, true},
		{"a request cannot lift the deployment's dry run", true, false, true},
		{"both dry", true, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := guard.DryRun(c.deployment, c.asked); got != c.want {
				t.Errorf("DryRun(%v, %v) = %v", c.deployment, c.asked, got)
			}
		})
	}
}
