package backup

import (
	"context"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/audit"
	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/report"
)

// auditDetail is the "Commander Backup Completed" event's detail.
type auditDetail struct {
	Function       string         `json:"function"`
	Status         string         `json:"status"`
	Reason         string         `json:"reason,omitempty"`
	DryRun         bool           `json:"dryRun"`
	Trigger        string         `json:"trigger"`
	EventID        string         `json:"eventId,omitempty"`
	IdempotencyKey string         `json:"idempotencyKey"`
	Now            time.Time      `json:"now"`
	Counts         map[string]int `json:"counts"`
	Errors         []string       `json:"errors,omitempty"`
}

// finish writes metrics, sends the audit event and closes the report.
func (ru *run) finish(ctx context.Context, counter *awsclient.Counter) {
	r := ru.rep
	found, fixed := ru.drift()

	errs := r.Errors
	if len(errs) > 20 {
		errs = errs[:20]
	}
	d := auditDetail{Function: Function, Status: r.Status, Reason: r.Reason, DryRun: r.DryRun, Trigger: r.Trigger,
		EventID: r.EventID, IdempotencyKey: r.IdempotencyKey, Now: ru.now, Counts: r.Counts, Errors: errs}
	// The audit event goes out even when the run ran out of time.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if ru.Audit != nil {
		if err := (audit.Emitter{API: ru.Audit, Bus: ru.Settings.EventBus}).Emit(actx, events.BackupCompleted, d); err != nil {
			r.Partial("audit event not sent: " + awserr.Explain(err))
		}
	}
	r.Finish(ru.Clock.Now(), counter)
	if ru.Metrics != nil {
		extra := map[string]float64{report.MetricDriftFound: float64(found), report.MetricDriftFixed: float64(fixed), report.MetricBreakerTrips: float64(ru.breakerTrips)}
		if err := r.WriteMetrics(ru.Metrics, ru.Settings.MetricsNamespace, extra); err != nil && ru.Log != nil {
			ru.Log.WarnContext(ctx, "metrics not written", "error", err)
		}
	}
	if ru.Log != nil {
		ru.Log.InfoContext(ctx, "backup run", "status", r.Status, "dryRun", r.DryRun, "idempotencyKey", r.IdempotencyKey,
			"counts", r.Counts, "reason", r.Reason, "trigger", r.Trigger)
	}
}
