package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/backup"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/testkit/bench"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws-commander/commander/shared/testkit/emulator/pipenet"
)

// The jobs against a realistic account: AWS's EC2 token buckets, in-region
// latency and pending snapshots (bench.RealAccount), with the job and the
// inventory server in one testing/synctest bubble talking over an
// in-memory network, so that time is virtual: a run the buckets hold to
// hours takes the seconds its CPU needs, and its wall time is exact and
// the same every run. CPU time is not in it (the clock stands still while
// goroutines run); the loopback benchmarks measure that.
//
// Every invocation gets the function's deployed timeout as its deadline
// and hands over to the next, as in Lambda, until the run is done. Each
// size checks: wall ≤ 1.1 × the floor the limits set (bench.FloorOf), ≤ 1 %
// of calls throttled, nothing failed, nothing done twice.
//
// make test runs 10 000; make bench runs BENCH_ACCOUNT_SIZES=10000,50000,200000
// and prints the table and chart docs/PERFORMANCE.md shows.

// The deployed functions (infra/stack/stack.go's Specs): backup and
// cleanup have 512 MB and 900 s.
const (
	jobMemoryMB = 512
	jobTimeout  = 900 * time.Second
)

func accountSizes(t *testing.T) []int {
	v := os.Getenv("BENCH_ACCOUNT_SIZES")
	if v == "" {
		return []int{10_000}
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 100 {
			t.Fatalf("BENCH_ACCOUNT_SIZES=%q is invalid: accepts comma-separated sizes of at least 100", v)
		}
		out = append(out, n)
	}
	return out
}

type accountScenario struct {
	name    string
	env     map[string]string
	maxAge  time.Duration
	prepare string // run first (not measured), then the buckets are refilled
	event   string
	backup  bool // the backup job, else cleanup
	phases  []bench.Phase
}

// accountRun is one whole run: every invocation until no hand-over is left.
type accountRun struct {
	n          int
	wall       time.Duration
	durations  []time.Duration
	calls      int64 // EC2 calls served, throttled ones included
	throttled  int64
	failed     int
	repeated   int64
	counts     map[string]int
	floor      bench.Floor
	cost       bench.LambdaCost
	hopsFailed string
	errors     []string      // the first few
	listed     time.Duration // the describe latency slept, every hop's listings
}

func TestRealAccountBackup(t *testing.T) {
	ev, _ := json.Marshal(map[string]any{"now": bench.Now.Format(time.RFC3339), "runId": "bench"})
	realAccount(t, accountScenario{name: "backup", backup: true, maxAge: 35 * 24 * time.Hour,
		env:   map[string]string{"COMMANDER_BREAKER_MAX_COUNT": "100000"},
		event: string(ev),
		// Retention prunes once every region has planned, after the creates.
		phases: []bench.Phase{{"CreateSnapshot", "CreateSnapshots", "CreateTags"}, {"DeleteSnapshot"}}})
}

func TestRealAccountCleanupAct(t *testing.T) {
	realAccount(t, accountScenario{name: "cleanup act",
		env:     map[string]string{"COMMANDER_DRY_RUN": "false", "COMMANDER_BREAKER_MAX_COUNT": "100000", "COMMANDER_BREAKER_MAX_PERCENT": "100"},
		maxAge:  120 * 24 * time.Hour,
		prepare: cleanupEvent(false), event: cleanupEventAt(false, bench.Now.Add(8*24*time.Hour)),
		// Types go in dependency order; within one, a volume's final
		// snapshot and its deletion overlap the other volumes'.
		phases: []bench.Phase{{"TerminateInstances", "StopInstances"}, {"CreateSnapshot", "DeleteVolume", "CreateTags"},
			{"DeregisterImage"}, {"DeleteSnapshot"}, {"ReleaseAddress"}}})
}

func realAccount(t *testing.T, sc accountScenario) {
	var runs []accountRun
	for _, n := range accountSizes(t) {
		t.Run(fmt.Sprintf("N=%d", n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := runInAccount(t, n, sc)
				runs = append(runs, r)
				ratio := r.wall.Seconds() / r.floor.Total.Seconds()
				var lines []string
				for _, l := range r.floor.Lines {
					lines = append(lines, "  "+l.String())
				}
				t.Logf("%s N=%d: wall %s over %d invocations (%.1f GB-s, $%.4f); floor %s = listing %s +\n%s\n"+
					"(the hops' listings slept %s); "+
					"wall ÷ floor %.3f; %d of %d EC2 calls throttled (%.2f %%); %d failed; %d repeated; counts %v",
					sc.name, n, r.wall.Round(time.Second), r.cost.Invocations, r.cost.GBSeconds, r.cost.USD,
					r.floor.Total.Round(time.Second), r.floor.Listing.Round(time.Second), strings.Join(lines, "\n"), r.listed.Round(time.Second),
					ratio, r.throttled, r.calls, 100*float64(r.throttled)/float64(max(1, r.calls)), r.failed, r.repeated, r.counts)
				if ratio > 1.1 {
					t.Errorf("wall %s is %.2f × the floor %s; want at most 1.1 ×", r.wall, ratio, r.floor.Total)
				}
				if r.throttled*100 > r.calls {
					t.Errorf("%d of %d calls throttled; want at most 1 %%", r.throttled, r.calls)
				}
				if r.failed > 0 || r.repeated > 0 || r.hopsFailed != "" {
					t.Errorf("%d failed, %d done twice %s; want none; errors: %s", r.failed, r.repeated, r.hopsFailed, strings.Join(r.errors, "; "))
				}
			})
		})
	}
	if len(runs) > 1 {
		t.Log(accountTable(sc.name, runs))
	}
}

func runInAccount(t *testing.T, n int, sc accountScenario) accountRun {
	ln := pipenet.Listen()
	opts := bench.RealAccount(bench.Now, 1)
	opts.Listener = ln
	srv, err := inventory.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	for k, v := range srv.Env() {
		t.Setenv(k, v)
	}
	for k, v := range common {
		t.Setenv(k, v)
	}
	for k, v := range sc.env {
		t.Setenv(k, v)
	}
	spec := bench.Estate(n, sc.maxAge)
	if err := srv.Seed(spec); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{DialContext: ln.Dial, MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	probe, sink := bench.NewProbe(), &bench.AuditSink{}
	var queue [][]byte
	fn := "cleanup"
	if sc.backup {
		fn = backup.Function
	}
	d := deps(t, fn, probe)
	d.AWS.HTTPClient = awsclient.RaceSafe(&http.Client{Transport: tr})
	var handle handler
	followUp := func(_ context.Context, p []byte) error { queue = append(queue, p); return nil }
	if sc.backup {
		j := newBackup(t, d, sink)
		j.FollowUp = followUp
		handle = j.Handle
	} else {
		j := newCleanup(t, d, sink)
		j.FollowUp = followUp
		handle = j.Handle
	}
	invoke := func(p []byte) (*report.Report, time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
		defer cancel()
		start := time.Now()
		rep, err := handle(ctx, p)
		if rep == nil {
			t.Fatalf("invocation: %v", err)
		}
		return rep, time.Since(start)
	}
	if sc.prepare != "" {
		queue = append(queue, []byte(sc.prepare))
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			invoke(p)
		}
		srv.Refill()
		srv.Reset()
		probe.Reset()
	}
	r := accountRun{n: n, counts: map[string]int{}}
	queue = append(queue, []byte(sc.event))
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		rep, took := invoke(p)
		r.durations = append(r.durations, took)
		r.wall += took
		r.failed += len(rep.Errors)
		r.errors = append(r.errors, rep.Errors[:min(len(rep.Errors), 5-min(5, len(r.errors)))]...)
		for k, v := range rep.Counts {
			r.counts[k] += v
		}
		t.Logf("invocation %d: %s after %s: %s (next %v)", len(r.durations), rep.Status, took.Round(time.Second), rep.Reason, rep.Next != nil)
		if rep.Status == report.StatusFailed {
			r.hopsFailed = "(the run failed: " + rep.Reason + ")"
		}
	}
	for op, v := range srv.Calls() {
		if strings.HasPrefix(op, "EC2.") {
			r.calls += v
		}
	}
	for _, v := range srv.Throttled() {
		r.throttled += v
	}
	s := probe.Snapshot()
	for _, v := range s.Repeated {
		r.repeated += v
	}
	r.floor = bench.FloorOf(s, bench.ListingFloor(s, bench.Caps(spec), opts.Latency), sc.phases, 100)
	r.listed = srv.Slept()["describe"]
	r.cost = bench.CostOf(jobMemoryMB, r.durations)
	return r
}

// accountTable is the figures of every size, and a chart of wall time
// against N beside the floor (Mermaid, as docs/PERFORMANCE.md shows it).
func accountTable(name string, runs []accountRun) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s at the account's rate limits:\n| N | wall | floor | wall ÷ floor | throttled | failed | repeated | invocations | GB-s | Lambda $ |\n|---|---|---|---|---|---|---|---|---|---|\n", name)
	var xs, walls, floors []string
	for _, r := range runs {
		fmt.Fprintf(&b, "| %d | %s | %s | %.3f | %.2f %% | %d | %d | %d | %.1f | %.4f |\n", r.n, r.wall.Round(time.Second), r.floor.Total.Round(time.Second),
			r.wall.Seconds()/r.floor.Total.Seconds(), 100*float64(r.throttled)/float64(max(1, r.calls)), r.failed, r.repeated,
			r.cost.Invocations, r.cost.GBSeconds, r.cost.USD)
		xs = append(xs, strconv.Itoa(r.n))
		walls = append(walls, fmt.Sprintf("%.0f", r.wall.Minutes()))
		floors = append(floors, fmt.Sprintf("%.0f", r.floor.Total.Minutes()))
	}
	fmt.Fprintf(&b, "\n```mermaid\nxychart-beta\n    title \"%s: wall time and floor (minutes) against N\"\n    x-axis [%s]\n    y-axis \"minutes\"\n    bar [%s]\n    line [%s]\n```\n",
		name, strings.Join(xs, ", "), strings.Join(walls, ", "), strings.Join(floors, ", "))
	return b.String()
}
