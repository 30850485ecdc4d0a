package cleanup

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/report"
	"golang.org/x/sync/errgroup"
)

func ids(items []item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.res.ID
	}
	return out
}

// batchErrors maps each id of a batch to err (all failed alike).
func batchErrors(list []string, err error) map[string]error {
	out := map[string]error{}
	if err == nil {
		return out
	}
	for _, id := range list {
		out[id] = err
	}
	return out
}

// perID retries a failed batch one id at a time, so that one resource that
// vanished (not-found, which counts as done) does not fail the others.
func perID(list []string, call func([]string) error) map[string]error {
	err := call(list)
	if err == nil || len(list) == 1 {
		return batchErrors(list, ignoreGone(err))
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return batchErrors(list, err)
	}
	out := map[string]error{}
	for _, id := range list {
		if err := ignoreGone(call([]string{id})); err != nil {
			out[id] = err
		}
	}
	return out
}

func ignoreGone(err error) error { return awserr.IgnoreNotFound(err) }

// each runs fn on items with the configured concurrency; fn reports.
func each(ctx context.Context, r *run, items []item, fn func(context.Context, item)) {
	g := errgroup.Group{}
	g.SetLimit(r.job.Settings.Concurrency)
	for _, it := range items {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				r.add(failed(it, it.dec.Action, err))
				return nil
			}
			fn(ctx, it)
			return nil
		})
	}
	_ = g.Wait()
}

// deleteEach is the act step of a type deleted by one call per resource,
// at the configured concurrency: gone already counts as done.
func deleteEach(what string, del func(ctx context.Context, c Clients, it item) error) func(context.Context, *run, Clients, policy.Policy, []item) {
	return func(ctx context.Context, r *run, c Clients, p policy.Policy, items []item) {
		each(ctx, r, items, func(ctx context.Context, it item) {
			if err := ignoreGone(del(ctx, c, it)); err != nil {
				r.add(failed(it, p.Action, fmt.Errorf("%s: %w", what, err)))
				return
			}
			r.add(decision(it, p.Action, report.Done, it.dec.Reason))
		})
	}
}
