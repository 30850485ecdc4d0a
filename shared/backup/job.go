package backup

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/aws-commander/commander/events"

	"github.com/aws-commander/commander/shared/audit"
	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/boot"
	"github.com/aws-commander/commander/shared/clock"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/runner"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/trigger"
)

// Function is this job's name in reports, metrics and logs.
const Function = "backup"

// Report types and actions.
const (
	TypeVolume   = "ec2:volume"
	TypeSnapshot = "ec2:snapshot"
	TypeBucket   = "s3:bucket"

	ActionSnapshot = "snapshot"
	ActionDelete   = "delete"
	ActionKeep     = "keep"
	ActionCheck    = "check"
)

// deadlineMargin is kept back from the Lambda deadline so that a run
// that runs out of time still returns its report.
const deadlineMargin = 3 * time.Second

// Region is the clients of one region.
type Region struct {
	Name string
	EC2  EC2API
	S3   S3API
	// CopiesOnly: a copy destination outside COMMANDER_REGIONS, where the
	// job only applies the copies' retention.
	CopiesOnly bool
}

// Job is the backup job. It does not know it runs in Lambda.
type Job struct {
	Settings settings.Settings
	Config   Config
	Regions  []Region
	Audit    audit.PutEventsAPI
	Clock    clock.Clock // the real clock; an event may simulate now when allowed
	Log      *slog.Logger
	Metrics  io.Writer // EMF lines
	// FollowUp hands a run that runs out of time over to a follow-up
	// invocation of this function (asynchronous); nil: the report's next
	// field says how to continue.
	FollowUp runner.FollowUp
}

// New builds the job's clients for every configured region.
func New(d boot.Deps, c Config, metricsOut io.Writer) *Job {
	j := &Job{Settings: d.Settings, Config: c, Audit: eventbridgeclient.New(d.AWS), Clock: clock.Real{}, Log: d.Log, Metrics: metricsOut,
		FollowUp: runner.InvokeSelf(lambdaclient.New(d.AWS), os.Getenv("AWS_LAMBDA_FUNCTION_NAME"))}
	for _, name := range d.Settings.Regions {
		cfg := awsclient.InRegion(d.AWS, name)
		j.Regions = append(j.Regions, Region{Name: name, EC2: ec2client.New(cfg), S3: s3client.New(cfg)})
	}
	for _, name := range c.CopyRegions() {
		if !slices.Contains(d.Settings.Regions, name) {
			cfg := awsclient.InRegion(d.AWS, name)
			j.Regions = append(j.Regions, Region{Name: name, EC2: ec2client.New(cfg), CopiesOnly: true})
		}
	}
	return j
}

func (j *Job) region(name string) (Region, bool) {
	i := slices.IndexFunc(j.Regions, func(r Region) bool { return r.Name == name })
	if i < 0 {
		return Region{}, false
	}
	return j.Regions[i], true
}

// Runner is the job in the shared runner: what the function hands to lambda.Start.
func (j *Job) Runner() *runner.Runner[Request] {
	return &runner.Runner[Request]{
		Function: Function, Job: j, Settings: j.Settings, Clock: j.Clock, Log: j.Log, Metrics: j.Metrics,
		Audit: j.Audit, Completed: events.BackupCompleted, DeadlineMargin: deadlineMargin, FollowUp: j.FollowUp,
	}
}

// Handle runs one invocation: the report, and an error when the run failed
// (so that an asynchronous invocation is retried).
func (j *Job) Handle(ctx context.Context, raw json.RawMessage) (*report.Report, error) {
	return j.Runner().Handle(ctx, raw)
}

// Decode reads the backup request a trigger carries (runner.Job).
func (j *Job) Decode(t trigger.Trigger) (Request, error) { return decode(t, true) }

// run is the state of one invocation.
type run struct {
	*Job
	req          Request
	now          time.Time
	key          string
	dry          bool
	rep          *report.Report
	breakerTrips int           // times the breaker held deletions back, for the metrics
	ledger       *guard.Ledger // the breaker's, across regions and hops
	// sections: the run covers several regions, and the report has a
	// section for each.
	sections bool
	spans    *spans
}

// Run snapshots and prunes for req (runner.Job): the runner has decoded the
// event, resolved the clock and dry-run, and reports what is recorded here.
func (j *Job) Run(ctx context.Context, rr *runner.Run, req Request) error {
	if req.Policy != "" {
		if _, err := j.Config.policy(req.Policy); err != nil {
			return fmt.Errorf("field \"policy\": %w", err)
		}
	}
	ru := &run{Job: j, req: req, now: rr.Now, key: rr.Key, dry: rr.DryRun, rep: rr.Report, ledger: rr.Ledger}
	if len(j.Regions) > 1 {
		names := make([]string, len(j.Regions))
		for i, reg := range j.Regions {
			names[i] = reg.Name
		}
		ru.rep.Regions(names...)
		ru.sections = true
	}
	ru.spans = newSpans()
	dels, candidates := ru.regions(ctx)
	ru.prune(ctx, dels, candidates)
	for _, reg := range j.Regions {
		ru.rep.Took(reg.Name, ru.spans.took(reg.Name))
	}
	if ctx.Err() != nil {
		ru.handOver(rr)
	}
	found, fixed := ru.drift()
	rr.Measure(report.MetricDriftFound, float64(found))
	rr.Measure(report.MetricDriftFixed, float64(fixed))
	rr.Measure(report.MetricBreakerTrips, float64(ru.breakerTrips))
	return nil
}

func (ru *run) add(region, typ, resource, action, outcome, reason string, err error) {
	d := report.Decision{Resource: resource, Type: typ, Region: region, Action: action, Outcome: outcome, Reason: reason}
	switch {
	case err != nil && outcome == report.Failed:
		d = report.Failure(d, err)
	case err != nil:
		d.Error = awserr.Explain(err)
	}
	ru.rep.Add(d)
}
