package cleanup

import (
	"context"
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
