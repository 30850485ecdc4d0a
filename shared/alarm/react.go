package alarm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/alarm/alarmevent"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/clock"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/runner"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/trigger"
)

// Handler reacts to one alarm state change per invocation.
type Handler struct {
	Settings settings.Settings
	Config   Config
	Log      *slog.Logger
	Clients  func(region string) Clients
	Home     string // the function's own region, for events without one
	Clock    clock.Clock
	Metrics  io.Writer // EMF lines; os.Stdout in Lambda
}

// Handle runs one event through the shared runner: decode, lookup, plan,
// guard, act and report. An event that is not an alarm state change fails
// (Lambda retries it, then it reaches the dead-letter queue and its alarm);
// one that can never lead to an action answers a skipped report; transient
// failures (throttling, service unavailable) return an error, so that
// Lambda's asynchronous retry tries again.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (*report.Report, error) {
	return h.Runner().Handle(ctx, raw)
}

// Runner is the job in the shared runner: what the function hands to lambda.Start.
func (h *Handler) Runner() *runner.Runner[request] {
	return &runner.Runner[request]{Function: JobName, Job: h, Settings: h.Settings, Clock: h.Clock, Log: h.Log, Metrics: h.Metrics}
}

// JobName is this job's name in reports, metrics and logs.
const JobName = "alarm"

// request is one alarm state change.
type request struct {
	t  trigger.Trigger
	ev alarmevent.Event
}

func (r request) AsksDryRun() bool                  { return false } // only COMMANDER_DRY_RUN makes reactions dry
func (r request) Event() trigger.Trigger            { return r.t }
func (r request) Key(time.Time) string              { return r.t.IdempotencyKey() }
func (r request) Carried() (guard.LedgerState, int) { return guard.LedgerState{}, 0 }

// Decode reads the alarm state change a trigger carries (runner.Job).
func (h *Handler) Decode(t trigger.Trigger) (request, error) {
	ev, err := alarmevent.FromTrigger(t)
	if err != nil {
		return request{}, fmt.Errorf("malformed event: %w", err)
	}
	return request{t: t, ev: ev}, nil
}

// Run reacts to one alarm state change (runner.Job).
func (h *Handler) Run(ctx context.Context, rr *runner.Run, req request) error {
	ev, r, dryRun := req.ev, rr.Report, rr.DryRun
	region := ev.Region
	if region == "" {
		region = h.Home
	}
	r.Region = region
	c := h.Clients(region)

	def, err := lookupAlarm(ctx, c.CloudWatch, ev.AlarmName)
	switch {
	case errors.Is(err, errUnknownAlarm):
		return rr.Skip(fmt.Sprintf("unknown alarm %q in %s", ev.AlarmName, region))
	case err != nil:
		return err
	}

	reaction := Choose(ev, def.Tags, h.Config)
	if reaction.Skip != "" {
		return rr.Skip(reaction.Skip)
	}
	// Anyone who may invoke the function can write an event: act only on a
	// state change CloudWatch itself reports.
	why, err := confirm(ctx, c.CloudWatch, ev, def)
	if err != nil {
		return err
	}
	if why != "" {
		return rr.Skip("state change not confirmed by CloudWatch: " + why)
	}

	// The audit event names the alarm CloudWatch holds, not the event's resources.
	ev.AlarmARN = def.ARN

	var states []TargetState
	// The targets are the alarm's own, whatever the event's dimensions say.
	targets := Targets(def)
	ignored := ""
	if extra := Extra(EventTargets(ev), targets); len(extra) > 0 {
		names := make([]string, len(extra))
		for i, t := range extra {
			names[i] = string(t.Kind) + " " + t.ID
		}
		ignored = "the event also named " + strings.Join(names, ", ") + ", which the alarm's definition does not: ignored"
		h.Log.WarnContext(ctx, "alarm event names targets the alarm does not", "eventId", ev.ID, "alarm", ev.AlarmName, "ignored", names)
	}
	composite := def.Composite
	if composite || len(targets) == 0 {
		// Nothing to act on: notify, and remember it on the alarm itself.
		note := "composite alarm: notify only"
		if !composite {
			note = "no InstanceId, VolumeId or FunctionName dimension: notify only"
		}
		if reaction.Action != Notify {
			reaction.Note = fmt.Sprintf("%s (%s from %s)", note, reaction.Action, reaction.Source)
		} else if reaction.Note == "" {
			reaction.Note = note
		}
		reaction.Action = Notify
		states = []TargetState{{Target: Target{Kind: AlarmRes, ID: def.Name}, Found: true, Tags: def.Tags, ARN: def.ARN}}
	} else {
		states, err = h.lookupTargets(ctx, c, targets)
		if err != nil {
			return err
		}
	}

	now := rr.Now
	steps, breakerErr := Decide(reaction, states, Guard{
		DryRun: dryRun, ProtectTag: h.Settings.ProtectTag, Cooldown: h.Settings.AlarmCooldown,
		Now: now, EventID: ev.ID, Alarm: ev.AlarmName, Breaker: h.Settings.Breaker(),
	})
	if breakerErr != nil {
		r.Partial(breakerErr.Error())
	}

	var (
		transient []error
		skipped   []string
	)
	acted := 0
	for _, st := range steps {
		d := report.Decision{Resource: st.ID, Type: string(st.Kind), Region: region, Action: string(st.Action), Reason: st.Reason}
		if ignored != "" {
			d.Reason += "; " + ignored
		}
		if st.Skip != "" {
			d.Outcome, d.Reason = report.Skipped, st.Skip
			skipped = append(skipped, st.Skip)
			h.Log.InfoContext(ctx, "alarm target skipped", "eventId", ev.ID, "alarm", ev.AlarmName, "target", st.ID, "reason", st.Skip)
			r.Add(d)
			continue
		}
		outcome, why, err := h.act(ctx, c, ev, st, dryRun, now)
		d.Outcome = outcome
		if why != "" {
			d.Reason += "; " + why
		}
		if err != nil {
			if awserr.Retryable(err) {
				transient = append(transient, fmt.Errorf("%s %s: %w", st.Action, st.ID, err))
			}
			d.Error = awserr.Explain(err)
		}
		if d.Outcome == report.Skipped {
			d.Reason = why
			skipped = append(skipped, why)
		} else {
			acted++
			// The audit event is the reaction users route; a lost one is a failure.
			if aerr := h.emit(ctx, c, ev, st, d, dryRun, now); aerr != nil {
				if awserr.Retryable(aerr) {
					transient = append(transient, aerr)
				}
				if d.Outcome != report.Failed {
					d.Outcome, d.Error = report.Failed, aerr.Error()
				}
			}
		}
		if d.Outcome == report.Done {
			// Remembered last, so a retry after a failure above acts again.
			if terr := h.remember(ctx, c, st, ev, now); terr != nil {
				if awserr.Retryable(terr) {
					transient = append(transient, terr)
				}
				d.Reason += "; not remembered for idempotency: " + awserr.Explain(terr)
			}
		}
		h.Log.InfoContext(ctx, "alarm reaction", "eventId", ev.ID, "alarm", ev.AlarmName, "target", st.ID,
			"type", st.Kind, "action", st.Action, "outcome", d.Outcome, "reason", d.Reason, "error", d.Error)
		r.Add(d)
	}
	if len(transient) > 0 {
		return errors.Join(transient...)
	}
	if acted == 0 {
		return rr.Skip(strings.Join(skipped, "; "))
	}
	return nil
}
