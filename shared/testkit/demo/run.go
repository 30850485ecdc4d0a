// Package demo runs the whole system locally, end to end through the real
// function binaries: moto server stands in for AWS, the Lambda Runtime
// Interface Emulator runs each function's bootstrap, and the sample events
// in events/samples drive them. `make demo` prints what happened; the tests
// run the same scenario and check the emulator's state afterwards.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/testkit/emulator"
	"github.com/aws/aws-sdk-go-v2/aws"
)

// Step is one invocation of one function.
type Step struct {
	Title    string
	Function string
	// Event builds the event from the seeded estate; source names where it came from.
	Event func(Estate) (body []byte, source string, err error)
	// Env is added to the function's environment (e.g. COMMANDER_DRY_RUN=false).
	Env map[string]string
}

// Options for a run.
type Options struct {
	Reports string    // folder for the JSON answers, one file per step
	Out     io.Writer // the readable account
	Logs    io.Writer // the functions' and emulators' own output
	Build   string    // folder for the host bootstraps
	// Invoke mode: no estate is seeded, and an emulator already named by
	// AWS_ENDPOINT_URL is used instead of starting one.
	Invoke bool
}

// Outcome of one step.
type Outcome struct {
	Step   Step
	Answer json.RawMessage
	Err    error
	File   string
}

// Result of a whole run: the estate, each step's outcome, and the emulator
// configuration (so tests can inspect the state before it stops).
type Result struct {
	Estate   Estate
	Outcomes []Outcome
}

// Failed lists the steps that failed.
func (r Result) Failed() []Outcome {
	var out []Outcome
	for _, o := range r.Outcomes {
		if o.Err != nil {
			out = append(out, o)
		}
	}
	return out
}

// Run starts moto, builds the bootstraps, seeds the estate, runs steps and,
// before stopping everything, calls inspect (tests check state there; nil
// for the demo). It stops everything it started on return, including when
// ctx is canceled (Ctrl-C).
func Run(ctx context.Context, opts Options, steps []Step, inspect func(aws.Config, Result) error) (Result, error) {
	var res Result
	say := func(format string, a ...any) { fmt.Fprintf(opts.Out, format+"\n", a...) }
	if opts.Logs == nil {
		opts.Logs = io.Discard
	}
	if err := os.MkdirAll(opts.Reports, 0o755); err != nil {
		return res, fmt.Errorf("reports folder: %w", err)
	}

	env, stop, motoOut, err := emulatorEnv(ctx, opts, say)
	if err != nil {
		return res, err
	}
	defer stop()
	for k, v := range env {
		os.Setenv(k, v) // the seeding clients in this process talk to the emulator too
	}
	cfg, err := awsclient.Load(ctx, env["AWS_REGION"], 3)
	if err != nil {
		return res, err
	}

	say("▶ building the function binaries for this machine")
	bins := map[string]string{}
	for _, fn := range functionsOf(steps) {
		start := time.Now()
		bin, err := emulator.BuildBootstrap(ctx, fn, opts.Build)
		if err != nil {
			return res, err
		}
		bins[fn] = bin
		say("  %-8s %s (%s)", fn, bin, time.Since(start).Round(time.Millisecond))
	}

	if !opts.Invoke {
		say("▶ seeding a small estate through the SDK")
		if res.Estate, err = Seed(ctx, cfg, time.Now().UTC()); err != nil {
			return res, fmt.Errorf("seed: %w\nmoto server output:\n%s", err, motoOut())
		}
		PrintEstate(opts.Out, res.Estate)
	}

	running := map[string]*emulator.Function{}
	defer func() {
		for _, f := range running {
			f.Stop()
		}
	}()
	base := []string{"COMMANDER_ALLOW_SIMULATED_TIME=true", "COMMANDER_LOG_LEVEL=WARN"}
	for k, v := range env {
		base = append(base, k+"="+v)
	}

	for i, step := range steps {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		o := Outcome{Step: step}
		body, source, err := step.Event(res.Estate)
		say("\n== %d/%d %s: %s", i+1, len(steps), step.Function, step.Title)
		if err == nil {
			say("   event: %s", source)
			var f *emulator.Function
			if f, err = function(ctx, running, bins[step.Function], step, base, opts.Logs); err == nil {
				start := time.Now()
				o.Answer, err = f.Invoke(ctx, body)
				say("   answered in %s", time.Since(start).Round(time.Millisecond))
			}
		}
		if err == nil {
			err = answerError(o.Answer)
		}
		o.Err = err
		if len(o.Answer) > 0 {
			o.File = filepath.Join(opts.Reports, fmt.Sprintf("%02d-%s.json", i+1, step.Function))
			if werr := os.WriteFile(o.File, indent(o.Answer), 0o644); werr != nil {
				o.Err = errors.Join(o.Err, werr)
			}
		}
		printOutcome(opts.Out, o)
		res.Outcomes = append(res.Outcomes, o)
	}
	if inspect != nil {
		if err := inspect(cfg, res); err != nil {
			return res, err
		}
	}
	if failed := res.Failed(); len(failed) > 0 {
		return res, fmt.Errorf("%d of %d steps failed", len(failed), len(steps))
	}
	return res, nil
}

// emulatorEnv starts moto, or in invoke mode reuses the emulator that
// AWS_ENDPOINT_URL names, and returns the environment that reaches it.
func emulatorEnv(ctx context.Context, opts Options, say func(string, ...any)) (env map[string]string, stop func(), out func() string, err error) {
	if url := os.Getenv("AWS_ENDPOINT_URL"); opts.Invoke && url != "" {
		say("▶ using the emulator at %s (AWS_ENDPOINT_URL)", url)
		env = map[string]string{"AWS_ENDPOINT_URL": url}
		for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION"} {
			env[k] = os.Getenv(k)
		}
		if env["AWS_REGION"] == "" {
			env["AWS_REGION"] = "us-east-1"
		}
		return env, func() {}, func() string { return "" }, nil
	}
	say("▶ starting moto server (AWS APIs on loopback)")
	moto, err := emulator.StartMoto(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	say("  %s", moto.URL)
	return moto.Env(), moto.Stop, moto.Out, nil
}

// function returns the running emulator for a step's function and
// environment, starting it on first use.
func function(ctx context.Context, running map[string]*emulator.Function, bin string, step Step, base []string, logs io.Writer) (*emulator.Function, error) {
	var extra []string
	for k, v := range step.Env {
		extra = append(extra, k+"="+v)
	}
	sort.Strings(extra)
	key := step.Function + "|" + strings.Join(extra, ",")
	if f, ok := running[key]; ok {
		return f, nil
	}
	f, err := emulator.StartFunction(ctx, bin, append(append([]string{}, base...), extra...), logs)
	if err != nil {
		return nil, err
	}
	running[key] = f
	return f, nil
}

func functionsOf(steps []Step) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range steps {
		if !seen[s.Function] {
			seen[s.Function] = true
			out = append(out, s.Function)
		}
	}
	return out
}

// answerError finds a failure in a function's answer: a Lambda function
// error, a failed job report, or an HTTP error status.
func answerError(answer []byte) error {
	var a struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
		Status       string `json:"status"`
		Reason       string `json:"reason"`
		StatusCode   int    `json:"statusCode"`
		Body         string `json:"body"`
	}
	if err := json.Unmarshal(answer, &a); err != nil {
		return fmt.Errorf("answer is not a JSON object: %.200s", answer)
	}
	switch {
	case a.ErrorMessage != "":
		return fmt.Errorf("function error %s: %s", a.ErrorType, a.ErrorMessage)
	case a.Status == "failed":
		return fmt.Errorf("job failed: %s", a.Reason)
	case a.StatusCode >= 400:
		return fmt.Errorf("HTTP %d: %.300s", a.StatusCode, a.Body)
	}
	return nil
}

func indent(b []byte) []byte {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return b
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return b
	}
	return append(out, '\n')
}
