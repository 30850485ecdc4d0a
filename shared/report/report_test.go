package report

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestReport(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := New("cleanup", "schedule", true, start, 2)
	r.Add(Decision{Resource: "vol-1", Type: "ec2:volume", Action: "delete", Outcome: Planned, Reason: "unattached 30 days"})
	r.Add(Decision{Resource: "vol-2", Type: "ec2:volume", Action: "delete", Outcome: Planned, Reason: "unattached 40 days"})
	r.Add(Decision{Resource: "vol-3", Type: "ec2:volume", Action: "delete", Outcome: Failed, Reason: "unattached", Error: "throttled"})
	r.Finish(start.Add(1500*time.Millisecond), nil)

	if got := r.Count("delete", Planned); got != 2 {
		t.Errorf("planned = %d", got)
	}
	if len(r.Resources) != 2 || r.Truncated != 1 {
		t.Errorf("listed %d, truncated %d; want 2 and 1", len(r.Resources), r.Truncated)
	}
	if r.Status != StatusPartial || len(r.Errors) != 1 || !strings.Contains(r.Errors[0], "vol-3") {
		t.Errorf("status %s, errors %v", r.Status, r.Errors)
	}
	if r.DurationMs != 1500 {
		t.Errorf("duration = %d", r.DurationMs)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"function":"cleanup"`, `"dryRun":true`, `"delete.planned":2`, `"truncatedResources":1`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}
	if r.Err() != nil {
		t.Error("a partial run is not an error")
	}
	r.Fail(errors.New("list volumes: access denied"))
	if r.Err() == nil || r.Status != StatusFailed {
		t.Error("a failed run must be an error")
	}
}
