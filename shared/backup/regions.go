package backup

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws-commander/commander/shared/awserr"
	"golang.org/x/sync/errgroup"
)

// regions works on every region, RegionConcurrency at a time, and returns
// the deletions retention wants and how many snapshots it judged. Copy
// destinations that are nothing else start when the regions that copy into
// them are done, so that their retention sees this run's copies. Nothing is
// deleted here: prune follows once every region has planned, so the
// circuit breaker judges the run as a whole and every volume's new
// snapshot exists before its old ones go.
func (ru *run) regions(ctx context.Context) ([]deletion, int) {
	var (
		mu                 sync.Mutex
		dels               []deletion
		candidates, failed int
	)
	var sources, copiesOnly []Region
	for _, reg := range ru.Regions {
		if reg.CopiesOnly {
			copiesOnly = append(copiesOnly, reg)
		} else {
			sources = append(sources, reg)
		}
	}
	for _, phase := range [][]Region{sources, copiesOnly} {
		var g errgroup.Group
		g.SetLimit(ru.Settings.RegionConcurrency)
		for _, reg := range phase {
			g.Go(func() error {
				d, n, ok := ru.oneRegion(ctx, reg)
				mu.Lock()
				defer mu.Unlock()
				dels, candidates = append(dels, d...), candidates+n
				if !ok {
					failed++
				}
				return nil
			})
		}
		_ = g.Wait() // each region records its own outcome
	}
	if failed > 0 && failed == len(ru.Regions) {
		ru.rep.Fail(fmt.Errorf("EBS backup failed in every region"))
	}
	return dels, candidates
}

// oneRegion is one region's share of the run: its EBS backups, copies and
// retention plan, then its buckets. ok is false when its EBS work failed.
func (ru *run) oneRegion(ctx context.Context, reg Region) (dels []deletion, candidates int, ok bool) {
	ru.spans.begin(reg.Name, ru.Clock.Now())
	defer func() { ru.spans.end(reg.Name, ru.Clock.Now()) }()
	if ctx.Err() != nil {
		ru.partialIn(reg.Name, "not started: the run ran out of time", "")
		return nil, 0, true // out of time, not failed: handOver follows
	}
	dels, candidates, err := ru.ec2Region(ctx, reg)
	ok = true
	if err != nil && !awserr.Is(err, awserr.Canceled) {
		ok = false
		if ru.sections {
			ru.rep.FailIn(reg.Name, fmt.Errorf("EBS: %s", awserr.Explain(err)))
		} else {
			ru.rep.Partial(fmt.Sprintf("EBS in %s: %s", reg.Name, awserr.Explain(err)))
		}
	}
	if ru.Config.S3 && !reg.CopiesOnly {
		if err := ru.s3Region(ctx, reg); err != nil && !awserr.Is(err, awserr.Canceled) {
			ru.partialIn(reg.Name, "S3: "+awserr.Explain(err), fmt.Sprintf("S3 in %s: %s", reg.Name, awserr.Explain(err)))
		}
	}
	return dels, candidates, ok
}

// partialIn marks the run partial for a problem in one region: in the
// region's section when the report has sections, else with single, the
// reason a one-region report has always given ("" for none).
func (ru *run) partialIn(region, sectioned, single string) {
	switch {
	case ru.sections:
		ru.rep.PartialIn(region, sectioned)
	case single != "":
		ru.rep.Partial(single)
	}
}

// spans times each region's share of a run: from its start to the end of
// its own work or of its last deletion, whichever is later.
type spans struct {
	mu       sync.Mutex
	from, to map[string]time.Time
}

func newSpans() *spans {
	return &spans{from: map[string]time.Time{}, to: map[string]time.Time{}}
}

func (s *spans) begin(region string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.from[region] = at
}

func (s *spans) end(region string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at.After(s.to[region]) {
		s.to[region] = at
	}
}

func (s *spans) took(region string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.from[region].IsZero() {
		return 0
	}
	return s.to[region].Sub(s.from[region])
}
