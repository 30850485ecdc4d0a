// Package artifacts_test runs the files that deploy: make build's
// linux/arm64 build/<fn>/bootstrap, under the Lambda Runtime Interface
// Emulator through qemu-user, against moto. Every other bootstrap test runs a
// host build, so this is where a cross-compile-only fault (a build tag, a
// GOARCH-specific file, a stripped binary that cannot start) shows.
package artifacts_test

import (
	"context"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/testkit/emulator"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

// invokeTimeout covers a cold start under qemu (seconds: an emulated Go
// runtime and SDK init) and the call; Invoke itself waits as long as ctx does.
const invokeTimeout = 2 * time.Minute

// missing fails under CI and skips elsewhere, as emulatortest does for the emulators.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (skipping; CI=true makes this a failure)", args...)
}

// sample is one named sample event; a renamed sample fails here, not silently.
func sample(t *testing.T, fn, name string) []byte {
	t.Helper()
	samples, err := events.Samples(fn)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		if s.Name == name {
			return s.Body
		}
	}
	t.Fatalf("no sample events/samples/%s/%s", fn, name)
	return nil
}

// wantReport checks a backup, cleanup or alarm answer: Lambda's error shape
// fails, and the report must be fn's with the given trigger, dry-run,
// status and reason (a prefix), having made call against moto: proof that
// the emulated binary's SDK reached the endpoint the test set.
func wantReport(fn, trigger string, dryRun bool, status, reason, call string) func(*testing.T, []byte) {
	return func(t *testing.T, out []byte) {
		t.Helper()
		var a struct {
			report.Report
			ErrorMessage string `json:"errorMessage"`
		}
		if err := json.Unmarshal(out, &a); err != nil || a.ErrorMessage != "" {
			t.Fatalf("answer is not a report: %v %s", err, out)
		}
		r := &a.Report
		if r.Function != fn || r.Trigger != trigger || r.DryRun != dryRun || r.Status != status || !strings.HasPrefix(r.Reason, reason) {
			t.Errorf("report: function %q trigger %q dryRun %v status %q reason %q; want %q %q %v %q %q",
				r.Function, r.Trigger, r.DryRun, r.Status, r.Reason, fn, trigger, dryRun, status, reason)
		}
		if r.APICalls[call] == 0 {
			t.Errorf("no %s call in the report: %v", call, r.APICalls)
		}
	}
}

// commands checks the api's commands.list answer: a 200 listing every
// action the api's direct samples invoke.
func commands(t *testing.T, out []byte) {
	t.Helper()
	var a struct {
		StatusCode int    `json:"statusCode"`
		Action     string `json:"action"`
		Result     []struct {
			Action string `json:"action"`
			Route  string `json:"route"`
		} `json:"result"`
		ErrorMessage string `json:"errorMessage"`
	}
	if err := json.Unmarshal(out, &a); err != nil || a.StatusCode != 200 || a.Action != "commands.list" || a.ErrorMessage != "" {
		t.Fatalf("answer = %v %s", err, out)
	}
	listed := map[string]bool{}
	for _, c := range a.Result {
		listed[c.Action] = c.Route != ""
	}
	samples, err := events.Samples("api")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range samples {
		if !strings.HasSuffix(s.Name, "-direct.json") {
			continue
		}
		var req struct {
			Action string `json:"action"`
		}
		if err := json.Unmarshal(s.Body, &req); err != nil || req.Action == "" {
			t.Fatalf("sample %s has no action: %v", s.Name, err)
		}
		if !listed[req.Action] {
			t.Errorf("commands.list lacks %s (invoked by %s), or lists it without a route", req.Action, s.Name)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no direct api samples to compare with")
	}
}

// The shipped arm64 bootstrap of each function answers one sample event that
// needs no prepared AWS state (moto is empty), as its host build does in
// functions/<fn>.
func TestArtifactsAnswerASample(t *testing.T) {
	dir := os.Getenv("COMMANDER_ARTIFACTS")
	if dir == "" {
		missing(t, "COMMANDER_ARTIFACTS is unset: run `make build` and point it at build/ (make test does both)")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	qemu, err := exec.LookPath("qemu-aarch64-static")
	if err != nil {
		missing(t, "qemu-aarch64-static not found: run `make tools` (and put .tools/bin on PATH): %v", err)
	}
	if qemu, err = filepath.Abs(qemu); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		fn, sample string
		check      func(t *testing.T, out []byte)
	}{
		{fn: "api", sample: "00-commands-list-direct.json", check: commands},
		{fn: "backup", sample: "dry-run-direct.json", check: wantReport("backup", "direct", true, report.StatusOK, "", "EC2.DescribeVolumes")},
		{fn: "cleanup", sample: "1-dry-run-direct.json", check: wantReport("cleanup", "direct", true, report.StatusOK, "", "EC2.DescribeInstances")},
		// moto has no such alarm: the function asks CloudWatch and skips, as
		// it does for an alarm deleted before its event arrives.
		{fn: "alarm", sample: "alarm-insufficient-data.json", check: wantReport("alarm", "event", false, report.StatusSkipped, "unknown alarm", "CloudWatch.DescribeAlarms")},
		{fn: "scheduler", sample: "dry-run-direct.json", check: wantReport("scheduler", "direct", true, report.StatusOK, "", "EC2.DescribeInstances")},
	}
	for _, c := range cases {
		t.Run(c.fn, func(t *testing.T) {
			artifact := filepath.Join(dir, c.fn, "bootstrap")
			if _, err := os.Stat(artifact); err != nil {
				missing(t, "no artifact %s: run `make build`: %v", artifact, err)
			}
			// A file that is there but no ELF is a broken build, never a skip.
			bin, err := elf.Open(artifact)
			if err != nil {
				t.Fatalf("%s: %v", artifact, err)
			}
			machine := bin.Machine
			bin.Close()
			if machine != elf.EM_AARCH64 {
				t.Fatalf("%s is built for %s, want %s (the Lambda architecture)", artifact, machine, elf.EM_AARCH64)
			}
			event := sample(t, c.fn, c.sample)

			emulatortest.Moto(t)
			// The RIE runs a bootstrap it can exec; qemu-user is what runs the arm64 file here.
			wrapper := filepath.Join(t.TempDir(), "bootstrap")
			script := "#!/bin/sh\nexec " + quote(qemu) + " " + quote(artifact) + " \"$@\"\n"
			if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			f, err := emulator.StartFunction(ctx, wrapper, nil, nil)
			if err != nil {
				missing(t, "Lambda Runtime Interface Emulator unavailable: run `make tools`: %v", err)
			}
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("%s output:\n%s", c.fn, f.Output())
				}
				f.Stop()
			})

			ictx, cancel := context.WithTimeout(ctx, invokeTimeout)
			defer cancel()
			start := time.Now()
			out, err := f.Invoke(ictx, event)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: cold start and %s under qemu in %s", c.fn, c.sample, time.Since(start).Round(time.Millisecond))
			c.check(t, out)
		})
	}
}

// quote makes s one word for /bin/sh.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
