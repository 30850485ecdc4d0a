package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/aws-commander/commander/shared/audit"
	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/clock"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/trigger"
)

// Request is what a job's decoder returns: the job's own options, and the
// two things the runner asks of every request.
type Request interface {
	// AsksDryRun: the request asks for a dry run. It can force one, never
	// lift the deployment's COMMANDER_DRY_RUN.
	AsksDryRun() bool
	// Event is the trigger the work is for: the one decoded, or the
	// original event a continuation carries on.
	Event() trigger.Trigger
	// Key is the run's idempotency key, computed once: a re-delivery of
	// the same work answers the same key. now is the run's (maybe
	// simulated) now; most jobs answer Event().IdempotencyKey().
	Key(now time.Time) string
	// Carried is the breaker ledger and hop a continuation brings along
	// (zero for a first invocation).
	Carried() (guard.LedgerState, int)
}

// Job is what a job supplies to the one pipeline: how to read its request,
// and how to select, plan and act for it. Everything around that (the
// strict decoder, the clock, dry-run, the idempotency key, the report, the
// API-call counter, the deadline, the hand-over, the audit event, metrics
// and the log line) is the runner's, written once.
type Job[R Request] interface {
	// Decode reads the request a trigger carries. An error names the field
	// and what it accepts.
	Decode(t trigger.Trigger) (R, error)
	// Run selects, plans, guards and acts for req, recording every
	// decision in run.Report. An error fails the run as a whole (the
	// platform retries an asynchronous event); what went wrong with one
	// resource is a failed decision instead.
	Run(ctx context.Context, run *Run, req R) error
}

// Runner runs one job's invocations. It is a lambda.Handler.
type Runner[R Request] struct {
	Function string
	Job      Job[R]
	Settings settings.Settings
	// DryRunByDefault is the job's own default when COMMANDER_DRY_RUN is unset.
	DryRunByDefault bool
	Clock           clock.Clock  // real time; an event may simulate the run's now when allowed
	Log             *slog.Logger // nil: none
	Metrics         io.Writer    // EMF lines (the function's stdout); nil: none
	// Audit and Completed: the run's audit event, when both are set.
	Audit     audit.PutEventsAPI
	Completed string
	// DeadlineMargin is kept back from the Lambda deadline so that a run
	// that runs out of time still hands over and reports.
	DeadlineMargin time.Duration
	// FollowUp continues a run that stopped before its deadline; nil: the
	// report's next says how to continue.
	FollowUp FollowUp
}

// MaxHops bounds a chain of follow-up invocations. A follow-up that hands
// over having done nothing fails the chain at once (another would do the
// same);
// the bound is for a run that keeps doing a little: at 15 minutes a hop,
// 100 hops are 25 hours of work (backup's retention of 200 000 snapshots
// takes 11 at EC2's documented DeleteSnapshot rate).
const MaxHops = 100

// Run is one invocation as the job sees it.
type Run struct {
	Trigger trigger.Trigger
	Now     time.Time // the run's now: ages and due dates (simulated when allowed)
	DryRun  bool
	Key     string // the idempotency key
	Hop     int    // hand-overs before this invocation
	Report  *report.Report
	Ledger  *guard.Ledger // the circuit breaker's, carried across hops

	mu       sync.Mutex
	measures map[string]float64
	detail   map[string]any
	next     *handOver
}

type handOver struct {
	cursor  any
	payload any
}

// Measure adds v to one of the job's own measures (report.JobMeasures).
func (r *Run) Measure(name string, v float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.measures[name] += v
}

// Detail adds a member to the run's audit event.
func (r *Run) Detail(key string, v any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.detail[key] = v
}

// Skip ends the run with nothing to do, and why.
func (r *Run) Skip(reason string) error {
	r.Report.Skip(reason)
	return nil
}

// HandOver says the run stopped before its deadline with work left. cursor
// is what the report shows as next; payload is the event a follow-up
// invocation continues from (nil: none can, the report says how to go on).
func (r *Run) HandOver(cursor, payload any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next = &handOver{cursor: cursor, payload: payload}
}

// Handle runs one invocation and returns its report, with an error when the
// run failed as a whole (the event was refused, or the job could not do
// its work), so that the platform retries an asynchronous event or sends it
// to the dead-letter queue.
func (rn *Runner[R]) Handle(ctx context.Context, raw json.RawMessage) (*report.Report, error) {
	counter := awsclient.NewCounter()
	ctx = awsclient.WithCounter(ctx, counter)
	started := rn.Clock.Now()
	run := &Run{measures: map[string]float64{}, detail: map[string]any{}}

	t, req, now, err := rn.decode(raw)
	if err == nil {
		t = req.Event()
	}
	run.Trigger = t
	run.DryRun = rn.Settings.DryRunOr(rn.DryRunByDefault)
	kind := t.Kind
	if kind == "" {
		kind = trigger.Direct // the bytes were not even an event
	}
	if err == nil {
		run.DryRun = guard.DryRun(run.DryRun, req.AsksDryRun())
	}
	run.Report = report.New(rn.Function, kind, run.DryRun, started, rn.Settings.MaxReportedResources)
	run.Report.EventID = t.ID
	if err != nil {
		// The same event will never decode: fail, so that it is retried
		// and then reaches the dead-letter queue and its alarm.
		err = fmt.Errorf("%s: %w", rn.Function, err)
		run.Report.Fail(err)
		rn.finish(ctx, run, counter)
		return run.Report, err
	}
	run.Now = now
	run.Key = req.Key(now)
	prior, hop := req.Carried()
	run.Hop = hop
	run.Ledger = guard.NewLedger(rn.Settings.Breaker(), prior)
	run.Report.IdempotencyKey = run.Key

	jctx := ctx
	if dl, ok := ctx.Deadline(); ok && rn.DeadlineMargin > 0 {
		var cancel context.CancelFunc
		jctx, cancel = context.WithDeadline(ctx, dl.Add(-rn.DeadlineMargin))
		defer cancel()
	}
	if err := rn.Job.Run(jctx, run, req); err != nil {
		run.Report.Fail(fmt.Errorf("%s: %w", rn.Function, err))
	}
	if run.next != nil {
		rn.handOver(ctx, run)
	}
	rn.finish(ctx, run, counter)
	return run.Report, run.Report.Err()
}

// decode is the one strict decoder, the job's request and the clock.
func (rn *Runner[R]) decode(raw []byte) (trigger.Trigger, R, time.Time, error) {
	var req R
	t, err := trigger.Decode(raw)
	if err != nil {
		return t, req, time.Time{}, fmt.Errorf("malformed event: %w", err)
	}
	if req, err = rn.Job.Decode(t); err != nil {
		return t, req, time.Time{}, err
	}
	clk, err := clock.Resolve(req.Event().Now, rn.Settings.AllowSimulatedTime, rn.Clock)
	if err != nil {
		return t, req, time.Time{}, err
	}
	return t, req, clk.Now(), nil
}

// handOver invokes a follow-up that continues where the run stopped.
func (rn *Runner[R]) handOver(ctx context.Context, run *Run) {
	rep, next := run.Report, run.next
	rep.Next = next.cursor
	hop := run.Hop + 1
	switch {
	case hop > MaxHops:
		rep.Fail(fmt.Errorf("the run stopped before its deadline %d times in a row: raise the function's timeout or its concurrency", hop))
		return
	case next.payload == nil || rn.FollowUp == nil:
		rep.Partial("the run stopped before its deadline: invoke the function with the report's next to finish, or the next scheduled run continues")
		return
	case run.Hop > 0 && rep.Total(report.Done) == 0:
		// A follow-up that did nothing: the next would do the same.
		rep.Fail(errors.New("the follow-up stopped before its deadline having done nothing, so another would only do the same: raise the function's timeout"))
		return
	}
	body, err := json.Marshal(next.payload)
	if err == nil {
		// The run's own context is about to expire: the hand-over gets its own.
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		err = rn.FollowUp(hctx, body)
		cancel()
	}
	d := report.Decision{Resource: rn.Function, Type: "lambda:function", Action: "hand-over", Outcome: report.Done,
		Reason: fmt.Sprintf("the run stopped before its deadline; follow-up %d continues it", hop)}
	if err != nil {
		d.Outcome, d.Error = report.Failed, awserr.Explain(err)
		rep.Add(d)
		rep.Partial("the run stopped before its deadline and could not hand over: deliver the same event again")
		return
	}
	rep.Add(d)
	rep.Partial(fmt.Sprintf("the run stopped before its deadline and handed over to a follow-up invocation (hop %d)", hop))
}

// auditErrors bounds the errors an audit event lists.
const auditErrors = 20

// finish times the report, then sends the audit event, the metrics and the
// log line, all derived from it.
func (rn *Runner[R]) finish(ctx context.Context, run *Run, counter *awsclient.Counter) {
	rep := run.Report
	rep.Finish(rn.Clock.Now(), counter)
	if rn.Audit != nil && rn.Completed != "" {
		detail := map[string]any{
			"function": rn.Function, "trigger": rep.Trigger, "eventId": rep.EventID, "idempotencyKey": rep.IdempotencyKey,
			"dryRun": rep.DryRun, "now": run.Now, "status": rep.Status, "reason": rep.Reason, "counts": rep.Counts,
			"errors": rep.Errors[:min(len(rep.Errors), auditErrors)], "apiCallsTotal": rep.APICallsTotal, "durationMs": rep.DurationMs,
		}
		for k, v := range run.detail {
			detail[k] = v
		}
		// The audit event goes out even when the run ran out of time.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		err := audit.Emitter{API: rn.Audit, Bus: rn.Settings.EventBus}.Emit(actx, rn.Completed, detail)
		cancel()
		if err != nil {
			rep.Partial("audit event not sent: " + awserr.Explain(err))
		}
	}
	if rn.Metrics != nil {
		if err := rep.WriteMetrics(rn.Metrics, rn.Settings.MetricsNamespace, run.measures); err != nil {
			rn.logger().WarnContext(ctx, "metrics not written", "error", err.Error())
		}
	}
	level := slog.LevelInfo
	if rep.Status == report.StatusFailed {
		level = slog.LevelError
	}
	rn.logger().Log(ctx, level, rn.Function+" finished", "status", rep.Status, "reason", rep.Reason, "dryRun", rep.DryRun,
		"trigger", rep.Trigger, "eventId", rep.EventID, "idempotencyKey", rep.IdempotencyKey, "counts", rep.Counts,
		"apiCalls", rep.APICallsTotal, "durationMs", rep.DurationMs)
}

func (rn *Runner[R]) logger() *slog.Logger {
	if rn.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return rn.Log
}
