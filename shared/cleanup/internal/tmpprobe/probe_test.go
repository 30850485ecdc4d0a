package tmpprobe

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/bench"
	"github.com/aws-commander/commander/shared/emulator"
	"github.com/aws-commander/commander/shared/emulator/inventory"
)

// Throwaway: every snapshot a candidate; mark run, then act run measured.
func TestProbe(t *testing.T) {
	n := 200000
	srv, err := inventory.Start(inventory.Options{Now: func() time.Time { return bench.Now }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if err := srv.Seed(bench.Estate(n, 120*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	exe, err := emulator.BuildBootstrap(ctx, "cleanup", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	exe, _ = filepath.Abs(exe)
	doc := `{"version":1,"policies":[{"name":"all-snapshots","resource":"ec2:snapshot","action":"delete","filters":[{"age":"1d"}]}]}`
	env := []string{"AWS_LAMBDA_FUNCTION_TIMEOUT=900", "COMMANDER_DRY_RUN=false", "COMMANDER_BREAKER_MAX_COUNT=100000", "COMMANDER_BREAKER_MAX_PERCENT=100",
		"COMMANDER_REGIONS=us-east-1", "COMMANDER_ALLOW_SIMULATED_TIME=true", "COMMANDER_CLEANUP_POLICY=" + doc}
	if os.Getenv("PROBE_GODEBUG") != "" {
		env = append(env, "GODEBUG="+os.Getenv("PROBE_GODEBUG"))
	}
	for k, v := range srv.Env() {
		env = append(env, k+"="+v)
	}
	for i, at := range []time.Time{bench.Now, bench.Now.Add(8 * 24 * time.Hour)} {
		ev, _ := json.Marshal(map[string]any{"now": at.Format(time.RFC3339)})
		var logs *os.File
		if true {
			logs, _ = os.Create("/tmp/cleanup9/probe.log")
		}
		var f *emulator.Function
		if logs != nil {
			f, err = emulator.StartFunction(ctx, exe, env, logs)
		} else {
			f, err = emulator.StartFunction(ctx, exe, env, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		srv.Reset()
		start := time.Now()
		out, err := f.Invoke(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := bench.ProcessOf(exe)
		u, err := bench.UsageOf(pid)
		f.Stop()
		var rep struct {
			Status, Reason string
			Counts         map[string]int
			APICallsTotal  int64
		}
		_ = json.Unmarshal(out, &rep)
		fmt.Printf("run %d: %s peak %.1f MB cpu %v calls %d status %s counts %v\n", i, time.Since(start), float64(u.PeakRSS)/(1<<20), u.CPU, rep.APICallsTotal, rep.Status, rep.Counts)
	}
}
