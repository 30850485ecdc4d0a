package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/infra/stack"
)

// cdk.json must hold a valid context that matches the defaults it documents.
func TestCdkJSONContext(t *testing.T) {
	t.Chdir("..")
	t.Setenv("CDK_CONTEXT_JSON", "")
	ctx, err := context(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stack.FromContext(ctx, "."); err != nil {
		t.Fatalf("cdk.json context is invalid: %v", err)
	}
	for k, def := range stack.Defaults {
		v, ok := ctx[k]
		if !ok {
			t.Errorf("cdk.json lacks %q (default %q)", k, def)
			continue
		}
		if got := fmt.Sprint(v); got != def && !(v == "" && def == "") {
			t.Errorf("cdk.json %s = %v, the code's default is %q", k, v, def)
		}
	}
	var f map[string]any
	b, _ := os.ReadFile("cdk.json")
	if err := json.Unmarshal(b, &f); err != nil || f["app"] != "go run ./infra" {
		t.Errorf("cdk.json app = %v (%v)", f["app"], err)
	}
}

func TestContextSources(t *testing.T) {
	t.Chdir("..")
	overflow := t.TempDir() + "/overflow.json"
	if err := os.WriteFile(overflow, []byte(`{"logLevel": "DEBUG"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CDK_CONTEXT_JSON", `{"stage": "qa"}`)
	t.Setenv("CONTEXT_OVERFLOW_LOCATION_ENV", overflow)
	ctx, err := context(".")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ key, want string }{
		{"stage", "qa"},                            // -c / CDK_CONTEXT_JSON wins over cdk.json
		{"logLevel", "DEBUG"},                      // the CLI's overflow file
		{"scheduleTimeZone", "UTC"},                // cdk.json
		{"@aws-cdk/core:checkSecretUsage", "true"}, // feature flags from cdk.json
	}
	for _, c := range checks {
		if got := fmt.Sprint(ctx[c.key]); got != c.want {
			t.Errorf("%s = %s, want %s", c.key, got, c.want)
		}
	}
	t.Setenv("CDK_CONTEXT_JSON", `{not json`)
	if _, err := context("."); err == nil || !strings.Contains(err.Error(), "CDK_CONTEXT_JSON") {
		t.Errorf("bad CDK_CONTEXT_JSON: err = %v", err)
	}
}

// Bad context makes synth fail with the key and what it accepts, before the
// jsii runtime starts; the cdk CLI passes -c values in CDK_CONTEXT_JSON.
func TestRunRejectsBadContext(t *testing.T) {
	t.Chdir("..")
	cases := []struct {
		name, ctx string
		want      []string
	}{
		{"retention", `{"backupRetentionDays": 0}`, []string{`backupRetentionDays="0" is invalid: accepts a whole number from 1 to 36500 (sets COMMANDER_BACKUP_RETENTION_DAYS)`}},
		{"schedule and time zone", `{"cleanupSchedule": "daily", "scheduleTimeZone": "Nowhere/City"}`, []string{`cleanupSchedule="daily" is invalid`, `scheduleTimeZone="Nowhere/City" is invalid`}},
		{"dry-run", `{"cleanupDryRun": "perhaps"}`, []string{`cleanupDryRun="perhaps" is invalid: accepts true or false`}},
		{"missing binaries", `{"assetDir": "` + t.TempDir() + `"}`, []string{"lacks api/bootstrap, backup/bootstrap, cleanup/bootstrap, alarm/bootstrap, scheduler/bootstrap: run `make build` first"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("CDK_CONTEXT_JSON", c.ctx)
			err := run()
			if err == nil {
				t.Fatal("run accepted it")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// The app synthesizes cdk.json's stage into CDK_OUTDIR with no cdk-nag finding
// (run fails on any error or warning annotation).
func TestRunSynthesizes(t *testing.T) {
	t.Chdir("..")
	assets := t.TempDir()
	for _, fn := range events.Functions {
		if err := os.MkdirAll(assets+"/"+fn, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(assets+"/"+fn+"/bootstrap", []byte("placeholder"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	t.Setenv("CDK_OUTDIR", out)
	t.Setenv("CDK_CONTEXT_JSON", `{"assetDir": "`+assets+`", "stage": "ci"}`)
	if err := run(); err != nil {
		t.Fatalf("run: %v", err)
	}
	b, err := os.ReadFile(out + "/commander-ci.template.json")
	if err != nil {
		t.Fatalf("no template: %v", err)
	}
	var tmpl struct{ Resources map[string]any }
	if err := json.Unmarshal(b, &tmpl); err != nil || len(tmpl.Resources) < 30 {
		t.Errorf("template has %d resources (%v)", len(tmpl.Resources), err)
	}
}
