package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/scheduler"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/bench"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// schedulerSizes are the scheduled instances benchmarked.
var schedulerSizes = []int{1_000, 10_000}

// schedulerNow is Friday 4 December 2026, 19:05 in Paris (CET, UTC+1): five
// minutes after office-hours' Friday stop, so every running instance on it
// is to be stopped.
var schedulerNow = time.Date(2026, 12, 4, 18, 5, 0, 0, time.UTC)

// schedulerStop is the transition the run enforces: Friday 19:00 in Paris,
// what commander:schedule-state remembers ("stopped@<it>").
var schedulerStop = time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)

var schedulerEvent = `{"now":"` + schedulerNow.Format(time.RFC3339) + `"}`

// schedulerJob is functions/scheduler/main.go's job, with the audit event
// counted in process and the EMF lines discarded.
func schedulerJob(b testing.TB, probe *bench.Probe, sink *bench.AuditSink) handler {
	d := deps(b, scheduler.Function, probe)
	doc, err := scheduler.LoadSchedules(os.Getenv)
	if err != nil {
		b.Fatal(err)
	}
	job := scheduler.New(d, doc, io.Discard)
	job.Audit = sink // before Runner(), which takes it
	return job.Runner().Handle
}

// schedulerEstate is n running t3.micro instances on office-hours, and
// beside them a tenth as many of the estate's own instances (t2.micro, two
// volumes each, a quarter stopped, none on a schedule) that the listing's
// tag-key filter must keep out of the pages.
func schedulerEstate(n int) inventory.Spec {
	return inventory.Spec{Scheduled: n, Instances: n / 10, Volumes: n / 5, Now: schedulerNow, MaxAge: 30 * 24 * time.Hour}
}

// BenchmarkScheduler: the office-hours job over N scheduled instances, all
// running, at Friday 19:05 Paris: every one is stopped (StopInstances, 100
// ids a call) and remembered (CreateTags of commander:schedule-state, 1 000
// a call). Then the same event again, as EventBridge may redeliver it: it
// must list and do nothing else. The breaker's count is raised so that
// 10 000 stops are allowed (its percentage does not apply to schedules).
func BenchmarkScheduler(b *testing.B) {
	for _, n := range schedulerSizes {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			srv, err := inventory.Start(inventory.Options{Now: func() time.Time { return schedulerNow }})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Stop()
			for k, v := range srv.Env() {
				b.Setenv(k, v)
			}
			for k, v := range common {
				b.Setenv(k, v)
			}
			b.Setenv("COMMANDER_DRY_RUN", "false")
			b.Setenv("COMMANDER_BREAKER_MAX_COUNT", "100000")
			spec := schedulerEstate(n)
			if err := srv.Seed(spec); err != nil {
				b.Fatal(err)
			}
			probe, sink := bench.NewProbe(), &bench.AuditSink{}
			handle := schedulerJob(b, probe, sink)
			check := stateChecker(b)

			var took, again time.Duration
			var m schedMeasured
			runs := 0
			for b.Loop() {
				b.StopTimer()
				if runs > 0 {
					if err := srv.Seed(spec); err != nil {
						b.Fatal(err)
					}
				}
				srv.Reset()
				probe.Reset()
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				base, alloc := ms.HeapInuse, ms.TotalAlloc
				heap := bench.StartHeapPeak(20*time.Millisecond, os.Getenv("BENCH_HEAP_PROFILE"))
				b.StartTimer()

				start := time.Now()
				rep, err := handle(context.Background(), json.RawMessage(schedulerEvent))
				d := time.Since(start)

				b.StopTimer()
				peak := heap.Stop()
				runtime.ReadMemStats(&ms)
				if err != nil || rep == nil || rep.Status != report.StatusOK {
					b.Fatalf("run: %v; report %+v", err, rep)
				}
				if got := rep.Count(scheduler.Stop, report.Done); got != n || len(rep.Errors) > 0 {
					b.Fatalf("%d stops done, want %d; counts %v; errors %v", got, n, rep.Counts, rep.Errors)
				}
				m = schedMeasure(n, srv.Calls(), probe.Snapshot(), bench.Caps(spec), rep, peak, base, ms.TotalAlloc-alloc)
				if m.total > m.min {
					b.Fatalf("%d calls served, more than the minimum %d (calls by operation %v)", m.total, m.min, m.served)
				}
				check(spec, n)

				// The redelivery: same event, same now. Only the listing.
				srv.Reset()
				probe.Reset()
				start = time.Now()
				rep2, err := handle(context.Background(), json.RawMessage(schedulerEvent))
				d2 := time.Since(start)
				if err != nil || rep2 == nil || rep2.Status != report.StatusOK {
					b.Fatalf("redelivery: %v; report %+v", err, rep2)
				}
				m.again = srv.Calls()
				pages := ceilDiv(int64(n), 1000)
				if len(m.again) != 1 || m.again["EC2.DescribeInstances"] != pages {
					b.Fatalf("the redelivery made %v, want only %d DescribeInstances pages", m.again, pages)
				}
				if len(rep2.Resources) != 0 {
					b.Fatalf("the redelivery decided %d things (counts %v), want none", len(rep2.Resources), rep2.Counts)
				}
				took += d
				again += d2
				runs++
				b.StartTimer()
			}
			m.report(b, took/time.Duration(runs), again/time.Duration(runs))
		})
	}
}

// stateChecker reads the server's instances through a client of its own
// (not the job's: its calls are counted after the measured run) and fails
// unless every scheduled instance is stopped with the tag the run writes,
// and the estate's other instances are as seeded.
func stateChecker(b *testing.B) func(spec inventory.Spec, n int) {
	cfg, err := awsclient.Load(context.Background(), "us-east-1", 3)
	if err != nil {
		b.Fatal(err)
	}
	api := ec2client.New(cfg)
	want := "stopped@" + schedulerStop.Format(time.RFC3339)
	return func(spec inventory.Spec, n int) {
		stopped, others, bad := 0, map[types.InstanceStateName]int{}, []string{}
		p := ec2.NewDescribeInstancesPaginator(api, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000)})
		for p.HasMorePages() {
			page, err := p.NextPage(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range page.Reservations {
				for _, in := range r.Instances {
					t := tags.EC2(in.Tags)
					if _, ok := t[tags.Schedule]; !ok {
						others[in.State.Name]++
						if _, ok := t[tags.ScheduleState]; ok {
							bad = append(bad, aws.ToString(in.InstanceId)+" (not scheduled) has "+tags.ScheduleState)
						}
						continue
					}
					if in.State.Name == types.InstanceStateNameStopped && t[tags.ScheduleState] == want {
						stopped++
					} else if len(bad) < 5 {
						bad = append(bad, fmt.Sprintf("%s %s %s=%q", aws.ToString(in.InstanceId), in.State.Name, tags.ScheduleState, t[tags.ScheduleState]))
					}
				}
			}
		}
		// The estate's instances: a quarter stopped (i%4 == 3), the rest running.
		wantStopped := spec.Instances / 4
		if stopped != n || len(bad) > 0 || others[types.InstanceStateNameStopped] != wantStopped ||
			others[types.InstanceStateNameRunning] != spec.Instances-wantStopped {
			b.Fatalf("after the run: %d of %d scheduled instances stopped with %s=%s; others %v (want %d stopped, %d running); first wrong: %v",
				stopped, n, tags.ScheduleState, want, others, wantStopped, spec.Instances-wantStopped, bad)
		}
	}
}

// schedMeasured is one scheduler run's figures.
type schedMeasured struct {
	n             int
	served        map[string]int64 // by the server
	again         map[string]int64 // the redelivery's, by the server
	total         int64
	min, issueMin int64 // with and without the tag write
	lines         []bench.Line
	listed        int64
	peak, base    uint64
	alloc         uint64
	jobCounted    int64
	counts        map[string]int
}

func schedMeasure(n int, served map[string]int64, s bench.Snapshot, caps map[string]int64, rep *report.Report, peak, base, alloc uint64) schedMeasured {
	m := schedMeasured{n: n, served: served, listed: bench.Listed(s, caps), peak: peak, base: base, alloc: alloc, jobCounted: rep.APICallsTotal, counts: rep.Counts}
	for _, v := range served {
		m.total += v
	}
	m.min, m.lines = bench.MinimumWith(s, caps, bench.SchedulerBatchMax())
	m.issueMin = m.min
	for _, l := range m.lines {
		if l.Op == "EC2.CreateTags" {
			m.issueMin -= l.Minimum
		}
	}
	return m
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

func (m schedMeasured) report(b *testing.B, took, again time.Duration) {
	n := int64(m.n)
	// The minimum as the brief states it, which MinimumWith must agree with.
	if want := ceilDiv(n, 1000) + ceilDiv(n, bench.StateBatch) + ceilDiv(n, 1000); m.min != want {
		b.Fatalf("minimum %d from the probe, %d from ceil(N/1000) + ceil(N/100) + ceil(N/1000)", m.min, want)
	}
	b.ReportMetric(float64(m.total), "calls")
	b.ReportMetric(float64(m.min), "min-calls")
	b.ReportMetric(float64(m.total)/float64(m.min), "x-minimum")
	b.ReportMetric(float64(m.issueMin), "issue-min-calls")
	b.ReportMetric(float64(m.total)/float64(m.issueMin), "x-issue-minimum")
	for _, op := range []string{"EC2.DescribeInstances", "EC2.StopInstances", "EC2.StartInstances", "EC2.CreateTags"} {
		if v := m.served[op]; v > 0 {
			b.ReportMetric(float64(v), strings.TrimPrefix(op, "EC2.")+"-calls")
		}
	}
	var redelivered int64
	for _, v := range m.again {
		redelivered += v
	}
	b.ReportMetric(float64(redelivered), "redelivery-calls")
	b.ReportMetric(float64(again.Microseconds())/1000, "redelivery-ms")
	b.ReportMetric(float64(took.Microseconds())/1000, "run-ms")
	b.ReportMetric(float64(took.Microseconds())/float64(n), "us/instance")
	b.ReportMetric(float64(m.alloc)/float64(n), "alloc-B/instance")
	b.ReportMetric(float64(m.peak)/(1<<20), "heap-peak-MB")
	b.ReportMetric(float64(m.peak-min(m.peak, m.base))/(1<<20), "heap-job-MB")
	var lines []string
	for _, l := range m.lines {
		lines = append(lines, fmt.Sprintf("%-36s calls %7d  minimum %7d  served %7d", l.Op, l.Calls, l.Minimum, m.served[l.Op]))
	}
	b.Logf("%s: %d calls served (job's own count %d), minimum %d (issue's, without the tag write, %d): ×%.3f, ×%.3f; %d listed in %s; redelivery %v in %s\n%s\ncounts: %v",
		b.Name(), m.total, m.jobCounted, m.min, m.issueMin, float64(m.total)/float64(m.min), float64(m.total)/float64(m.issueMin),
		m.listed, took.Round(time.Millisecond), m.again, again.Round(time.Millisecond), strings.Join(lines, "\n"), m.counts)
}
