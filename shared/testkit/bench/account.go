package bench

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/pace"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
)

// Phase is a set of actions a job runs at the same time; a job runs its
// phases one after another (backup creates, then prunes; cleanup acts
// type by type, in dependency order), so their waits add up.
type Phase []string

// Floor is the least time the account's rate limits allow for a job's
// calls: for each phase, the slowest of its buckets, (calls − burst) ÷
// refill rate (and, for the actions metered per instance, instances −
// burst ÷ their rate), summed over phases; plus the listing latency, which
// is sequential (each page waits for the one before). Calls are the job's
// logical calls, without retries, at percent of the refill rates.
type Floor struct {
	Total   time.Duration
	Listing time.Duration
	Lines   []FloorLine // the slowest bucket of each phase
}

// FloorLine is one phase's slowest bucket, and its arithmetic.
type FloorLine struct {
	Phase  int
	Bucket string // e.g. "DeleteSnapshot" or "TerminateInstances (instances)"
	Count  int64
	Burst  int
	Rate   float64
	Wait   time.Duration
}

// String is the line's arithmetic: "(1 611 − 100) ÷ 5/s = 302.2 s".
func (l FloorLine) String() string {
	return fmt.Sprintf("phase %d, %s: (%d − %d) ÷ %g/s = %.1f s", l.Phase, l.Bucket, l.Count, l.Burst, l.Rate, l.Wait.Seconds())
}

// ListingFloor is the latency of one pass over the estate in the fewest
// pages (Minimum's listing lines, items capped at the estate), each page
// at lat.Describe's mean plus PerItem per resource: the listing's share of
// the floor, whatever the job's hand-overs listed again. Listings are
// summed as if one after another.
func ListingFloor(s Snapshot, estate map[string]int64, lat *inventory.Latency) time.Duration {
	_, lines := Minimum(s, estate)
	var d time.Duration
	for _, l := range lines {
		if _, ok := PageMax[l.Op]; !ok {
			continue
		}
		items := s.Items[l.Op]
		if c, ok := estate[l.Op]; ok {
			items = min(items, c)
		}
		d += time.Duration(l.Minimum)*lat.Describe.Mean() + time.Duration(items)*lat.Describe.PerItem
	}
	return d
}

// FloorOf computes the floor of the calls in s (the probe's logical calls,
// "EC2.Op" keys) and the listing latency, over the job's phases; an EC2
// mutation in no phase is a phase of its own, last.
func FloorOf(s Snapshot, listing time.Duration, phases []Phase, percent int) Floor {
	l := pace.EC2()
	share := float64(percent) / 100
	seen := map[string]bool{}
	var all []Phase
	for _, ph := range phases {
		all = append(all, ph)
		for _, a := range ph {
			seen[a] = true
		}
	}
	var rest []string
	for op := range s.Calls {
		a, ok := strings.CutPrefix(op, "EC2.")
		if ok && !seen[a] && !strings.HasPrefix(a, "Describe") {
			rest = append(rest, a)
		}
	}
	sort.Strings(rest)
	for _, a := range rest {
		all = append(all, Phase{a})
	}
	f := Floor{Total: listing, Listing: listing}
	for i, ph := range all {
		var slowest FloorLine
		for _, a := range ph {
			lines := []FloorLine{bucketLine(a, s.Calls["EC2."+a], l.Bucket(a), share)}
			if b, ok := l.Resource[a]; ok {
				line := bucketLine(a, s.IDs("EC2."+a), b, share)
				line.Bucket += " (instances)"
				lines = append(lines, line)
			}
			for _, line := range lines {
				if line.Wait >= slowest.Wait && line.Count > 0 {
					slowest = line
				}
			}
		}
		if slowest.Count == 0 {
			continue
		}
		slowest.Phase = i + 1
		f.Lines = append(f.Lines, slowest)
		f.Total += slowest.Wait
	}
	return f
}

func bucketLine(action string, n int64, b pace.Bucket, share float64) FloorLine {
	rate := b.Rate * share
	wait := time.Duration(0)
	if n > int64(b.Burst) && rate > 0 {
		wait = time.Duration(float64(n-int64(b.Burst)) / rate * float64(time.Second))
	}
	return FloorLine{Bucket: action, Count: n, Burst: b.Burst, Rate: rate, Wait: wait}
}

// LambdaCost is what a run costs in Lambda: GB-seconds at the deployed
// memory size, summed over the invocations (each billed to the
// millisecond), and the price of both at arm64's us-east-1 rates.
type LambdaCost struct {
	Invocations int
	GBSeconds   float64
	USD         float64
}

// Lambda's arm64 prices in us-east-1 (https://aws.amazon.com/lambda/pricing/,
// read 2026-12-03): per GB-second of the first pricing tier, and per request.
const (
	arm64PerGBSecond = 0.0000133334
	perRequest       = 0.20 / 1e6
)

// CostOf bills invocations of the given durations at memoryMB.
func CostOf(memoryMB int, durations []time.Duration) LambdaCost {
	c := LambdaCost{Invocations: len(durations)}
	for _, d := range durations {
		ms := (d + time.Millisecond - 1) / time.Millisecond
		c.GBSeconds += float64(memoryMB) / 1024 * float64(ms) / 1000
	}
	c.USD = c.GBSeconds*arm64PerGBSecond + float64(c.Invocations)*perRequest
	return c
}
