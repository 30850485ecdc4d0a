package report

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync"
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

// Estimated savings: done and planned decisions count in the total, skipped
// and failed ones do not, and a decision without an estimate is no zero.
func TestSavings(t *testing.T) {
	r := New("cleanup", "schedule", true, time.Now(), 2)
	r.PricedBy("price table 2026-12-01 (https://aws.amazon.com/ebs/pricing/)")
	r.AddSaving(Decision{Resource: "vol-1", Action: "delete", Outcome: Planned, Reason: "unattached 30 days"}, 8, "gp3 100 GiB in us-east-1 at $0.08/GiB-month = $8.00/month")
	r.AddSaving(Decision{Resource: "eipalloc-1", Action: "release", Outcome: Done, Reason: "unassociated"}, 3.65, "public IPv4")
	r.AddSaving(Decision{Resource: "vol-2", Action: "delete", Outcome: Skipped, Reason: "protected"}, 100, "x")
	r.AddSaving(Decision{Resource: "vol-3", Action: "delete", Outcome: Failed, Error: "throttled"}, 100, "x")
	r.Add(Decision{Resource: "vol-4", Action: "delete", Outcome: Done, Reason: "no estimate: io9 unknown"})
	r.AddSaving(Decision{Resource: "vol-5", Action: "delete", Outcome: Done}, math.NaN(), "x")
	r.AddSaving(Decision{Resource: "snap-1", Action: "delete", Outcome: Done}, 0.1, "snapshot") // listed past the bound, still counted
	r.AddSaving(Decision{Resource: "snap-2", Action: "delete", Outcome: Done}, 0.2, "snapshot")

	if r.SavingsUSD != 11.95 {
		t.Errorf("SavingsUSD = %v, want 8 + 3.65 + 0.1 + 0.2 = 11.95 (done and planned only, in cents)", r.SavingsUSD)
	}
	d := r.Resources[0]
	if d.Saving == nil || *d.Saving != 8 || d.Reason != "unattached 30 days; gp3 100 GiB in us-east-1 at $0.08/GiB-month = $8.00/month" {
		t.Errorf("decision = %+v; want the saving and the basis appended to the reason", d)
	}
	if r.Truncated != 6 {
		t.Errorf("truncated = %d", r.Truncated)
	}
	b, _ := json.Marshal(r)
	for _, want := range []string{`"monthlySavingUSD":8`, `"estimatedMonthlySavingUSD":11.95`, `"prices":"price table 2026-12-01`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}

	// Without estimates, no total and no saving fields: absent, not zero.
	plain := New("backup", "schedule", false, time.Now(), 10)
	plain.Add(Decision{Resource: "vol-1", Action: "snapshot", Outcome: Done})
	b, _ = json.Marshal(plain)
	for _, absent := range []string{"monthlySavingUSD", "estimatedMonthlySavingUSD", `"prices"`} {
		if strings.Contains(string(b), absent) {
			t.Errorf("JSON has %s without an estimate: %s", absent, b)
		}
	}
	none := New("cleanup", "schedule", false, time.Now(), 10)
	none.AddSaving(Decision{Resource: "vol-5", Action: "delete", Outcome: Done}, -1, "x")
	if d := none.Resources[0]; d.Saving != nil || !strings.Contains(d.Reason, "no estimate") {
		t.Errorf("a negative saving was recorded: %+v", d)
	}
	neg := -5.0
	none.Add(Decision{Resource: "vol-6", Action: "delete", Outcome: Done, Saving: &neg})
	if d := none.Resources[1]; d.Saving != nil || none.SavingsUSD != 0 {
		t.Errorf("Add kept a negative saving: %+v, total %v", d, none.SavingsUSD)
	}
}

// Decisions recorded concurrently sum exactly (run with -race).
func TestSavingsConcurrent(t *testing.T) {
	r := New("cleanup", "schedule", false, time.Now(), 10)
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.AddSaving(Decision{Resource: "snap", Action: "delete", Outcome: Done}, 0.1, "snapshot")
		}()
	}
	wg.Wait()
	if r.SavingsUSD != 10 {
		t.Errorf("SavingsUSD = %v, want 10", r.SavingsUSD)
	}
}

// Total counts one outcome over every action.
func TestTotal(t *testing.T) {
	r := New("test", "direct", false, time.Now(), 10)
	for _, d := range []Decision{{Action: "delete", Outcome: Done}, {Action: "mark", Outcome: Done}, {Action: "delete", Outcome: Skipped}} {
		r.Add(d)
	}
	cases := []struct {
		outcome string
		want    int
	}{{Done, 2}, {Skipped, 1}, {Failed, 0}}
	for _, c := range cases {
		t.Run(c.outcome, func(t *testing.T) {
			if got := r.Total(c.outcome); got != c.want {
				t.Errorf("Total(%s) = %d, want %d", c.outcome, got, c.want)
			}
		})
	}
}
