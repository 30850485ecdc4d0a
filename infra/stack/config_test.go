package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws-commander/commander/events"
)

func write(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFromContextDefaults(t *testing.T) {
	c, err := FromContext(map[string]any{}, "/repo")
	if err != nil {
		t.Fatalf("FromContext: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"stage", c.Stage, "dev"},
		{"asset dir resolved against the cdk directory", c.AssetDir, "/repo/build"},
		{"backup schedule", c.Backup.Expression, "cron(0 2 * * ? *)"},
		{"cleanup schedule", c.Cleanup.Expression, "cron(0 4 * * ? *)"},
		{"time zone", c.Backup.TimeZone, "UTC"},
		{"log retention", c.LogRetentionDays, 30},
		{"protect tag", c.ProtectTag, "commander:protect"},
		{"namespace per stage", c.MetricsNamespace, "Commander/dev"},
		{"regions: each function's own", len(c.Regions), 0},
		{"cleanup dry-run by default", c.FunctionEnv["cleanup"]["COMMANDER_DRY_RUN"], "true"},
		{"api has no dry-run switch", c.FunctionEnv["api"]["COMMANDER_DRY_RUN"], ""},
		{"stack name", c.StackName(), "commander-dev"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestFromContextValid(t *testing.T) {
	policy := write(t, "p.yaml", "version: 1\npolicies:\n  - name: a\n    resource: ec2:volume\n    action: delete\n    filters: [{state: [available]}, {age: 14d}]\n")
	c, err := FromContext(map[string]any{
		"stage": "prod", "regions": "eu-west-1, us-east-1", "backupRetentionDays": float64(90), "cleanupDryRun": false,
		"scheduleTimeZone": "America/New_York", "cleanupSchedule": "rate(12 hours)", "logRetentionDays": float64(365),
		"cleanupPolicyFile": policy, "settings": map[string]any{"COMMANDER_BREAKER_MAX_COUNT": float64(50)},
	}, "/repo")
	if err != nil {
		t.Fatalf("FromContext: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"regions", strings.Join(c.Regions, ","), "eu-west-1,us-east-1"},
		{"retention env", c.Env["COMMANDER_BACKUP_RETENTION_DAYS"], "90"},
		{"dry-run off", c.FunctionEnv["cleanup"]["COMMANDER_DRY_RUN"], "false"},
		{"rate schedule", c.Cleanup.Expression, "rate(12 hours)"},
		{"time zone on both", c.Cleanup.TimeZone + " " + c.Backup.TimeZone, "America/New_York America/New_York"},
		{"extra setting", c.FunctionEnv["alarm"]["COMMANDER_BREAKER_MAX_COUNT"], "50"},
		{"policy as compact JSON", c.FunctionEnv["cleanup"]["COMMANDER_CLEANUP_POLICY"], `{"policies":[{"action":"delete","filters":[{"state":["available"]},{"age":"14d"}],"name":"a","resource":"ec2:volume"}],"version":1}`},
		{"policy only on cleanup", c.FunctionEnv["backup"]["COMMANDER_CLEANUP_POLICY"], ""},
		{"function names carry the stage", c.FunctionEnv["api"]["COMMANDER_CLEANUP_FUNCTION"], "commander-prod-cleanup"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestFromContextInvalid(t *testing.T) {
	bad := write(t, "bad.yaml", "policies: [unclosed")
	list := write(t, "list.yaml", "- a\n- b\n")
	var many []string // a valid document too large for Lambda's environment
	for i := range 60 {
		many = append(many, fmt.Sprintf(`{"name":"stopped-instances-%02d","resource":"ec2:instance","action":"terminate","filters":[{"state":["stopped"]},{"stoppedFor":"30d"}]}`, i))
	}
	big := write(t, "big.json", `{"version":1,"policies":[`+strings.Join(many, ",")+`]}`)
	cases := []struct {
		name string
		ctx  map[string]any
		want []string // each must appear in the error
	}{
		{"stage", map[string]any{"stage": "Prod!"}, []string{`stage="Prod!" is invalid: accepts 1 to 16 lowercase letters`}},
		{"stage too long", map[string]any{"stage": "averyveryverylongstage"}, []string{`stage="averyveryverylongstage" is invalid`}},
		{"schedule", map[string]any{"backupSchedule": "every day"}, []string{`backupSchedule="every day" is invalid: accepts a Scheduler expression: cron(`}},
		{"rate unit", map[string]any{"cleanupSchedule": "rate(5 weeks)"}, []string{`cleanupSchedule="rate(5 weeks)" is invalid`}},
		{"rate plural for one", map[string]any{"backupSchedule": "rate(1 days)"}, []string{`backupSchedule="rate(1 days)" is invalid: accepts a rate whose unit is singular for 1`}},
		{"rate singular for many", map[string]any{"cleanupSchedule": "rate(3 hour)"}, []string{`cleanupSchedule="rate(3 hour)" is invalid`}},
		{"time zone", map[string]any{"scheduleTimeZone": "Mars/Olympus"}, []string{`scheduleTimeZone="Mars/Olympus" is invalid: accepts an IANA time zone name`}},
		{"regions", map[string]any{"regions": "eu-west-1,moon-1"}, []string{`regions="eu-west-1,moon-1" is invalid: accepts a comma-separated list of AWS region names`, "(sets COMMANDER_REGIONS)"}},
		{"retention", map[string]any{"backupRetentionDays": float64(0)}, []string{`backupRetentionDays="0" is invalid: accepts a whole number from 1 to 36500 (sets COMMANDER_BACKUP_RETENTION_DAYS)`}},
		{"dry-run", map[string]any{"cleanupDryRun": "maybe"}, []string{`cleanupDryRun="maybe" is invalid: accepts true or false (sets COMMANDER_DRY_RUN)`}},
		{"protect tag", map[string]any{"protectTag": "aws:protect"}, []string{`protectTag="aws:protect" is invalid: accepts a tag key not starting with aws:`}},
		{"cpu period", map[string]any{"cpuAlarmPeriodSeconds": float64(45)}, []string{`cpuAlarmPeriodSeconds="45" is invalid: accepts 10, 30 or a multiple of 60`}},
		{"cpu threshold", map[string]any{"cpuAlarmThreshold": float64(150)}, []string{`cpuAlarmThreshold="150" is invalid: accepts a number from 0 to 100`}},
		{"cooldown", map[string]any{"alarmCooldown": "forever"}, []string{`alarmCooldown="forever" is invalid: accepts a duration`}},
		{"grace", map[string]any{"cleanupGrace": "-1d"}, []string{`cleanupGrace="-1d" is invalid`}},
		{"log retention", map[string]any{"logRetentionDays": float64(31)}, []string{`logRetentionDays="31" is invalid: accepts one of CloudWatch Logs' retention periods in days: 1, 3, 5, 7, 14, 30`}},
		{"log level", map[string]any{"logLevel": "LOUD"}, []string{`logLevel="LOUD" is invalid: accepts one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL`}},
		{"event bus", map[string]any{"eventBus": "bad bus!"}, []string{`eventBus="bad bus!" is invalid: accepts an EventBridge bus name or ARN (sets COMMANDER_EVENT_BUS)`}},
		{"namespace", map[string]any{"metricsNamespace": "AWS/Lambda"}, []string{`metricsNamespace="AWS/Lambda" is invalid: accepts a custom namespace`}},
		{"throttle", map[string]any{"apiThrottleRateLimit": float64(-1)}, []string{`apiThrottleRateLimit="-1" is invalid: accepts a number from 1 to 10000`}},
		{"burst", map[string]any{"apiThrottleBurstLimit": "lots"}, []string{`apiThrottleBurstLimit="lots" is invalid: accepts a whole number`}},
		{"topic", map[string]any{"opsAlarmTopicArn": "ops"}, []string{`opsAlarmTopicArn="ops" is invalid: accepts an SNS topic ARN`}},
		{"asset dir", map[string]any{"assetDir": ""}, []string{`assetDir="" is invalid: accepts a directory holding <function>/bootstrap`}},
		{"typo in a key", map[string]any{"backupShedule": "rate(1 day)"}, []string{`backupShedule="rate(1 day)" is invalid: accepts a known context key: alarmActions, alarmCooldown`}},
		{"not a scalar", map[string]any{"regions": []any{"eu-west-1"}}, []string{`regions="[eu-west-1]" is invalid: accepts a string, number or boolean`}},
		{"settings not an object", map[string]any{"settings": "x"}, []string{`settings="x" is invalid: accepts an object of COMMANDER_* variable names`}},
		{"settings foreign variable", map[string]any{"settings": map[string]any{"PATH": "/bin"}}, []string{`settings.PATH="/bin" is invalid: accepts only COMMANDER_* variable names`}},
		{"settings bad value", map[string]any{"settings": map[string]any{"COMMANDER_CONCURRENCY": float64(0)}}, []string{`settings.COMMANDER_CONCURRENCY="0" is invalid: accepts a whole number from 1 to 64 (sets COMMANDER_CONCURRENCY)`}},
		{"settings owned by the stack", map[string]any{"settings": map[string]any{"COMMANDER_DRY_RUN": "false"}}, []string{`settings.COMMANDER_DRY_RUN="false" is invalid: accepts a variable the stack does not set itself`}},
		{"settings cannot replace the role boundary", map[string]any{"settings": map[string]any{"COMMANDER_ROLE_BOUNDARY_ARN": "arn:aws:iam::123456789012:policy/open"}},
			[]string{`settings.COMMANDER_ROLE_BOUNDARY_ARN="arn:aws:iam::123456789012:policy/open" is invalid: accepts a variable the stack does not set itself`}},
		{"policy file missing", map[string]any{"cleanupPolicyFile": "/nonexistent/p.yaml"}, []string{`cleanupPolicyFile="/nonexistent/p.yaml" is invalid: accepts the path of a cleanup policy document`, "cannot read it"}},
		{"policy not YAML", map[string]any{"cleanupPolicyFile": bad}, []string{`cleanupPolicyFile="` + bad + `" is invalid`, "not valid YAML or JSON"}},
		{"policy not an object", map[string]any{"cleanupPolicyFile": list}, []string{"the document must be an object"}},
		{"policy too big", map[string]any{"cleanupPolicyFile": big}, []string{"small enough for the cleanup function's environment", "Lambda allows 4096 in total"}},
		{"every bad key at once", map[string]any{"stage": "X", "logLevel": "LOUD", "regions": "nowhere"}, []string{`stage="X"`, `logLevel="LOUD"`, `regions="nowhere"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := FromContext(c.ctx, t.TempDir())
			if err == nil {
				t.Fatal("FromContext accepted it")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if !strings.HasPrefix(err.Error(), "invalid CDK context") {
				t.Errorf("error does not say where the value comes from: %v", err)
			}
		})
	}
}

// A function's own variables are checked at synth by the loader the
// function runs at start; a bad value is reported by context key.
func TestFunctionEnvIsValidatedAtSynth(t *testing.T) {
	c, err := FromContext(map[string]any{"alarmActions": "prod-=stop", "scheduleTimeZone": "Asia/Tokyo"}, "/")
	if err != nil {
		t.Fatalf("valid: %v", err)
	}
	if got := c.FunctionEnv["alarm"]["COMMANDER_ALARM_ACTIONS"]; got != "prod-=stop" {
		t.Errorf("alarm actions = %q", got)
	}
	if got := c.FunctionEnv["backup"]["COMMANDER_BACKUP_TIME_ZONE"]; got != "Asia/Tokyo" {
		t.Errorf("backup time zone = %q", got)
	}
	if _, ok := c.FunctionEnv["api"]["COMMANDER_ALARM_ACTIONS"]; ok {
		t.Error("alarm actions leaked to the api function")
	}
	_, err = FromContext(map[string]any{"alarmActions": "stop everything"}, "/")
	for _, want := range []string{`alarmActions="stop everything" is invalid`, "COMMANDER_ALARM_ACTIONS"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

// The cleanup policy document is checked at synth by the cleanup parser,
// whose message names the path in the document.
func TestCleanupPolicyIsValidatedAtSynth(t *testing.T) {
	p := write(t, "p.json", `{"version":1,"policies":[{"name":"x","resource":"ec2:nothing","action":"delete","filters":[{"age":"1d"}]}]}`)
	_, err := FromContext(map[string]any{"cleanupPolicyFile": p}, "/")
	if err == nil || !strings.Contains(err.Error(), "policies[0].resource") {
		t.Errorf("err = %v, want the parser's message with the path", err)
	}
}

func TestCheckAssets(t *testing.T) {
	dir := t.TempDir()
	c, err := FromContext(map[string]any{"assetDir": dir}, "/")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckAssets(); err == nil || !strings.Contains(err.Error(), "lacks api/bootstrap, backup/bootstrap, cleanup/bootstrap, alarm/bootstrap, scheduler/bootstrap: run `make build` first") {
		t.Errorf("missing binaries: err = %v", err)
	}
	for _, fn := range events.Functions {
		os.MkdirAll(filepath.Join(dir, fn), 0o755)
		os.WriteFile(filepath.Join(dir, fn, "bootstrap"), []byte("x"), 0o755)
	}
	if err := c.CheckAssets(); err != nil {
		t.Errorf("with binaries: %v", err)
	}
}

// The schedules document is checked at synth by the scheduler's parser and
// reaches only the scheduler, as compact JSON; its breaker is its own.
func TestSchedulesAreValidatedAtSynth(t *testing.T) {
	bad := write(t, "s.yaml", "schedules:\n  - name: nights\n    timezone: Mars/Olympus\n    periods: [{days: [mon], stop: \"19:00\"}]\n")
	_, err := FromContext(map[string]any{"schedulesFile": bad}, "/")
	for _, want := range []string{`schedulesFile="` + bad + `" is invalid`, "schedules[0].timezone"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	good := write(t, "s.yaml", "schedules:\n  - name: nights\n    timezone: UTC\n    periods: [{days: [mon, tue], stop: \"19:00\"}]\n")
	c, err := FromContext(map[string]any{"schedulesFile": good, "schedulerMaxActions": float64(500)}, "/")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.FunctionEnv["scheduler"]["COMMANDER_SCHEDULES"]; !strings.Contains(got, `"name":"nights"`) {
		t.Errorf("scheduler's COMMANDER_SCHEDULES = %q", got)
	}
	if got := c.FunctionEnv["scheduler"]["COMMANDER_BREAKER_MAX_COUNT"]; got != "500" {
		t.Errorf("scheduler's breaker = %q, want 500", got)
	}
	if _, ok := c.FunctionEnv["cleanup"]["COMMANDER_SCHEDULES"]; ok || c.FunctionEnv["cleanup"]["COMMANDER_BREAKER_MAX_COUNT"] == "500" {
		t.Error("the schedules or the scheduler's breaker leaked to cleanup")
	}
	if c.Scheduler.Expression != "rate(5 minutes)" || c.FunctionEnv["api"]["COMMANDER_SCHEDULER_FUNCTION"] != c.FunctionName("scheduler") {
		t.Errorf("scheduler schedule %q, api's function %q", c.Scheduler.Expression, c.FunctionEnv["api"]["COMMANDER_SCHEDULER_FUNCTION"])
	}
}
