package alarm

import (
	"context"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/report"
)

func (h *Handler) skip(ctx context.Context, r *report.Report, counter *awsclient.Counter, reason string) *report.Report {
	h.Log.WarnContext(ctx, "alarm event skipped", "eventId", r.EventID, "reason", reason)
	r.Skip(reason)
	h.finish(ctx, r, counter)
	return r
}

func (h *Handler) fail(ctx context.Context, r *report.Report, counter *awsclient.Counter, err error) (*report.Report, error) {
	h.Log.ErrorContext(ctx, "alarm reaction failed", "eventId", r.EventID, "error", err.Error(), "retryable", awserr.Retryable(err))
	r.Fail(err)
	h.finish(ctx, r, counter)
	return r, r.Err()
}

func (h *Handler) finish(ctx context.Context, r *report.Report, counter *awsclient.Counter) {
	r.Finish(h.Clock.Now(), counter)
	if h.Metrics == nil {
		return
	}
	if err := r.WriteMetrics(h.Metrics, h.Settings.MetricsNamespace, nil); err != nil {
		h.Log.WarnContext(ctx, "metrics", "error", err.Error())
	}
}
