package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/clock"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/runner"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/trigger"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
)

// ask is a test job's request: {"dryRun": bool, "fail": "...", "stop": bool,
// "hop": n, "actions": n}.
type ask struct {
	DryRun  bool   `json:"dryRun"`
	Fail    string `json:"fail"`
	Stop    bool   `json:"stop"`
	Idle    bool   `json:"idle"` // does nothing before it stops
	Hop     int    `json:"hop"`
	Actions int    `json:"actions"`
	Now     string `json:"now"` // the runner reads it from the trigger
	t       trigger.Trigger
}

func (a ask) AsksDryRun() bool       { return a.DryRun }
func (a ask) Event() trigger.Trigger { return a.t }
func (a ask) Key(now time.Time) string {
	if a.t.Kind == trigger.Direct {
		return "direct@" + now.Format(time.RFC3339)
	}
	return a.t.IdempotencyKey()
}
func (a ask) Carried() (guard.LedgerState, int) {
	return guard.LedgerState{Actions: map[string]int{"job": a.Actions}}, a.Hop
}

// job records what the runner handed it.
type job struct {
	ran  bool
	seen *runner.Run
}

func (j *job) Decode(t trigger.Trigger) (ask, error) {
	a := ask{t: t}
	if t.Kind != trigger.Direct {
		return a, nil
	}
	dec := json.NewDecoder(bytes.NewReader(t.Payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return a, fmt.Errorf("request: %w", err)
	}
	a.t = t
	return a, nil
}

func (j *job) Run(_ context.Context, run *runner.Run, a ask) error {
	j.ran, j.seen = true, run
	if a.Fail != "" {
		return errors.New(a.Fail)
	}
	if !a.Idle {
		run.Report.Add(report.Decision{Resource: "r-1", Type: "test:thing", Action: "delete", Outcome: report.Done})
	}
	run.Measure(report.MetricCandidates, 3)
	run.Detail("extra", "yes")
	if a.Stop {
		run.HandOver(map[string]int{"at": 1}, map[string]any{"resume": true, "hop": run.Hop + 1})
	}
	return nil
}

type bus struct{ details []string }

func (b *bus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	for _, e := range in.Entries {
		b.details = append(b.details, *e.DetailType+" "+*e.Detail)
	}
	return &eventbridge.PutEventsOutput{}, nil
}

// The runner's contract, one case per property every job gets from it.
func TestRunner(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	scheduled := `{"version":"0","id":"ev-1","detail-type":"Scheduled Event","source":"aws.scheduler","account":"1","time":"2026-12-03T02:00:00Z","region":"us-east-1","resources":["arn:aws:scheduler:us-east-1:1:schedule/default/nightly"],"detail":"{}"}`
	cases := []struct {
		name       string
		env        map[string]string
		byDefault  bool // the job's dry-run default
		followUp   bool
		payload    string
		wantErr    string // the invocation's error ("" none)
		wantStatus string
		wantReason string
		wantDry    bool
		wantKey    string
		wantRan    bool
		wantHanded string // the follow-up's payload
	}{
		{name: "a schedule runs under its schedule and time", payload: scheduled, wantStatus: report.StatusOK,
			wantKey: "arn:aws:scheduler:us-east-1:1:schedule/default/nightly@2026-12-03T02:00:00Z", wantRan: true},
		{name: "bytes that are not JSON fail the run, naming why", payload: "not json", wantErr: "test: malformed event: event must be a JSON object",
			wantStatus: report.StatusFailed, wantReason: "malformed event"},
		{name: "a duplicate key fails the run", payload: `{"dryRun":false,"dryRun":true}`, wantErr: `key "dryRun" is given twice`, wantStatus: report.StatusFailed},
		{name: "the job's decoder refuses an unknown field", payload: `{"dry_run":true}`, wantErr: `test: request: json: unknown field "dry_run"`, wantStatus: report.StatusFailed},
		{name: "a simulated now is refused unless allowed", payload: `{"now":"2030-01-01T00:00:00Z"}`, wantErr: "COMMANDER_ALLOW_SIMULATED_TIME", wantStatus: report.StatusFailed},
		{name: "a simulated now drives the run when allowed", env: map[string]string{"COMMANDER_ALLOW_SIMULATED_TIME": "true"},
			payload: `{"now":"2030-01-01T00:00:00Z"}`, wantStatus: report.StatusOK, wantKey: "direct@2030-01-01T00:00:00Z", wantRan: true},
		{name: "a request may ask for a dry run", payload: `{"dryRun":true}`, wantStatus: report.StatusOK, wantDry: true, wantKey: "direct@2026-12-03T10:00:00Z", wantRan: true},
		{name: "the job's default is a dry run", byDefault: true, payload: `{}`, wantStatus: report.StatusOK, wantDry: true, wantKey: "direct@2026-12-03T10:00:00Z", wantRan: true},
		{name: "COMMANDER_DRY_RUN=true cannot be lifted by a request", env: map[string]string{"COMMANDER_DRY_RUN": "true"}, payload: `{"dryRun":false}`,
			wantStatus: report.StatusOK, wantDry: true, wantKey: "direct@2026-12-03T10:00:00Z", wantRan: true},
		{name: "COMMANDER_DRY_RUN=false overrides the job's default", env: map[string]string{"COMMANDER_DRY_RUN": "false"}, byDefault: true, payload: `{}`,
			wantStatus: report.StatusOK, wantKey: "direct@2026-12-03T10:00:00Z", wantRan: true},
		{name: "the job's error fails the run", payload: `{"fail":"no region answered"}`, wantErr: "test: no region answered",
			wantStatus: report.StatusFailed, wantKey: "direct@2026-12-03T10:00:00Z", wantRan: true},
		{name: "a run that stops hands over to a follow-up", followUp: true, payload: `{"stop":true}`, wantStatus: report.StatusPartial,
			wantReason: "handed over to a follow-up invocation (hop 1)", wantKey: "direct@2026-12-03T10:00:00Z", wantRan: true, wantHanded: `{"hop":1,"resume":true}`},
		{name: "without a follow-up the report says how to go on", payload: `{"stop":true}`, wantStatus: report.StatusPartial,
			wantReason: "invoke the function with the report's next", wantKey: "direct@2026-12-03T10:00:00Z", wantRan: true},
		{name: "a chain of follow-ups is bounded", followUp: true, payload: fmt.Sprintf(`{"stop":true,"hop":%d}`, runner.MaxHops), wantErr: fmt.Sprintf("stopped before its deadline %d times in a row", runner.MaxHops+1),
			wantStatus: report.StatusFailed, wantKey: "direct@2026-12-03T10:00:00Z", wantRan: true},
		{name: "a follow-up that did nothing does not hand over", followUp: true, payload: `{"stop":true,"idle":true,"hop":3}`, wantErr: "having done nothing",
			wantStatus: report.StatusFailed, wantKey: "direct@2026-12-03T10:00:00Z", wantRan: true},
		{name: "a first invocation that did nothing hands over once", followUp: true, payload: `{"stop":true,"idle":true}`, wantStatus: report.StatusPartial,
			wantReason: "handed over to a follow-up invocation (hop 1)", wantKey: "direct@2026-12-03T10:00:00Z", wantRan: true, wantHanded: `{"hop":1,"resume":true}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"AWS_REGION": "us-east-1"}
			for k, v := range c.env {
				env[k] = v
			}
			s, err := settings.Load(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			j, b, metrics := &job{}, &bus{}, &bytes.Buffer{}
			var handed []byte
			rn := &runner.Runner[ask]{Function: "test", Job: j, Settings: s, DryRunByDefault: c.byDefault, Clock: clock.Fixed(at),
				Metrics: metrics, Audit: b, Completed: "Commander Test Completed"}
			if c.followUp {
				rn.FollowUp = func(_ context.Context, p []byte) error { handed = p; return nil }
			}
			out, err := rn.Invoke(context.Background(), []byte(c.payload))
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, c.wantErr)
			}
			rep, _ := rn.Handle(context.Background(), []byte(c.payload))
			if c.wantErr == "" {
				var got report.Report
				if uerr := json.Unmarshal(out, &got); uerr != nil || got.Status != rep.Status {
					t.Errorf("the answer is not the report: %s (%v)", out, uerr)
				}
			}
			if rep.Status != c.wantStatus || !strings.Contains(rep.Reason, c.wantReason) || rep.DryRun != c.wantDry || rep.IdempotencyKey != c.wantKey || j.ran != c.wantRan {
				t.Errorf("report %s %q dry %v key %q ran %v; want %s %q dry %v key %q ran %v",
					rep.Status, rep.Reason, rep.DryRun, rep.IdempotencyKey, j.ran, c.wantStatus, c.wantReason, c.wantDry, c.wantKey, c.wantRan)
			}
			if c.wantHanded != "" && string(handed) != c.wantHanded {
				t.Errorf("follow-up got %s, want %s", handed, c.wantHanded)
			}
			// Every run, refused ones too, ends in one audit event and one
			// set of metrics derived from its report.
			if len(b.details) != 2 || !strings.HasPrefix(b.details[0], "Commander Test Completed ") || !strings.Contains(b.details[0], `"status":"`+c.wantStatus+`"`) {
				t.Errorf("audit events %v", b.details)
			}
			if c.wantRan && c.wantErr == "" && !strings.Contains(b.details[0], `"extra":"yes"`) {
				t.Errorf("the job's detail is missing from the audit event: %s", b.details[0])
			}
			runs := `"Runs":1`
			if c.wantStatus == report.StatusFailed && !strings.Contains(metrics.String(), `"FailedRuns":1`) {
				t.Errorf("a failed run must count in FailedRuns: %s", metrics)
			}
			if !strings.Contains(metrics.String(), runs) {
				t.Errorf("metrics %s", metrics)
			}
		})
	}
}

// The ledger a continuation carries is the run's: the cap holds per run.
func TestRunnerCarriesTheLedger(t *testing.T) {
	s, err := settings.Load(func(k string) string {
		return map[string]string{"AWS_REGION": "us-east-1", "COMMANDER_BREAKER_MAX_COUNT": "5"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	j := &job{}
	rn := &runner.Runner[ask]{Function: "test", Job: j, Settings: s, Clock: clock.Fixed(time.Now())}
	if _, err := rn.Handle(context.Background(), []byte(`{"actions":4,"hop":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := j.seen.Ledger.Allow("job", "here", 2, 0); err == nil || !strings.Contains(err.Error(), "4 of them were allowed earlier") {
		t.Errorf("Allow = %v, want the carried 4 to count", err)
	}
	if j.seen.Hop != 1 {
		t.Errorf("hop %d", j.seen.Hop)
	}
}
