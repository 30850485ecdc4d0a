// Package scheduler is the office-hours job: every few minutes it brings
// each instance tagged commander:schedule=<name> to the state its schedule
// wants, acting only when the schedule's state changes (so a person who
// starts an instance in the evening is not fought), never stopping a
// protected instance or one an Auto Scaling group owns, with batched
// StartInstances and StopInstances counted against the circuit breaker.
// What it last enforced lives in a tag on the instance, not a database.
package scheduler

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/audit"
	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws-commander/commander/shared/boot"
	"github.com/aws-commander/commander/shared/clock"
	"github.com/aws-commander/commander/shared/pricing"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/runner"
	"github.com/aws-commander/commander/shared/schedule"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/trigger"
	"golang.org/x/sync/errgroup"
)

// Function is this job's name in reports, metrics and logs.
const Function = "scheduler"

// SchedulesVariable holds the schedules document (YAML or JSON) when set.
const SchedulesVariable = "COMMANDER_SCHEDULES"

// LoadSchedules reads COMMANDER_SCHEDULES, or the shipped default when it
// is unset. A bad document names the variable and the path.
func LoadSchedules(get func(string) string) (schedule.Document, error) {
	text := strings.TrimSpace(get(SchedulesVariable))
	if text == "" {
		d, err := schedule.Parse([]byte(schedule.Default))
		if err != nil {
			return d, fmt.Errorf("the shipped default schedules are invalid: %w", err)
		}
		return d, nil
	}
	d, err := schedule.Parse([]byte(text))
	if err != nil {
		return d, fmt.Errorf("%s is invalid:\n%w", SchedulesVariable, err)
	}
	return d, nil
}

// Region is the clients of one region.
type Region struct {
	Name string
	EC2  EC2API
}

// Job is the scheduler. It does not know it runs in Lambda.
type Job struct {
	Settings  settings.Settings
	Schedules schedule.Document
	Regions   []Region
	Prices    *pricing.Table // the savings of office-hours stops
	Audit     audit.PutEventsAPI
	Clock     clock.Clock
	Log       *slog.Logger
	Metrics   io.Writer // EMF lines
}

// New builds the job's clients for every configured region.
func New(d boot.Deps, doc schedule.Document, metrics io.Writer) *Job {
	j := &Job{Settings: d.Settings, Schedules: doc, Prices: pricing.Default(), Audit: eventbridgeclient.New(d.AWS),
		Clock: clock.Real{}, Log: d.Log, Metrics: metrics}
	for _, name := range d.Settings.Regions {
		j.Regions = append(j.Regions, Region{Name: name, EC2: ec2client.New(awsclient.InRegion(d.AWS, name))})
	}
	return j
}

// Runner is the job in the shared runner: what the function hands to lambda.Start.
func (j *Job) Runner() *runner.Runner[Request] {
	return &runner.Runner[Request]{
		Function: Function, Job: j, Settings: j.Settings, Clock: j.Clock, Log: j.Log, Metrics: j.Metrics,
		Audit: j.Audit, Completed: events.SchedulerCompleted, DeadlineMargin: deadlineMargin,
	}
}

// Decode reads the scheduler request a trigger carries (runner.Job).
func (j *Job) Decode(t trigger.Trigger) (Request, error) { return DecodeRequest(t) }

// Run lists every region's scheduled instances, plans each, and acts
// (runner.Job). A run that ends early hands nothing over: the next
// scheduled run, minutes later, sees the account as it is and carries on.
func (j *Job) Run(ctx context.Context, rr *runner.Run, _ Request) error {
	names := make([]string, len(j.Regions))
	for i, r := range j.Regions {
		names[i] = r.Name
	}
	rr.Report.Regions(names...)
	savings := newSavings(j.Prices, j.Schedules, rr.Now)
	if j.Prices != nil {
		rr.Report.PricedBy(j.Prices.Label())
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(j.Settings.RegionConcurrency)
	for _, r := range j.Regions {
		g.Go(func() error {
			start := j.Clock.Now()
			steps, inventory, err := j.plan(gctx, r, rr.Now)
			if err != nil {
				rr.Report.FailIn(r.Name, err)
			} else {
				j.act(gctx, rr, r, steps, inventory, savings)
			}
			rr.Report.Took(r.Name, j.Clock.Now().Sub(start))
			return nil // one region's failure is its section's, not the others'
		})
	}
	_ = g.Wait()
	rr.Detail("schedules", j.Schedules.Names())
	return nil
}

// deadlineMargin is kept back from the Lambda deadline to report.
const deadlineMargin = 3 * time.Second

// decision is a step as the report shows it.
func decision(s Step, outcome, reason string) report.Decision {
	return report.Decision{Resource: s.ID, Type: "ec2:instance", Region: s.Region, Action: s.Action, Outcome: outcome, Reason: reason}
}
