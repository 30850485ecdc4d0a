package cleanup

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/audit"
	"github.com/aws-commander/commander/shared/report"
)

// MaxPlannedInAudit bounds the resources listed in one "Cleanup Planned" event.
const MaxPlannedInAudit = 500

type markedResource struct {
	Resource string    `json:"resource"`
	Type     string    `json:"type"`
	Region   string    `json:"region"`
	Policy   string    `json:"policy"`
	Action   string    `json:"action"`
	Due      time.Time `json:"due"`
}

// markedOrder is the stable order the audit event lists marked resources
// in: regions finish in any order.
func markedOrder(a, b markedResource) int {
	return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(a.Type, b.Type), cmp.Compare(a.Resource, b.Resource))
}

// noteMarked records a resource the run marked. Only the first
// MaxPlannedInAudit in markedOrder are kept: trimming when the list holds
// twice as many keeps the cost at O(log MaxPlannedInAudit) per resource.
func (r *run) noteMarked(m markedResource) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.markedCount++
	// Once trimmed, the list holds MaxPlannedInAudit resources before
	// markedBound: one that sorts after it can never be listed.
	if r.markedBound != nil && markedOrder(m, *r.markedBound) >= 0 {
		return
	}
	r.marked = append(r.marked, m)
	if len(r.marked) >= 2*MaxPlannedInAudit {
		r.marked = firstMarked(r.marked)
		bound := r.marked[len(r.marked)-1]
		r.markedBound = &bound
	}
}

// firstMarked sorts list in markedOrder and keeps the first MaxPlannedInAudit.
func firstMarked(list []markedResource) []markedResource {
	slices.SortFunc(list, markedOrder)
	if len(list) > MaxPlannedInAudit {
		clear(list[MaxPlannedInAudit:])
		list = list[:MaxPlannedInAudit]
	}
	return list
}

func (j *Job) publish(ctx context.Context, r *run) {
	rep := r.rep
	emit := audit.Emitter{API: j.Audit, Bus: j.Settings.EventBus}
	slices.Sort(r.tripped)
	if r.markedCount > 0 {
		listed := firstMarked(r.marked)
		detail := map[string]any{
			"function": j.Function, "idempotencyKey": rep.IdempotencyKey, "eventId": rep.EventID,
			"marked": r.markedCount, "resources": listed, "truncated": r.markedCount - len(listed),
		}
		if err := emit.Emit(ctx, events.CleanupPlanned, detail); err != nil {
			rep.Partial(err.Error())
		}
	}
	detail := map[string]any{
		"function": j.Function, "trigger": rep.Trigger, "eventId": rep.EventID, "idempotencyKey": rep.IdempotencyKey,
		"dryRun": rep.DryRun, "status": rep.Status, "reason": rep.Reason, "counts": rep.Counts,
		"breakerTripped": r.tripped, "apiCallsTotal": rep.APICallsTotal, "durationMs": rep.DurationMs,
	}
	if err := emit.Emit(ctx, events.CleanupCompleted, detail); err != nil {
		rep.Partial(err.Error())
	}
	if j.Metrics == nil {
		return
	}
	err := rep.WriteMetrics(j.Metrics, j.Settings.MetricsNamespace, map[string]float64{
		report.MetricCandidates: float64(r.stats[report.MetricCandidates]), report.MetricBreakerTrips: float64(r.stats[report.MetricBreakerTrips])})
	if err != nil {
		j.Log.WarnContext(ctx, "metrics not written", "error", err.Error())
	}
}
