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

// A run over several regions keeps one section per region: decisions and
// regional outcomes count in their own section and in the run's totals.
func TestRegionSections(t *testing.T) {
	r := New("backup", "schedule", false, time.Now(), 10)
	r.Regions("eu-west-1", "us-east-1", "ap-south-1", "eu-west-1")
	r.Add(Decision{Resource: "vol-1", Region: "eu-west-1", Action: "snapshot", Outcome: Done})
	r.Add(Decision{Resource: "vol-2", Region: "eu-west-1", Action: "snapshot", Outcome: Failed, Error: "throttled"})
	r.Add(Decision{Resource: "vol-3", Region: "us-east-1", Action: "snapshot", Outcome: Done})
	r.FailIn("ap-south-1", errors.New("DescribeVolumes: access denied"))
	r.PartialIn("us-east-1", "stopped before the deadline")
	r.Took("us-east-1", 1200*time.Millisecond)

	want := []struct {
		region, status string
		done           int
		errors         int
	}{
		{"eu-west-1", StatusPartial, 1, 1},
		{"us-east-1", StatusPartial, 1, 0},
		{"ap-south-1", StatusFailed, 0, 1},
	}
	if len(r.Sections) != len(want) {
		t.Fatalf("sections = %d, want %d (one per distinct region)", len(r.Sections), len(want))
	}
	for i, w := range want {
		s := r.Sections[i]
		if s.Region != w.region || s.Status != w.status || s.Counts["snapshot.done"] != w.done || len(s.Errors) != w.errors {
			t.Errorf("section %d = %+v, want %+v", i, *s, w)
		}
	}
	if r.Sections[1].DurationMs != 1200 || r.Sections[1].Reason != "stopped before the deadline" {
		t.Errorf("us-east-1 = %+v", *r.Sections[1])
	}
	if r.Status != StatusPartial || r.Count("snapshot", Done) != 2 || len(r.Errors) != 2 {
		t.Errorf("run: status %s, counts %v, errors %v", r.Status, r.Counts, r.Errors)
	}
	if !strings.Contains(r.Reason, "ap-south-1: DescribeVolumes: access denied") {
		t.Errorf("reason %q does not name the failed region", r.Reason)
	}
	out, _ := json.Marshal(r)
	if !strings.Contains(string(out), `"regions":[{"region":"eu-west-1"`) {
		t.Errorf("JSON has no regions list: %s", out)
	}
	// A run over one region has no sections.
	if out, _ := json.Marshal(New("backup", "schedule", false, time.Now(), 10)); strings.Contains(string(out), `"regions"`) {
		t.Errorf("single-region JSON lists regions: %s", out)
	}
}
