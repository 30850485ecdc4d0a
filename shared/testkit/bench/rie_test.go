package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/testkit/bench"
	"github.com/aws-commander/commander/shared/testkit/emulator"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
)

// BenchmarkCleanupBootstrap runs the real cleanup bootstrap under the
// Lambda RIE, dry run, against the inventory server, and reads the
// bootstrap process's peak RSS (VmHWM) and CPU time (utime+stime) from
// /proc after the invocation: the whole process, start-up included.
func BenchmarkCleanupBootstrap(b *testing.B) {
	bootstrapRun(b, "cleanup", 120*24*time.Hour, []string{"COMMANDER_DRY_RUN=true"}, "", cleanupEvent(true))
}

// BenchmarkCleanupActBootstrap is BenchmarkCleanupAct in the bootstrap: a
// first process marks (unmeasured), a second one, eight days later, acts.
func BenchmarkCleanupActBootstrap(b *testing.B) {
	bootstrapRun(b, "cleanup", 120*24*time.Hour,
		[]string{"COMMANDER_DRY_RUN=false", "COMMANDER_BREAKER_MAX_COUNT=100000", "COMMANDER_BREAKER_MAX_PERCENT=100"},
		cleanupEvent(false), cleanupEventAt(false, bench.Now.Add(8*24*time.Hour)))
}

// BenchmarkBackupBootstrap is BenchmarkBackup's daily run with retention,
// in the backup bootstrap under the RIE.
func BenchmarkBackupBootstrap(b *testing.B) {
	ev, _ := json.Marshal(map[string]any{"now": bench.Now.Format(time.RFC3339), "runId": "bench"})
	bootstrapRun(b, "backup", 35*24*time.Hour, []string{"COMMANDER_BREAKER_MAX_COUNT=100000"}, "", string(ev))
}

// bootstrapRun measures event in a fresh process; prepare, when set, runs
// first in a process of its own (unmeasured).
func bootstrapRun(b *testing.B, fn string, maxAge time.Duration, extra []string, prepare, event string) {
	for _, n := range []int{10_000, 200_000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			srv, err := inventory.Start(inventory.Options{Now: func() time.Time { return bench.Now }})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Stop()
			spec := bench.Estate(n, maxAge)
			if err := srv.Seed(spec); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			exe, err := emulator.BuildBootstrap(ctx, fn, b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			if exe, err = filepath.Abs(exe); err != nil {
				b.Fatal(err)
			}
			env := append([]string{"AWS_LAMBDA_FUNCTION_TIMEOUT=600"}, extra...)
			for k, v := range srv.Env() {
				env = append(env, k+"="+v)
			}
			for k, v := range common {
				env = append(env, k+"="+v)
			}
			var listed int64
			for op, c := range bench.Caps(spec) {
				if op != "S3.ListBuckets" && op != "S3.ListObjectsV2" {
					listed += c
				}
			}
			for b.Loop() {
				b.StopTimer()
				if err := srv.Seed(spec); err != nil { // a live run changes the estate
					b.Fatal(err)
				}
				if prepare != "" {
					f, err := emulator.StartFunction(ctx, exe, env, nil)
					if err != nil {
						b.Fatal(err)
					}
					_, err = f.Invoke(ctx, []byte(prepare))
					f.Stop()
					if err != nil {
						b.Fatal(err)
					}
				}
				// A new process per run: the figures are one invocation's, cold
				// (resource = an EC2 resource of the estate, all of which cleanup lists).
				f, err := emulator.StartFunction(ctx, exe, env, nil)
				if err != nil {
					b.Fatal(err)
				}
				srv.Reset()
				b.StartTimer()
				start := time.Now()
				out, err := f.Invoke(ctx, []byte(event))
				took := time.Since(start)
				b.StopTimer()
				if err != nil {
					f.Stop()
					b.Fatal(err)
				}
				pid, err := bench.ProcessOf(exe)
				if err != nil {
					f.Stop()
					b.Fatal(err)
				}
				u, err := bench.UsageOf(pid)
				f.Stop()
				if err != nil {
					b.Fatal(err)
				}
				var rep struct {
					Status, Reason, ErrorMessage string
					APICallsTotal, Retries       int64
				}
				if err := json.Unmarshal(out, &rep); err != nil || rep.ErrorMessage != "" || rep.Status == "failed" {
					b.Fatalf("invocation: %v %s", err, out)
				}
				if rep.Reason != "" {
					b.Logf("status %s: %s", rep.Status, rep.Reason)
				}
				// Only the audit event may fail (the inventory server has no
				// EventBridge); anything else makes the figures those of a
				// different run.
				for _, part := range strings.Split(rep.Reason, "; ") {
					if part != "" && !strings.HasPrefix(part, "audit") {
						b.Fatalf("the run did not complete: %s", part)
					}
				}
				var served int64
				for _, v := range srv.Calls() {
					served += v
				}
				b.ReportMetric(float64(u.PeakRSS)/(1<<20), "peak-RSS-MB")
				b.ReportMetric(float64(u.CPU.Milliseconds()), "cpu-ms")
				b.ReportMetric(float64(u.CPU.Microseconds())/float64(listed), "cpu-us/resource")
				b.ReportMetric(float64(took.Microseconds())/float64(listed), "us/resource")
				b.ReportMetric(float64(served), "calls")
				b.ReportMetric(float64(rep.APICallsTotal), "job-counted-calls")
				b.ReportMetric(float64(rep.Retries), "job-retries")
				b.StartTimer()
			}
		})
	}
}

// BenchmarkColdStart starts each function's bootstrap against a stand-in
// Lambda runtime API and times process start to its first request for an
// event (GET /2018-06-01/runtime/invocation/next): settings, logging, AWS
// configuration and clients, no AWS call.
func BenchmarkColdStart(b *testing.B) {
	for _, fn := range []string{"backup", "cleanup", "alarm", "api"} {
		b.Run("fn="+fn, func(b *testing.B) {
			exe, err := emulator.BuildBootstrap(context.Background(), fn, b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			next := make(chan time.Time, 1)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case next <- time.Now():
				default:
				}
				<-r.Context().Done() // hold the request: no event comes
			})}
			go func() { _ = hs.Serve(ln) }()
			defer hs.Close()
			env := append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(), "AWS_REGION=us-east-1",
				"AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench", "AWS_CONFIG_FILE=/dev/null",
				"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_CA_BUNDLE=", "AWS_LAMBDA_FUNCTION_NAME="+fn)
			var total time.Duration
			runs := 0
			for b.Loop() {
				cmd := exec.Command(exe)
				cmd.Env = env
				start := time.Now()
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				select {
				case t := <-next:
					total += t.Sub(start)
				case <-time.After(10 * time.Second):
					_ = cmd.Process.Kill()
					_ = cmd.Wait()
					b.Fatalf("%s asked for no event within 10 s", fn)
				}
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				runs++
			}
			b.ReportMetric(float64(total.Microseconds())/float64(runs)/1000, "ms-to-first-next")
		})
	}
}
