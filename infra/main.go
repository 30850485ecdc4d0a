// Command infra is the CDK app that deploys AWS Commander: `cdk synth` (or
// `go run ./infra` with CDK_OUTDIR) writes the CloudFormation template offline.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws-commander/commander/infra/stack"
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
}

func run() error {
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	ctx, err := context(dir)
	if err != nil {
		return err
	}
	// Validate before starting the jsii runtime: a bad value fails in milliseconds.
	cfg, err := stack.FromContext(ctx, dir)
	if err != nil {
		return err
	}
	if err := cfg.CheckAssets(); err != nil {
		return err
	}
	defer jsii.Close()
	props := &awscdk.AppProps{Context: &ctx}
	// Passed explicitly: the jsii runtime does not see environment changes made
	// after the Go process started (tests set CDK_OUTDIR with t.Setenv).
	if out := os.Getenv("CDK_OUTDIR"); out != "" {
		props.Outdir = &out
	}
	app := awscdk.NewApp(props)
	stack.New(app, cfg)
	stack.AddChecks(app)
	asm := app.Synth(nil)
	// cdk-nag records findings as error annotations; fail here too, so that
	// `go run ./infra` is as strict as `cdk synth`.
	var findings int
	for _, st := range *asm.Stacks() {
		for _, m := range *st.Messages() {
			if m.Level == "error" || m.Level == "warning" {
				findings++
				fmt.Fprintf(os.Stderr, "%s: %v\n", *m.Id, m.Entry.Data)
			}
		}
	}
	if findings > 0 {
		return fmt.Errorf("%d synth errors or warnings (cdk-nag findings, CDK messages) above", findings)
	}
	return nil
}

// context is the CDK context: cdk.json's, overridden by what the cdk CLI
// passes in CDK_CONTEXT_JSON (which already includes cdk.json and -c values)
// and, for a context over the environment's size limit, in the overflow file.
func context(dir string) (map[string]any, error) {
	ctx := map[string]any{}
	b, err := os.ReadFile(filepath.Join(dir, "cdk.json"))
	if err == nil {
		var f struct {
			Context map[string]any `json:"context"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("cdk.json: %w", err)
		}
		for k, v := range f.Context {
			ctx[k] = v
		}
	} else if !os.IsNotExist(err) {
		return nil, err
	}
	if env := os.Getenv("CDK_CONTEXT_JSON"); env != "" {
		if err := merge(ctx, []byte(env)); err != nil {
			return nil, fmt.Errorf("CDK_CONTEXT_JSON: %w", err)
		}
	}
	if path := os.Getenv("CONTEXT_OVERFLOW_LOCATION_ENV"); path != "" {
		b, err := os.ReadFile(path)
		if err == nil {
			err = merge(ctx, b)
		}
		if err != nil {
			return nil, fmt.Errorf("CDK context overflow file: %w", err)
		}
	}
	return ctx, nil
}

func merge(ctx map[string]any, b []byte) error {
	var over map[string]any
	if err := json.Unmarshal(b, &over); err != nil {
		return err
	}
	for k, v := range over {
		ctx[k] = v
	}
	return nil
}
