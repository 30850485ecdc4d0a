package bench

import (
	"maps"
	"sort"
)

// PageMax is the largest page each listing operation allows (AWS's
// documented maxima; DescribeAddresses does not page).
var PageMax = map[string]int64{
	"EC2.DescribeSnapshots": 1000,
	"EC2.DescribeVolumes":   500,
	"EC2.DescribeInstances": 1000,
	"EC2.DescribeImages":    1000,
	"EC2.DescribeAddresses": 0, // one call returns every address
	"S3.ListBuckets":        10000,
	"S3.ListObjectsV2":      1000,
}

// BatchMax is how many ids one call of each batchable operation may name.
var BatchMax = map[string]int64{
	"EC2.CreateTags":         1000,
	"EC2.DeleteTags":         1000,
	"EC2.TerminateInstances": 1000,
	"EC2.StopInstances":      1000,
	"EC2.StartInstances":     1000,
	"S3.DeleteObjects":       1000,
	// GetMetricData: "up to 500 MetricDataQuery structures" a call; its
	// "ids" are the queries, its signature the window.
	"CloudWatch.GetMetricData": 500,
}

// Line is one operation's share of the minimum.
type Line struct {
	Op      string
	Calls   int64 // logical calls the job made
	Minimum int64
}

// Minimum is the fewest calls the APIs allow for what the run did:
//   - a listing operation: ceil(items ÷ largest page) where items is what it
//     returned, capped at estate[op] (the resources of that type there are:
//     per-page look-ups of the same resources do not raise the minimum); at
//     least one call when the job listed that type at all;
//   - a batchable mutation: ceil(ids ÷ batch limit) per distinct tag set;
//   - any other call (non-batchable mutations, per-resource reads such as
//     DescribeInstanceAttribute or a bucket's configuration): one each.
func Minimum(s Snapshot, estate map[string]int64) (int64, []Line) {
	return MinimumWith(s, estate, BatchMax)
}

// StateBatch is the scheduler's StartInstances/StopInstances batch
// (shared/scheduler's stateBatch): neither API documents a limit, and the
// scheduler names 100 ids a call, so its minimum counts ceil(ids ÷ 100).
const StateBatch = 100

// SchedulerBatchMax is BatchMax with the scheduler's state-change batch.
func SchedulerBatchMax() map[string]int64 {
	m := maps.Clone(BatchMax)
	m["EC2.StopInstances"], m["EC2.StartInstances"] = StateBatch, StateBatch
	return m
}

// MinimumWith is Minimum with the batch limits given (by operation).
func MinimumWith(s Snapshot, estate map[string]int64, batchMax map[string]int64) (int64, []Line) {
	ops := make([]string, 0, len(s.Calls))
	for op := range s.Calls {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var total int64
	var lines []Line
	for _, op := range ops {
		calls := s.Calls[op]
		var min int64
		if page, ok := PageMax[op]; ok {
			items := s.Items[op]
			if cap, ok := estate[op]; ok && items > cap {
				items = cap
			}
			min = 1
			if page > 0 {
				min = max(1, ceil(items, page))
			}
		} else if limit, ok := batchMax[op]; ok {
			for _, ids := range s.Batched[op] {
				min += ceil(ids, limit)
			}
		} else {
			min = calls
		}
		total += min
		lines = append(lines, Line{Op: op, Calls: calls, Minimum: min})
	}
	return total, lines
}

// Listed is the resources the listing operations returned, each capped at
// the estate of its type: the denominator of "µs per listed resource".
func Listed(s Snapshot, estate map[string]int64) int64 {
	var n int64
	for op, items := range s.Items {
		if cap, ok := estate[op]; ok && items > cap {
			items = cap
		}
		n += items
	}
	return n
}

func ceil(n, d int64) int64 { return (n + d - 1) / d }
