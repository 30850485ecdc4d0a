package schema

import (
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/api/catalog"
)

const okPolicy = "  - name: ok\n    resource: ec2:volume\n    action: delete\n    filters: [{age: 1d}]\n"

func policies(body string) string { return "version: 1\npolicies:\n" + body }

// Schema and validator agree: each document the validator refuses (err
// names its message), the schema refuses too, where the rule is
// expressible; each it accepts (err ""), the schema accepts, also on the
// edges where the schema is looser than a first reading would make it.
func TestSchemaAgreesWithValidator(t *testing.T) {
	cases := []struct {
		name, schema, doc string
		err               string // a part of the validator's message; "": accepted
	}{
		// cleanup policy
		{"cleanup: unknown top-level field", CleanupPolicyFile, "polices: []", "polices: unknown field"},
		{"cleanup: bad version", CleanupPolicyFile, "version: 2\npolicies: []", "version: 2 is not supported"},
		{"cleanup: unknown resource type", CleanupPolicyFile, policies("  - name: a\n    resource: ec2:banana\n    action: delete\n    filters: [{age: 1d}]\n"), `unknown resource type "ec2:banana"`},
		{"cleanup: action of another type", CleanupPolicyFile, policies("  - name: a\n    resource: ec2:volume\n    action: terminate\n    filters: [{age: 1d}]\n"), `unknown action "terminate" for ec2:volume`},
		{"cleanup: empty resource", CleanupPolicyFile, policies("  - name: a\n    resource: \"\"\n    action: delete\n    filters: [{age: 1d}]\n"), "policies[0].resource: required"},
		{"cleanup: bad name", CleanupPolicyFile, policies("  - name: has space\n    resource: ec2:volume\n    action: delete\n    filters: [{age: 1d}]\n"), `"has space" is invalid`},
		{"cleanup: filter not for the type", CleanupPolicyFile, policies("  - name: a\n    resource: ec2:address\n    action: release\n    filters: [{age: 1d}]\n"), `filter "age" does not apply`},
		{"cleanup: unknown filter", CleanupPolicyFile, policies("  - name: a\n    resource: ec2:volume\n    action: delete\n    filters: [{colour: red}]\n"), "colour: unknown field"},
		{"cleanup: two kinds in one filter", CleanupPolicyFile, policies("  - name: a\n    resource: ec2:volume\n    action: delete\n    filters: [{age: 1d, state: available}]\n"), "must set exactly one of"},
		{"cleanup: unknown state", CleanupPolicyFile, policies("  - name: a\n    resource: ec2:instance\n    action: stop\n    filters: [{state: [running, asleep]}]\n"), `unknown state "asleep"`},
		{"cleanup: tag without test", CleanupPolicyFile, policies("  - name: a\n    resource: ec2:volume\n    action: delete\n    filters: [{tag: env}]\n"), "a tag filter sets exactly one of"},
		{"cleanup: test without tag", CleanupPolicyFile, policies("  - name: a\n    resource: ec2:volume\n    action: delete\n    filters: [{age: 1d, equals: x}]\n"), "equals: applies only to a tag filter"},
		{"cleanup: negative age", CleanupPolicyFile, policies("  - name: a\n    resource: ec2:volume\n    action: delete\n    filters: [{age: -3}]\n"), "-3 is negative"},
		{"cleanup: age not a duration", CleanupPolicyFile, policies("  - name: a\n    resource: ec2:volume\n    action: delete\n    filters: [{age: soon}]\n"), `"soon" is invalid`},
		{"cleanup: finalSnapshot on an instance", CleanupPolicyFile, policies("  - name: a\n    resource: ec2:instance\n    action: stop\n    finalSnapshot: true\n    filters: [{state: stopped}]\n"), "finalSnapshot: applies only to ec2:volume"},
		{"cleanup: keep beyond its bound", CleanupPolicyFile, policies("  - name: a\n    resource: lambda:version\n    action: delete\n    keep: 10001\n    filters: [{age: 30d}]\n"), "keep: 10001 is invalid"},
		{"cleanup: no filters", CleanupPolicyFile, policies("  - name: a\n    resource: ec2:instance\n    action: stop\n"), "filters: required"},
		{"cleanup: metric of another type", CleanupPolicyFile, policies("  - name: a\n    resource: ec2:instance\n    action: stop\n    filters: [{metric: {name: Invocations, stat: Sum, below: 1, for: 14d}}]\n"), `unknown metric "Invocations"`},
		{"cleanup: metric under exclude", CleanupPolicyFile, policies("  - name: a\n    resource: ec2:instance\n    action: stop\n    filters: [{state: running}]\n    exclude: [{metric: {name: CPUUtilization, stat: Average, above: 5, for: 14d}}]\n"), "metric: applies only under filters"},
		{"cleanup: metric with below and above", CleanupPolicyFile, policies("  - name: a\n    resource: ec2:instance\n    action: stop\n    filters: [{metric: {name: CPUUtilization, stat: Average, below: 1, above: 2, for: 14d}}]\n"), "exactly one of below, above"},
		{"cleanup: equals with no value", CleanupPolicyFile, policies("  - name: a\n    resource: ec2:volume\n    action: delete\n    filters: [{tag: env, equals: }]\n"), ""},
		{"cleanup: exclude null, durations of every form", CleanupPolicyFile, policies("  - name: a\n    resource: ec2:instance\n    action: stop\n    grace: \" 1h30m \"\n    exclude:\n    filters: [{stoppedFor: 0}, {age: 1.5h}, {age: 30}]\n"), ""},
		{"cleanup: whole-number float", CleanupPolicyFile, `{"version": 1.0, "policies": [{"name": "a", "resource": "lambda:version", "action": "delete", "keep": 2.0, "filters": [{"age": 30.0}]}]}`, ""},
		// schedules
		{"schedules: unknown key", SchedulesFile, "schedules:\n  - name: a\n    timezone: UTC\n    periods: [{days: [mon], stop: \"19:00\"}]\n    colour: red\n", "schedules[0].colour: unknown key"},
		{"schedules: none", SchedulesFile, "schedules: []", "must be a non-empty list"},
		{"schedules: bad day", SchedulesFile, "schedules:\n  - name: a\n    timezone: UTC\n    periods: [{days: [monday], stop: \"19:00\"}]\n", `got "monday"`},
		{"schedules: day twice", SchedulesFile, "schedules:\n  - name: a\n    timezone: UTC\n    periods: [{days: [mon, mon], stop: \"19:00\"}]\n", `"mon" is listed twice`},
		{"schedules: clock without its zero", SchedulesFile, "schedules:\n  - name: a\n    timezone: UTC\n    periods: [{days: [mon], stop: \"8:00\"}]\n", "must be a time HH:MM"},
		{"schedules: neither start nor stop", SchedulesFile, "schedules:\n  - name: a\n    timezone: UTC\n    periods: [{days: [mon]}]\n", "must set start, stop or both"},
		{"schedules: Local", SchedulesFile, "schedules:\n  - name: a\n    timezone: Local\n    periods: [{days: [mon], stop: \"19:00\"}]\n", `got "Local"`},
		{"schedules: no timezone", SchedulesFile, "schedules:\n  - name: a\n    periods: [{days: [mon], stop: \"19:00\"}]\n", "timezone: required"},
		{"schedules: enforce not a boolean", SchedulesFile, "schedules:\n  - name: a\n    timezone: UTC\n    enforce: yes\n    periods: [{days: [mon], stop: \"19:00\"}]\n", "must be true or false"},
		{"schedules: overnight", SchedulesFile, "schedules:\n  - name: night.shift\n    timezone: Asia/Tokyo\n    periods: [{days: [sun], start: \"22:00\", stop: \"06:00\"}]\n", ""},
		// backup policies
		{"backup: bad every", BackupPoliciesFile, `"x=every:hour,days:1"`, "every:hour: accepts run, day, week or month"},
		{"backup: negative count", BackupPoliciesFile, `"x=days:-1"`, "days:-1: accepts a whole number"},
		{"backup: count beyond its bound", BackupPoliciesFile, `"x=days:100001"`, "days:100001: accepts a whole number"},
		{"backup: unknown key", BackupPoliciesFile, `"x=keep:3"`, `unknown key "keep"`},
		{"backup: bad region", BackupPoliciesFile, `"dr=last:7,copy:europe"`, "copy:europe: accepts a region name"},
		{"backup: bad name", BackupPoliciesFile, `"Bad=days:3"`, "with a name of lowercase letters"},
		{"backup: no equals", BackupPoliciesFile, `"daily"`, "accepts name=key:value"},
		{"backup: not key:value", BackupPoliciesFile, `"x=days"`, "is not key:value"},
		{"backup: spaces, empty items, signs", BackupPoliciesFile, `" ; a = every : week , weekly:+08 ;; b=days:-0,last:1,tz:Europe/Paris ; "`, ""},
		// api direct payload
		{"api: unknown action", APIDirectFile, `{"action": "ec2.explode"}`, `no action "ec2.explode"`},
		{"api: no action", APIDirectFile, `{"params": {}}`, `"action" is required`},
		{"api: unknown top-level key", APIDirectFile, `{"action": "commands.list", "dryrun2": true}`, `unknown field "dryrun2"`},
		{"api: dryRun not a boolean", APIDirectFile, `{"action": "commands.list", "dryRun": "yes"}`, "a direct invocation is"},
		{"api: unknown parameter", APIDirectFile, `{"action": "commands.list", "params": {"verbose": true}}`, `parameter "verbose" is not a parameter of commands.list`},
		{"api: missing required parameter", APIDirectFile, `{"action": "jobs.start", "params": {}}`, `parameter "job" is required`},
		{"api: no params where one is required", APIDirectFile, `{"action": "jobs.start"}`, `parameter "job" is required`},
		{"api: bad enum value", APIDirectFile, `{"action": "jobs.start", "params": {"job": "dance"}}`, `parameter "job" is invalid`},
		{"api: integer beyond its bound", APIDirectFile, `{"action": "lambda.deploy", "params": {"name": "f", "zipBase64": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==", "memoryMB": 64}}`, `parameter "memoryMB" is invalid`},
		{"api: bad pattern", APIDirectFile, `{"action": "ec2.stop", "params": {"id": "vol-1"}}`, `parameter "id" is invalid`},
		{"api: number as text", APIDirectFile, `{"action": "lambda.deploy", "params": {"name": "f", "zipBase64": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==", "memoryMB": "256"}}`, `parameter "memoryMB" is invalid`},
		{"api: list as a string", APIDirectFile, `{"action": "cloudwatch.deleteAlarms", "params": {"names": "a,b"}}`, `parameter "names" is invalid`},
		{"api: key in another case, nulls", APIDirectFile, `{"Action": "jobs.start", "PARAMS": {"job": "backup", "mode": null}, "dryRun": null, "idempotencyKey": null}`, ""},
	}
	schemas := compiled(t)
	reg, err := catalog.Declared()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			verr := ownValidator(c.schema, []byte(c.doc), reg)
			serr := schemas[c.schema].Validate(instance(t, []byte(c.doc)))
			if c.err == "" {
				if verr != nil || serr != nil {
					t.Fatalf("want both to accept it; validator: %v; schema: %v", verr, serr)
				}
				return
			}
			if verr == nil || !strings.Contains(verr.Error(), c.err) {
				t.Fatalf("validator: %v, want %q", verr, c.err)
			}
			if serr == nil {
				t.Fatalf("the validator refuses it (%v), %s accepts it", verr, c.schema)
			}
		})
	}
}
