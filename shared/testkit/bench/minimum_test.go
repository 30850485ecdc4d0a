package bench

import (
	"os"
	"testing"
	"time"
)

func TestMinimum(t *testing.T) {
	estate := map[string]int64{"EC2.DescribeSnapshots": 2500, "EC2.DescribeVolumes": 600}
	tests := []struct {
		name   string
		snap   Snapshot
		want   int64
		listed int64
	}{
		{"pages at the largest size", Snapshot{Calls: map[string]int64{"EC2.DescribeSnapshots": 5}, Items: map[string]int64{"EC2.DescribeSnapshots": 2500}}, 3, 2500},
		{"look-ups beyond the estate do not raise the minimum",
			Snapshot{Calls: map[string]int64{"EC2.DescribeVolumes": 14}, Items: map[string]int64{"EC2.DescribeVolumes": 5000}}, 2, 600},
		{"a listing that found nothing still needs one call",
			Snapshot{Calls: map[string]int64{"EC2.DescribeVolumes": 1}, Items: map[string]int64{}}, 1, 0},
		{"unpaged DescribeAddresses is one call",
			Snapshot{Calls: map[string]int64{"EC2.DescribeAddresses": 1}, Items: map[string]int64{"EC2.DescribeAddresses": 900}}, 1, 900},
		{"batches per tag set at 1000 ids",
			Snapshot{Calls: map[string]int64{"EC2.CreateTags": 6}, Batched: map[string]map[string]int64{"EC2.CreateTags": {"a=1": 2500, "a=2": 10}}}, 4, 0},
		{"non-batchable calls count one each",
			Snapshot{Calls: map[string]int64{"EC2.DeleteSnapshot": 7, "EC2.DescribeInstanceAttribute": 3}}, 10, 0},
		{"GetMetricData at 500 queries a call, per window",
			Snapshot{Calls: map[string]int64{"CloudWatch.GetMetricData": 5}, Batched: map[string]map[string]int64{"CloudWatch.GetMetricData": {"w1": 2000, "w2": 1}}}, 5, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := Minimum(tc.snap, estate)
			if got != tc.want {
				t.Errorf("Minimum = %d, want %d", got, tc.want)
			}
			if l := Listed(tc.snap, estate); l != tc.listed {
				t.Errorf("Listed = %d, want %d", l, tc.listed)
			}
		})
	}
}

func TestUsageOfThisProcess(t *testing.T) {
	// Burn a little CPU so that utime is visibly non-zero.
	end := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(end) {
	}
	u, err := UsageOf(pidSelf())
	if err != nil {
		t.Fatal(err)
	}
	if u.PeakRSS < 1<<20 || u.CPU <= 0 {
		t.Errorf("usage of this process = %+v, want a peak RSS over 1 MB and some CPU", u)
	}
}

func pidSelf() int { return os.Getpid() }

// The scheduler's minimum counts its StartInstances/StopInstances at 100 ids
// a call; the other batch limits are Minimum's.
func TestSchedulerMinimum(t *testing.T) {
	snap := Snapshot{Calls: map[string]int64{"EC2.DescribeInstances": 10, "EC2.StopInstances": 100, "EC2.StartInstances": 1, "EC2.CreateTags": 10},
		Items:   map[string]int64{"EC2.DescribeInstances": 10_000},
		Batched: map[string]map[string]int64{"EC2.StopInstances": {"": 10_000}, "EC2.StartInstances": {"": 3}, "EC2.CreateTags": {"k=v": 10_000}}}
	estate := map[string]int64{"EC2.DescribeInstances": 10_000}
	if got, _ := MinimumWith(snap, estate, SchedulerBatchMax()); got != 10+100+1+10 {
		t.Errorf("scheduler minimum = %d, want 121", got)
	}
	if got, _ := Minimum(snap, estate); got != 10+10+1+10 {
		t.Errorf("Minimum = %d, want 31 (1 000 ids a stop)", got)
	}
	if BatchMax["EC2.StopInstances"] != 1000 {
		t.Error("SchedulerBatchMax changed BatchMax")
	}
}
