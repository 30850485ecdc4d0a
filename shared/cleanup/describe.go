package cleanup

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// describeConcurrency bounds the per-item calls a listing makes for one
// page (tags, last use, emptiness): a page is at most 50 to 1000 items.
const describeConcurrency = 8

// describeEach calls describe for every item of a page, concurrently, and
// returns the results in the page's order (the zero value for items
// describe skips). The first error ends the listing: a listing that fails
// is never taken for "nothing to clean".
func describeEach[T, R any](ctx context.Context, items []T, describe func(context.Context, T) (R, error)) ([]R, error) {
	got := make([]R, len(items))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(describeConcurrency)
	for i, it := range items {
		g.Go(func() error {
			r, err := describe(gctx, it)
			got[i] = r
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return got, nil
}
