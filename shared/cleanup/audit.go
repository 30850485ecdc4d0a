package cleanup

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/audit"
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

// planned sends "Commander Cleanup Planned" with what a live run marked;
// the runner sends "Commander Cleanup Completed" for every run.
func (j *Job) planned(ctx context.Context, r *run) {
	if r.markedCount == 0 || j.Audit == nil {
		return
	}
	rep := r.rep
	listed := firstMarked(r.marked)
	detail := map[string]any{
		"function": j.Function, "idempotencyKey": rep.IdempotencyKey, "eventId": rep.EventID,
		"marked": r.markedCount, "resources": listed, "truncated": r.markedCount - len(listed),
	}
	// The run may have stopped at its deadline: the event gets its own time.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := (audit.Emitter{API: j.Audit, Bus: j.Settings.EventBus}).Emit(actx, events.CleanupPlanned, detail); err != nil {
		rep.Partial(err.Error())
	}
}
