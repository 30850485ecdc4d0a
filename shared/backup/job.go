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
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
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
	// Self hands a run that runs out of time over to a follow-up
	// invocation of this function (asynchronous); nil: the report's next
	// field says how to continue.
	Self     InvokeAPI
	SelfName string
}

// InvokeAPI is the slice of Lambda the hand-over calls.
type InvokeAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// New builds the job's clients for every configured region.
func New(d boot.Deps, c Config, metricsOut io.Writer) *Job {
	j := &Job{Settings: d.Settings, Config: c, Audit: eventbridgeclient.New(d.AWS), Clock: clock.Real{}, Log: d.Log, Metrics: metricsOut,
		Self: lambdaclient.New(d.AWS), SelfName: os.Getenv("AWS_LAMBDA_FUNCTION_NAME")}
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

// Handle is the Lambda handler: the report, and an error when the run failed
// (so that an asynchronous invocation is retried).
func (j *Job) Handle(ctx context.Context, raw json.RawMessage) (*report.Report, error) {
	r, err := j.Run(ctx, raw)
	if err != nil {
		return nil, err
	}
	return r, r.Err()
}

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

// Run decodes raw and runs the pipeline. An error means the event itself was
// refused; everything after decoding is in the report.
func (j *Job) Run(ctx context.Context, raw []byte) (*report.Report, error) {
	req, err := Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Function, err)
	}
	clk, err := clock.Resolve(req.Trigger.Now, j.Settings.AllowSimulatedTime, j.Clock)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Function, err)
	}
	if req.Policy != "" {
		if _, err := j.Config.policy(req.Policy); err != nil {
			return nil, fmt.Errorf("%s: field \"policy\": %w", Function, err)
		}
	}
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-deadlineMargin))
		defer cancel()
	}
	counter := awsclient.NewCounter()
	ctx = awsclient.WithCounter(ctx, counter)
	now := clk.Now()
	ru := &run{Job: j, req: req, now: now, key: req.Key(now), dry: j.Settings.DryRunOr(false) || req.DryRun,
		ledger: guard.NewLedger(j.Settings.Breaker(), req.Ledger)}
	ru.rep = report.New(Function, req.Trigger.Kind, ru.dry, j.Clock.Now(), j.Settings.MaxReportedResources)
	ru.rep.EventID, ru.rep.IdempotencyKey = req.Trigger.ID, ru.key

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
		ru.handOver(ctx)
	}
	ru.finish(ctx, counter)
	return ru.rep, nil
}

func (ru *run) add(region, typ, resource, action, outcome, reason string, err error) {
	d := report.Decision{Resource: resource, Type: typ, Region: region, Action: action, Outcome: outcome, Reason: reason}
	if err != nil {
		d.Error = awserr.Explain(err)
	}
	ru.rep.Add(d)
}
