// Package cleanup is the scheduled cleanup job: for every region (several
// at once, at most COMMANDER_REGION_CONCURRENCY) and every resource type
// with policies, it lists the inventory (server-side filters first, page by
// page), plans each resource with package plan, guards the plan (dry-run,
// protection, termination/stop protection, mark-then-act, circuit breaker
// per policy over all regions), acts with batch APIs and bounded
// concurrency, and reports (JSON report with a section per region, EMF
// metrics, audit events).
package cleanup

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/audit"
	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/boot"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/clock"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/pricing"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/runner"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/trigger"
)

// PolicyVariable holds the policy document (YAML or JSON) when set.
const PolicyVariable = "COMMANDER_CLEANUP_POLICY"

// LoadPolicies reads the document from COMMANDER_CLEANUP_POLICY, or the
// shipped default when unset. A bad document names the variable and the path.
func LoadPolicies(get func(string) string) (policy.Document, error) {
	doc := strings.TrimSpace(get(PolicyVariable))
	if doc == "" {
		d, err := policy.Parse(policy.Default)
		if err != nil {
			return d, fmt.Errorf("the shipped default cleanup policy is invalid: %w", err)
		}
		return d, nil
	}
	d, err := policy.Parse([]byte(doc))
	if err != nil {
		return d, fmt.Errorf("%s is invalid:\n%w", PolicyVariable, err)
	}
	return d, nil
}

// Job is one deployment's cleanup: its settings, policies and clients.
type Job struct {
	Function string
	Settings settings.Settings
	Policies policy.Document
	Log      *slog.Logger
	Clients  func(region string) Clients // the clients of each region
	Audit    audit.PutEventsAPI
	Clock    clock.Clock
	Metrics  io.Writer      // EMF lines (the function's stdout)
	Prices   *pricing.Table // the saving of each action (nil: none estimated)
	// FollowUp, when set, continues a run that stops before its deadline.
	FollowUp runner.FollowUp
}

// New builds the job the cleanup function runs: the clients of every
// configured region from the function's own AWS configuration, audit events
// on EventBridge, EMF lines to metrics, and a follow-up invocation of the
// function itself when it runs in Lambda (AWS_LAMBDA_FUNCTION_NAME).
func New(d boot.Deps, pols policy.Document, metrics io.Writer) *Job {
	clients := map[string]Clients{}
	for _, region := range d.Settings.Regions {
		cfg := awsclient.InRegion(d.AWS, region)
		clients[region] = Clients{
			EC2: ec2client.New(cfg), CloudWatch: cloudwatchclient.New(cfg), IAM: iamclient.New(cfg),
			S3: s3client.New(cfg), Lambda: lambdaclient.New(cfg),
		}
	}
	job := &Job{
		Function: d.Function, Settings: d.Settings, Policies: pols, Log: d.Log,
		Clients: func(region string) Clients { return clients[region] },
		Audit:   eventbridgeclient.New(d.AWS), Clock: clock.Real{}, Metrics: metrics, Prices: pricing.Default(),
	}
	if name := os.Getenv("AWS_LAMBDA_FUNCTION_NAME"); name != "" {
		job.FollowUp = runner.InvokeSelf(lambdaclient.New(d.AWS), name)
	}
	return job
}

// Request is what a direct invocation (or a schedule's detail) may ask.
type Request struct {
	// DryRun true forces a dry run; it can never turn a dry-run deployment live.
	DryRun bool `json:"dryRun"`
	// Policies limits the run to these policy names (default: all).
	Policies []string `json:"policies"`
	// Now is a simulated now (honoured only with COMMANDER_ALLOW_SIMULATED_TIME=true).
	Now string `json:"now"`
	// Resume continues a run that stopped before its deadline (set by the run itself).
	Resume *Resume `json:"resume,omitempty"`

	trigger trigger.Trigger // what the request came in
}

// deadlineMargin is the time kept back from the Lambda deadline to report.
// Cleanup stops between resource types when less is left (run.region). One
// type's actions, paced to EC2's refill rates, can outlast an invocation
// (10 000 volume deletions take 33 minutes at 5 a second), so a type's
// calls in flight are cancelled cancelMargin before the deadline, leaving
// time for the report, the audit event and the hand-over (run.region).
const (
	deadlineMargin = 20 * time.Second
	cancelMargin   = 5 * time.Second
)

// Runner is the job in the shared runner: what the function hands to lambda.Start.
func (j *Job) Runner() *runner.Runner[Request] {
	return &runner.Runner[Request]{
		Function: j.Function, Job: j, Settings: j.Settings, DryRunByDefault: true, Clock: j.Clock, Log: j.Log,
		Metrics: j.Metrics, Audit: j.Audit, Completed: events.CleanupCompleted, FollowUp: j.FollowUp,
	}
}

// Handle runs one invocation and returns its report. The error is non-nil
// only when the run failed as a whole (the platform may retry: a run is
// idempotent).
func (j *Job) Handle(ctx context.Context, raw json.RawMessage) (*report.Report, error) {
	return j.Runner().Handle(ctx, raw)
}

// Decode reads the run options a trigger carries (runner.Job).
func (j *Job) Decode(t trigger.Trigger) (Request, error) { return DecodeRequest(t) }

// AsksDryRun, Event, Key and Carried are what the runner reads of a request.
func (q Request) AsksDryRun() bool       { return q.DryRun }
func (q Request) Event() trigger.Trigger { return q.trigger }
func (q Request) Key(time.Time) string   { return q.trigger.IdempotencyKey() }
func (q Request) Carried() (guard.LedgerState, int) {
	if q.Resume == nil {
		return guard.LedgerState{}, 0
	}
	return q.Resume.LedgerState, q.Resume.Hop
}

// Run lists, plans, guards and acts on every policy the request selects
// (runner.Job); ages and due dates use the run's now, which a test may
// simulate.
func (j *Job) Run(ctx context.Context, rr *runner.Run, req Request) error {
	pols, err := j.selectPolicies(req.Policies)
	if err != nil {
		return err
	}
	r := &run{job: j, now: rr.Now, dryRun: rr.DryRun, rep: rr.Report, measure: rr.Measure, breaker: rr.Ledger}
	if j.Prices != nil {
		rr.Report.PricedBy(j.Prices.Label())
	}
	// Both measures are written every run, zero included.
	rr.Measure(report.MetricCandidates, 0)
	rr.Measure(report.MetricBreakerTrips, 0)
	if err := r.all(ctx, pols, req.Resume); err != nil {
		return err
	}
	if r.next != nil {
		// The follow-up gets the same request, resumed where this run stopped.
		next := req
		next.Resume, next.Now = r.next, req.trigger.Now
		rr.HandOver(r.next, next)
	}
	j.planned(ctx, r)
	slices.Sort(r.tripped)
	rr.Detail("breakerTripped", r.tripped)
	return nil
}

// DecodeRequest reads the run options a trigger carries (also the contract
// the api function's jobs.start invokes cleanup with).
func DecodeRequest(t trigger.Trigger) (Request, error) {
	if t.Kind != trigger.Direct && t.Kind != trigger.Schedule {
		return Request{}, fmt.Errorf("a %s trigger is not accepted: cleanup runs on its schedule or on a direct invocation such as {\"dryRun\": true}", t.Kind)
	}
	req := Request{trigger: t}
	if _, err := t.DecodeOptions(&req); err != nil {
		return Request{}, fmt.Errorf(`request %s: accepts {"dryRun": true|false, "policies": ["name", ...], "now": "RFC 3339 time", "resume": {"hop": n, "regions": [{"region": "r", "type": "t"}, ...], "actions": {"policy": n}, "tripped": ["policy"]}}`, err)
	}
	return req, nil
}

func (j *Job) selectPolicies(names []string) (policy.Document, error) {
	if len(names) == 0 {
		return j.Policies, nil
	}
	var out policy.Document
	var known []string
	for _, p := range j.Policies.Policies {
		known = append(known, p.Name)
		if slices.Contains(names, p.Name) {
			out.Policies = append(out.Policies, p)
		}
	}
	for _, n := range names {
		if !slices.Contains(known, n) {
			return out, fmt.Errorf(`field "policies": unknown policy %q; accepts %s`, n, strings.Join(known, ", "))
		}
	}
	return out, nil
}

// run is one invocation's state.
type run struct {
	job    *Job
	now    time.Time
	dryRun bool
	rep    *report.Report
	// mu guards the marked list, reported and tripped: regions run
	// concurrently, and so do the acts within one.
	mu      sync.Mutex
	measure func(name string, v float64) // the job's own measures (report.JobMeasures), the runner's
	// marked are the first MaxPlannedInAudit resources this run marked, in
	// markedOrder (the list may hold up to twice as many between trims);
	// markedCount counts them all. The audit event lists no more, so the
	// run keeps no more.
	marked      []markedResource
	markedCount int
	markedBound *markedResource // the last listed after a trim
	reported    int             // decisions added to the report
	tripped     []string        // policy@region where the breaker stopped a policy
	breaker     *guard.Ledger   // per policy across every region and hop of the run
	next        *Resume         // where a follow-up resumes, when the run stopped early
	finals      finalSnapshots
	// volumeGone: a snapshot policy of the run checks whether a snapshot's
	// volume is gone, so the volume listing keeps the ids it saw (volumes).
	volumeGone bool
	volumes    volumeSets
}

// add records a decision (its metrics come from the report's counts).
func (r *run) add(d report.Decision) {
	if d.Outcome == report.Done && d.Policy != "" && d.Action != "mark" && d.Action != "unmark" {
		r.breaker.Done(d.Policy, 1) // the policy's action: what the hand-over carries
	}
	r.rep.Add(d)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reported++
}

// reportFull says whether the report lists no more resources (it counts
// the rest): a reason kept for a later line would never be shown. Each
// decision is counted after the report took it, so this errs on "not full".
func (r *run) reportFull() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reported >= r.job.Settings.MaxReportedResources
}
