package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/report"
)

// emf is one EMF line: its dimensions, metric names and values.
type emf struct {
	dims   []string
	values map[string]float64
	fields map[string]any
}

func lines(t *testing.T, out string) []emf {
	t.Helper()
	var got []emf
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %s", l)
		}
		aws := m["_aws"].(map[string]any)
		d := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
		e := emf{values: map[string]float64{}, fields: m}
		for _, x := range d["Dimensions"].([]any)[0].([]any) {
			e.dims = append(e.dims, x.(string))
		}
		for _, x := range d["Metrics"].([]any) {
			name := x.(map[string]any)["Name"].(string)
			e.values[name] = m[name].(float64)
		}
		got = append(got, e)
	}
	return got
}

func TestWriteMetrics(t *testing.T) {
	started := time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		build   func(*report.Report)
		extra   map[string]float64
		run     map[string]float64 // expected values on the Job line
		actions map[string]map[string]float64
		err     string
	}{
		{"a run with decisions", func(r *report.Report) {
			r.Add(report.Decision{Resource: "snap-1", Type: "ec2:snapshot", Action: "delete", Outcome: report.Done})
			r.Add(report.Decision{Resource: "snap-2", Type: "ec2:snapshot", Action: "delete", Outcome: report.Failed, Error: "x"})
			r.Add(report.Decision{Resource: "vol-1", Type: "ec2:volume", Action: "snapshot", Outcome: report.Done})
			r.Partial("one failed")
			r.Finish(started.Add(1500*time.Millisecond), nil)
		}, map[string]float64{report.MetricBreakerTrips: 2},
			map[string]float64{"Runs": 1, "PartialRuns": 1, "FailedRuns": 0, "SkippedRuns": 0, "Duration": 1500, "Done": 2, "Failed": 1, "Planned": 0, "Skipped": 0, "BreakerTrips": 2},
			map[string]map[string]float64{"delete": {"Done": 1, "Failed": 1}, "snapshot": {"Done": 1}}, ""},
		{"a skipped run has every total, at zero", func(r *report.Report) {
			r.Skip("duplicate event")
			r.Finish(started, nil)
		}, nil, map[string]float64{"Runs": 1, "SkippedRuns": 1, "Done": 0, "Planned": 0, "Skipped": 0, "Failed": 0, "Errors": 0, "APICalls": 0}, nil, ""},
		{"a failed run", func(r *report.Report) {
			r.Fail(errors.New("listing failed"))
			r.Finish(started, nil)
		}, nil, map[string]float64{"FailedRuns": 1, "Errors": 1}, nil, ""},
		{"a name outside the vocabulary is refused", func(r *report.Report) { r.Finish(started, nil) },
			map[string]float64{"SnapshotsCreated": 1}, nil, nil, "not a job measure"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := report.New("backup", "schedule", false, started, 100)
			c.build(r)
			var buf bytes.Buffer
			err := r.WriteMetrics(&buf, "Commander", c.extra)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || buf.Len() != 0 {
					t.Fatalf("err = %v, output %q; want %q and nothing written", err, buf.String(), c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := lines(t, buf.String())
			if len(got) != 1+len(c.actions) {
				t.Fatalf("%d lines, want 1 + one per action:\n%s", len(got), buf.String())
			}
			if !slices.Equal(got[0].dims, []string{report.DimJob}) || got[0].fields["Job"] != "backup" {
				t.Errorf("run line dimensions %v (%v)", got[0].dims, got[0].fields["Job"])
			}
			for name, want := range c.run {
				if got[0].values[name] != want {
					t.Errorf("%s = %v, want %v", name, got[0].values[name], want)
				}
			}
			for _, l := range got {
				for name := range l.values {
					if !slices.Contains(report.Vocabulary, name) {
						t.Errorf("%s is emitted but not in the vocabulary", name)
					}
				}
			}
			for _, l := range got[1:] {
				a, _ := l.fields["Action"].(string)
				if !slices.Equal(l.dims, []string{report.DimAction, report.DimJob}) {
					t.Errorf("action line dimensions %v", l.dims)
				}
				for name, want := range c.actions[a] {
					if l.values[name] != want {
						t.Errorf("%s %s = %v, want %v", a, name, l.values[name], want)
					}
				}
				if len(l.values) != len(c.actions[a]) {
					t.Errorf("%s line has %v, want only %v", a, l.values, c.actions[a])
				}
			}
		})
	}
}

// EstimatedMonthlySavings is on the run line, in USD with unit None, when
// some decision carried an estimate, and absent otherwise.
func TestWriteMetricsSavings(t *testing.T) {
	started := time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC)
	unit := func(t *testing.T, out, name string) (string, bool) {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &m); err != nil {
			t.Fatal(err)
		}
		for _, x := range m["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)["Metrics"].([]any) {
			if x.(map[string]any)["Name"] == name {
				return x.(map[string]any)["Unit"].(string), true
			}
		}
		return "", false
	}
	cases := []struct {
		name  string
		build func(*report.Report)
		want  float64
		found bool
	}{
		{"done and planned decisions with estimates", func(r *report.Report) {
			r.AddSaving(report.Decision{Resource: "vol-1", Action: "delete", Outcome: report.Done}, 8, "gp3")
			r.AddSaving(report.Decision{Resource: "vol-2", Action: "delete", Outcome: report.Failed, Error: "x"}, 5, "gp3")
			r.AddSaving(report.Decision{Resource: "eipalloc-1", Action: "release", Outcome: report.Planned}, 3.65, "ipv4")
		}, 11.65, true},
		{"estimates whose decisions all failed write a zero", func(r *report.Report) {
			r.AddSaving(report.Decision{Resource: "vol-2", Action: "delete", Outcome: report.Failed, Error: "x"}, 5, "gp3")
		}, 0, true},
		{"no estimate, no metric", func(r *report.Report) {
			r.Add(report.Decision{Resource: "vol-1", Action: "snapshot", Outcome: report.Done})
		}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := report.New("cleanup", "schedule", false, started, 100)
			c.build(r)
			r.Finish(started, nil)
			var buf bytes.Buffer
			if err := r.WriteMetrics(&buf, "Commander", nil); err != nil {
				t.Fatal(err)
			}
			got := lines(t, buf.String())
			v, ok := got[0].values[report.MetricEstimatedMonthlySavings]
			if ok != c.found || v != c.want {
				t.Fatalf("EstimatedMonthlySavings = %v (present %v), want %v (present %v)", v, ok, c.want, c.found)
			}
			if u, _ := unit(t, buf.String(), report.MetricEstimatedMonthlySavings); ok && u != "None" {
				t.Errorf("unit = %q, want None", u)
			}
			if !slices.Equal(got[0].dims, []string{report.DimJob}) {
				t.Errorf("dimensions %v, want Job alone", got[0].dims)
			}
			for _, l := range got[1:] {
				if _, ok := l.values[report.MetricEstimatedMonthlySavings]; ok {
					t.Errorf("EstimatedMonthlySavings on an action line: %v", l.dims)
				}
			}
		})
	}
}
