package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/aws-commander/commander/events"
)

// Invoke runs one function once with the event in file, against an
// emulator: the one AWS_ENDPOINT_URL names, or a fresh moto server. It is
// the local twin of testing a sample event in the Lambda console.
func Invoke(ctx context.Context, opts Options, fn, file string) error {
	if !slices.Contains(events.Functions, fn) {
		return fmt.Errorf("FN=%q: accepts one of %v", fn, events.Functions)
	}
	body, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("EVENT=%q: %w", file, err)
	}
	step := Step{Title: "invoke " + filepath.Base(file), Function: fn,
		Event: func(Estate) ([]byte, string, error) { return body, file, nil }}
	if fn == "api" {
		step.Env = apiIntegration // an HTTP sample needs the integration's alias
	}
	opts.Invoke = true
	_, err = Run(ctx, opts, []Step{step}, nil)
	return err
}
