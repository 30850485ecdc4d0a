package demo

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/cleanup/policy"
)

// apiIntegration makes the api's invoked ARN name the HTTP API integration's
// alias, as API Gateway's invocations do: the demo plays API Gateway.
var apiIntegration = map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "commander-demo-api:" + api.IntegrationAlias}

// Scenario is the demo: a scheduled backup, a cleanup in dry-run and then
// for real across simulated days (mark, grace, act), an alarm for the
// running instance, an office-hours stop, and the api samples (HTTP and console shapes).
func Scenario() ([]Step, error) {
	var steps []Step
	add := func(s Step) { steps = append(steps, s) }

	add(Step{Title: "scheduled backup", Function: "backup", Event: sample("backup", "scheduled.json", nil)})
	policy := map[string]string{"COMMANDER_CLEANUP_POLICY": CleanupPolicy}
	live := map[string]string{"COMMANDER_CLEANUP_POLICY": CleanupPolicy, "COMMANDER_DRY_RUN": "false"}
	add(Step{Title: "scheduled cleanup 31 simulated days later, dry-run (the default): the full plan, nothing changed", Function: "cleanup",
		Env: policy, Event: sample("cleanup", "scheduled.json", atDay(31))})
	add(Step{Title: "the same cleanup for real (COMMANDER_DRY_RUN=false): candidates are marked, the grace period starts", Function: "cleanup",
		Env: live, Event: sample("cleanup", "scheduled.json", atDay(31))})
	add(Step{Title: "cleanup for real 8 days later: past the grace period, what still matches is acted on", Function: "cleanup",
		Env: live, Event: sample("cleanup", "scheduled.json", atDay(39))})
	add(Step{Title: "CPU alarm of the web server goes into ALARM", Function: "alarm",
		Event: sample("alarm", "alarm-single-metric.json", forWebAlarm)})
	add(Step{Title: "office hours: Monday 19:30 in Paris, the scheduler stops the dev box and says what that saves", Function: "scheduler",
		Event: sample("scheduler", "simulated-now.json", nil)})

	for _, name := range APISamples {
		// The demo plays the HTTP API integration: the api is invoked through its alias.
		add(Step{Title: "api " + name, Function: "api", Env: apiIntegration, Event: sample("api", name+".json", nil)})
	}
	return steps, nil
}

// APISamples are the requests the demo makes of the api function, in both
// shapes: HTTP API (-http) and a console or CLI invocation (-direct).
var APISamples = []string{
	"00-commands-list-http",
	"10-iam-create-role-http",
	"11-iam-create-role-direct",
	"12-iam-create-instance-profile-http",
	"20-s3-create-bucket-http",
	"22-s3-put-object-http",
	"34-ec2-launch-direct", // asks for a dry run: answers the plan of calls
	"34-ec2-launch-http",
	"35-ec2-list-direct",
	"92-s3-delete-bucket-http",
	"94-iam-delete-role-direct",
	"94-iam-delete-role-http",
}

// CleanupPolicy is the shipped default plus a rule for roles this system
// created and nobody used for 30 days, so the demo shows IAM cleanup too.
var CleanupPolicy = strings.TrimRight(string(policy.Default), "\n") + `
  - name: unused-roles
    resource: iam:role
    action: delete
    filters: [{unusedFor: 30d}]
`

// sample loads events/samples/<fn>/<name>, adapted to the estate by edit.
func sample(fn, name string, edit func(Estate, map[string]any) error) func(Estate) ([]byte, string, error) {
	return func(e Estate) ([]byte, string, error) {
		all, err := events.Samples(fn)
		if err != nil {
			return nil, "", err
		}
		source := "events/samples/" + fn + "/" + name
		for _, s := range all {
			if s.Name != name {
				continue
			}
			if edit == nil {
				return s.Body, source, nil
			}
			var ev map[string]any
			if err := json.Unmarshal(s.Body, &ev); err != nil {
				return nil, "", fmt.Errorf("%s: %w", source, err)
			}
			if err := edit(e, ev); err != nil {
				return nil, "", fmt.Errorf("%s: %w", source, err)
			}
			b, err := json.Marshal(ev)
			return b, source + " (adapted to the seeded estate)", err
		}
		return nil, "", fmt.Errorf("sample %s not found", source)
	}
}

// atDay moves a scheduled event to the seeding time plus days: a new
// scheduled time (so it is not a re-delivery) and the simulated now.
func atDay(days int) func(Estate, map[string]any) error {
	return func(e Estate, ev map[string]any) error {
		now := e.Seeded.Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Second)
		ev["time"] = now.Format(time.RFC3339)
		ev["id"] = fmt.Sprintf("demo-day-%d", days)
		ev["detail"] = map[string]any{"now": now.Format(time.RFC3339)}
		return nil
	}
}

// forWebAlarm points the alarm sample at the seeded web server and its alarm.
func forWebAlarm(e Estate, ev map[string]any) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	s := strings.ReplaceAll(string(b), "commander-cpu-i-0123456789abcdef0", e.WebAlarm)
	s = strings.ReplaceAll(s, "i-0123456789abcdef0", e.Web)
	clear(ev)
	return json.Unmarshal([]byte(s), &ev)
}
