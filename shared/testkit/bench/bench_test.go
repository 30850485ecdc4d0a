package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/backup"
	"github.com/aws-commander/commander/shared/boot"
	"github.com/aws-commander/commander/shared/cleanup"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/testkit/bench"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
)

// sizes are the estates benchmarked: N snapshots (see bench.Estate).
var sizes = []int{10_000, 50_000, 200_000}

// ec2Policies are the default document's policies on EC2 resources: the
// inventory server serves EC2 and S3, not CloudWatch or Lambda, so
// orphan-alarms and expired-functions are left out of the benchmark.
var ec2Policies = []string{"stopped-instances", "expired-instances", "unattached-volumes", "orphan-snapshots", "unassociated-addresses"}

// handler is a job's Lambda handler.
type handler func(ctx context.Context, raw json.RawMessage) (*report.Report, error)

// deps builds what boot.Start builds in the function's main, with one
// measuring addition on the AWS configuration: the probe middleware.
func deps(b testing.TB, fn string, probe *bench.Probe) boot.Deps {
	s, err := settings.Load(os.Getenv)
	if err != nil {
		b.Fatal(err)
	}
	d, err := boot.Build(context.Background(), fn, s)
	if err != nil {
		b.Fatal(err)
	}
	d.AWS.APIOptions = append(d.AWS.APIOptions, probe.Middleware)
	d.Log = slog.New(slog.DiscardHandler) // one line per run; kept out of the benchmark output
	return d
}

// cleanupJob is functions/cleanup/main.go's job, with the audit events
// counted in process and the EMF lines discarded.
func cleanupJob(b testing.TB, probe *bench.Probe, sink *bench.AuditSink) handler {
	return newCleanup(b, deps(b, "cleanup", probe), sink).Handle
}

func newCleanup(b testing.TB, d boot.Deps, sink *bench.AuditSink) *cleanup.Job {
	pols, err := cleanup.LoadPolicies(os.Getenv)
	if err != nil {
		b.Fatal(err)
	}
	job := cleanup.New(d, pols, io.Discard)
	job.Audit, job.FollowUp = sink, nil
	return job
}

// backupJob is functions/backup/main.go's job, with the audit events
// counted in process and the EMF lines discarded.
func backupJob(b testing.TB, probe *bench.Probe, sink *bench.AuditSink) handler {
	return newBackup(b, deps(b, backup.Function, probe), sink).Handle
}

func newBackup(b testing.TB, d boot.Deps, sink *bench.AuditSink) *backup.Job {
	c, err := backup.LoadConfig(os.Getenv, d.Settings)
	if err != nil {
		b.Fatal(err)
	}
	job := backup.New(d, c, io.Discard)
	job.Audit, job.FollowUp = sink, nil
	return job
}

// scenario is one benchmarked job configuration.
type scenario struct {
	env     map[string]string
	maxAge  time.Duration // of the estate's creation times
	mutates bool          // the estate is seeded again before every run
	event   string
	// prepare, when set, is an event run (untimed, unmeasured) before each run.
	prepare string
	job     func(testing.TB, *bench.Probe, *bench.AuditSink) handler
}

func cleanupEvent(dryRun bool) string { return cleanupEventAt(dryRun, bench.Now) }

func cleanupEventAt(dryRun bool, now time.Time) string {
	b, _ := json.Marshal(map[string]any{"dryRun": dryRun, "now": now.Format(time.RFC3339), "policies": ec2Policies})
	return string(b)
}

var common = map[string]string{
	"COMMANDER_REGIONS":              "us-east-1",
	"COMMANDER_ALLOW_SIMULATED_TIME": "true",
}

// BenchmarkCleanupDryRun: the default EC2 policies, dry run (nothing changes).
func BenchmarkCleanupDryRun(b *testing.B) {
	run(b, scenario{env: map[string]string{"COMMANDER_DRY_RUN": "true"}, maxAge: 120 * 24 * time.Hour,
		event: cleanupEvent(true), job: cleanupJob})
}

// BenchmarkCleanupMark: the same, live: the first live run marks every
// candidate (CreateTags); acting waits for the grace to pass.
func BenchmarkCleanupMark(b *testing.B) {
	run(b, scenario{env: map[string]string{"COMMANDER_DRY_RUN": "false"}, maxAge: 120 * 24 * time.Hour, mutates: true,
		event: cleanupEvent(false), job: cleanupJob})
}

// BenchmarkCleanupAct: the run after the grace: a live mark run (untimed)
// at Now, then the measured run eight days later acts on every candidate
// still matching (final snapshots and deletions of volumes, terminations,
// releases). The breaker is opened wide: this is a deliberate large cleanup.
func BenchmarkCleanupAct(b *testing.B) {
	run(b, scenario{env: map[string]string{"COMMANDER_DRY_RUN": "false", "COMMANDER_BREAKER_MAX_COUNT": "100000", "COMMANDER_BREAKER_MAX_PERCENT": "100"},
		maxAge: 120 * 24 * time.Hour, mutates: true,
		prepare: cleanupEvent(false), event: cleanupEventAt(false, bench.Now.Add(8*24*time.Hour)), job: cleanupJob})
}

// BenchmarkBackup: a daily run with retention over an estate whose
// snapshots span 35 days (the steady state of a 30-day retention): every
// tagged volume is snapshotted, what aged out is deleted. The breaker's
// count is raised so retention can act at this scale (its percentage stays).
func BenchmarkBackup(b *testing.B) {
	ev, _ := json.Marshal(map[string]any{"now": bench.Now.Format(time.RFC3339), "runId": "bench"})
	run(b, scenario{env: map[string]string{"COMMANDER_BREAKER_MAX_COUNT": "100000"}, maxAge: 35 * 24 * time.Hour, mutates: true,
		event: string(ev), job: backupJob})
}

func run(b *testing.B, sc scenario) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			srv, err := inventory.Start(inventory.Options{Now: func() time.Time { return bench.Now }})
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
			for k, v := range sc.env {
				b.Setenv(k, v)
			}
			spec := bench.Estate(n, sc.maxAge)
			if err := srv.Seed(spec); err != nil {
				b.Fatal(err)
			}
			probe, sink := bench.NewProbe(), &bench.AuditSink{}
			handle := sc.job(b, probe, sink)

			var took time.Duration
			var m measured
			runs := 0
			for b.Loop() {
				b.StopTimer()
				if sc.mutates && runs > 0 {
					if err := srv.Seed(spec); err != nil {
						b.Fatal(err)
					}
				}
				if sc.prepare != "" {
					if rep, err := handle(context.Background(), json.RawMessage(sc.prepare)); err != nil && rep == nil {
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
				rep, err := handle(context.Background(), json.RawMessage(sc.event))
				d := time.Since(start)

				b.StopTimer()
				peak := heap.Stop()
				runtime.ReadMemStats(&ms)
				if err != nil && rep == nil {
					b.Fatal(err)
				}
				if rep.Status == report.StatusFailed {
					b.Fatalf("run failed: %s", rep.Reason)
				}
				if rep.Reason != "" {
					b.Logf("status %s: %s", rep.Status, rep.Reason)
				}
				if len(rep.Errors) > 0 {
					b.Logf("%d failed, the first: %s", len(rep.Errors), rep.Errors[0])
				}
				took += d
				runs++
				m = measure(srv.Calls(), probe.Snapshot(), bench.Caps(spec), rep, peak, base, ms.TotalAlloc-alloc)
				b.StartTimer()
			}
			m.report(b, took/time.Duration(runs))
		})
	}
}

// measured is one run's figures.
type measured struct {
	served     map[string]int64 // by the server: every HTTP request, retries included
	total, min int64
	lines      []bench.Line
	listed     int64
	peak, base uint64
	alloc      uint64
	counts     map[string]int
	jobCounted int64 // the report's own API call count
}

func measure(served map[string]int64, s bench.Snapshot, caps map[string]int64, rep *report.Report, peak, base, alloc uint64) measured {
	m := measured{served: served, listed: bench.Listed(s, caps), peak: peak, base: base, alloc: alloc, counts: rep.Counts, jobCounted: rep.APICallsTotal}
	for _, v := range served {
		m.total += v
	}
	m.min, m.lines = bench.Minimum(s, caps)
	return m
}

// expensive are the operations reported one by one.
var expensive = []string{"EC2.DescribeSnapshots", "EC2.DescribeVolumes", "EC2.DescribeInstances", "EC2.DescribeInstanceAttribute",
	"EC2.CreateTags", "EC2.CreateSnapshot", "EC2.CreateSnapshots", "EC2.DeleteSnapshot", "EC2.DeleteVolume", "EC2.TerminateInstances"}

func (m measured) report(b *testing.B, took time.Duration) {
	b.ReportMetric(float64(m.total), "calls")
	b.ReportMetric(float64(m.min), "min-calls")
	if m.min > 0 {
		b.ReportMetric(float64(m.total)/float64(m.min), "x-minimum")
	}
	for _, op := range expensive {
		if n := m.served[op]; n > 0 {
			b.ReportMetric(float64(n), strings.TrimPrefix(op, "EC2.")+"-calls")
		}
	}
	b.ReportMetric(float64(m.listed), "listed")
	if m.listed > 0 {
		b.ReportMetric(float64(took.Microseconds())/float64(m.listed), "us/listed")
		b.ReportMetric(float64(m.alloc)/float64(m.listed), "alloc-B/listed")
	}
	b.ReportMetric(float64(m.peak)/(1<<20), "heap-peak-MB")
	b.ReportMetric(float64(m.peak-min(m.peak, m.base))/(1<<20), "heap-job-MB")
	var lines []string
	for _, l := range m.lines {
		lines = append(lines, fmt.Sprintf("%-36s calls %7d  minimum %7d  served %7d", l.Op, l.Calls, l.Minimum, m.served[l.Op]))
	}
	var counts []string
	for k, v := range m.counts {
		counts = append(counts, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(counts)
	b.Logf("%s: %d calls served (job's own count %d), minimum %d; %d listed in %s\n%s\ncounts: %s",
		b.Name(), m.total, m.jobCounted, m.min, m.listed, took.Round(time.Millisecond), strings.Join(lines, "\n"), strings.Join(counts, " "))
}
