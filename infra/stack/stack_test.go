package stack_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/infra/stack"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// CDK synth through jsii takes seconds, so each test binary synthesizes once:
// one app with two stages side by side, shared by every test.
var (
	stacks    = map[string]*stack.Stack{}              // by stage
	templates = map[string]assertions.Template{}       // by stage
	resources = map[string]map[string]map[string]any{} // stage -> logical id -> resource
	outputs   = map[string]map[string]any{}            // stage -> output name -> output
)

const (
	opsTopic = "arn:aws:sns:eu-west-1:123456789012:ops"
)

// contexts are the two stages the tests deploy together.
func contexts(assets, policy string) map[string]map[string]any {
	return map[string]map[string]any{
		"dev": {"stage": "dev", "assetDir": assets, "regions": "eu-west-1,us-east-1", "opsAlarmTopicArn": opsTopic,
			"cleanupPolicyFile": policy, "scheduleTimeZone": "Europe/Paris", "backupSchedule": "cron(30 1 * * ? *)", "logRetentionDays": 14},
		"prod": {"stage": "prod", "assetDir": assets, "cleanupDryRun": false},
	}
}

func TestMain(m *testing.M) {
	code, err := synth(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		code = 1
	}
	os.Exit(code)
}

func synth(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "commander-infra-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	assets := filepath.Join(dir, "build")
	for _, fn := range events.Functions {
		// Placeholder binaries: the stack only zips them.
		if err := os.MkdirAll(filepath.Join(assets, fn), 0o755); err != nil {
			return 1, err
		}
		if err := os.WriteFile(filepath.Join(assets, fn, "bootstrap"), []byte("placeholder "+fn), 0o755); err != nil {
			return 1, err
		}
	}
	policy := filepath.Join(dir, "cleanup.yaml")
	if err := os.WriteFile(policy, []byte("version: 1\npolicies:\n  - name: old\n    resource: ec2:instance\n    action: terminate\n    filters:\n      - state: [stopped]\n      - stoppedFor: 30d\n"), 0o644); err != nil {
		return 1, err
	}

	// Synthesize with cdk.json's feature flags, as a deployment does.
	b, err := os.ReadFile(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		return 1, err
	}
	var cdkJSON struct{ Context map[string]any }
	if err := json.Unmarshal(b, &cdkJSON); err != nil {
		return 1, err
	}
	flags := stack.FeatureFlags(cdkJSON.Context)

	defer jsii.Close()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(dir, "cdk.out")), Context: &flags})
	for stage, ctx := range contexts(assets, policy) {
		cfg, err := stack.FromContext(ctx, dir)
		if err != nil {
			return 1, err
		}
		stacks[stage] = stack.New(app, cfg)
	}
	stack.AddChecks(app)
	for stage, st := range stacks {
		templates[stage] = assertions.Template_FromStack(st.Stack, nil)
		raw := *templates[stage].ToJSON()
		b, err := json.Marshal(raw)
		if err != nil {
			return 1, err
		}
		var t struct {
			Resources map[string]map[string]any
			Outputs   map[string]any
		}
		if err := json.Unmarshal(b, &t); err != nil {
			return 1, err
		}
		resources[stage], outputs[stage] = t.Resources, t.Outputs
	}
	return m.Run(), nil
}

// ofType returns the resources of one CloudFormation type in stage, by logical id.
func ofType(stage, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range resources[stage] {
		if r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

func has(t *testing.T, stage, typ string, want map[string]any) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s %s: %v", stage, typ, r)
		}
	}()
	templates[stage].HasResourceProperties(jsii.String(typ), assertions.Match_ObjectLike(&want))
}

func ref(id string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, "Arn"}} }

func idOf(stage, typ, prefix string) string {
	// A construct's own id first (the id and CDK's 8-digit hash), so that
	// SchedulerRole is not CDK's SchedulerRoleForTarget...
	own := regexp.MustCompile("^" + regexp.QuoteMeta(prefix) + "[0-9A-F]{8}$")
	found := ""
	for id := range ofType(stage, typ) {
		if own.MatchString(id) {
			return id
		}
		if strings.HasPrefix(id, prefix) {
			found = id
		}
	}
	return found
}

func TestFunctions(t *testing.T) {
	dlq := idOf("dev", "AWS::SQS::Queue", "DeadLetterQueue")
	for _, spec := range stack.Specs {
		t.Run(spec.Name, func(t *testing.T) {
			logs := idOf("dev", "AWS::Logs::LogGroup", strings.ToUpper(spec.Name[:1])+spec.Name[1:]+"Logs")
			has(t, "dev", "AWS::Lambda::Function", map[string]any{
				"FunctionName":  "commander-dev-" + spec.Name,
				"Runtime":       "provided.al2023",
				"Architectures": []any{"arm64"},
				"Handler":       "bootstrap",
				"MemorySize":    spec.MemoryMB,
				"Timeout":       spec.TimeoutSec,
				"TracingConfig": map[string]any{"Mode": "Active"},
				"LoggingConfig": map[string]any{"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "WARN", "LogGroup": map[string]any{"Ref": logs}},
				"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
					"COMMANDER_PROTECT_TAG": "commander:protect",
					"COMMANDER_REGIONS":     "eu-west-1,us-east-1",
				})},
			})
			has(t, "dev", "AWS::Logs::LogGroup", map[string]any{"LogGroupName": "/commander/dev/" + spec.Name, "RetentionInDays": 14})
			has(t, "dev", "AWS::Lambda::EventInvokeConfig", map[string]any{
				"FunctionName":             map[string]any{"Ref": idOf("dev", "AWS::Lambda::Function", strings.ToUpper(spec.Name[:1])+spec.Name[1:]+"Function")},
				"MaximumRetryAttempts":     spec.Retries,
				"MaximumEventAgeInSeconds": spec.MaxAgeSec,
				"DestinationConfig":        map[string]any{"OnFailure": map[string]any{"Destination": ref(dlq)}},
			})
		})
	}
}

func TestFunctionEnvironment(t *testing.T) {
	env := func(stage, fn string) map[string]any {
		for _, r := range ofType(stage, "AWS::Lambda::Function") {
			p := props(r)
			if p["FunctionName"] == "commander-"+stage+"-"+fn {
				return p["Environment"].(map[string]any)["Variables"].(map[string]any)
			}
		}
		t.Fatalf("no %s function in %s", fn, stage)
		return nil
	}
	cases := []struct {
		name, stage, fn, key string
		want                 any // nil: must be absent
	}{
		{"cleanup is dry-run by default", "dev", "cleanup", "COMMANDER_DRY_RUN", "true"},
		{"prod opted out of cleanup dry-run", "prod", "cleanup", "COMMANDER_DRY_RUN", "false"},
		{"backup dry-run from context", "dev", "backup", "COMMANDER_DRY_RUN", "false"},
		{"api takes dry-run per request", "dev", "api", "COMMANDER_DRY_RUN", nil},
		{"api knows the backup function", "dev", "api", "COMMANDER_BACKUP_FUNCTION", "commander-dev-backup"},
		{"api knows the cleanup function", "prod", "api", "COMMANDER_CLEANUP_FUNCTION", "commander-prod-cleanup"},
		{"cleanup policy as JSON", "dev", "cleanup", "COMMANDER_CLEANUP_POLICY", `{"policies":[{"action":"terminate","filters":[{"state":["stopped"]},{"stoppedFor":"30d"}],"name":"old","resource":"ec2:instance"}],"version":1}`},
		{"no policy file: the function's default", "prod", "cleanup", "COMMANDER_CLEANUP_POLICY", nil},
		{"metrics namespace per stage", "prod", "alarm", "COMMANDER_METRICS_NAMESPACE", "Commander/prod"},
		{"retention", "dev", "backup", "COMMANDER_BACKUP_RETENTION_DAYS", "30"},
		{"cpu alarm threshold", "dev", "api", "COMMANDER_CPU_ALARM_THRESHOLD", "70"},
		{"regions unset: the function's own", "prod", "backup", "COMMANDER_REGIONS", nil},
		{"no simulated time in a deployment", "dev", "alarm", "COMMANDER_ALLOW_SIMULATED_TIME", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := env(c.stage, c.fn)[c.key]
			if c.want == nil {
				if ok {
					t.Errorf("%s = %v, want unset", c.key, got)
				}
				return
			}
			if got != c.want {
				t.Errorf("%s = %v, want %v", c.key, got, c.want)
			}
		})
	}
}

func TestSchedules(t *testing.T) {
	dlq := idOf("dev", "AWS::SQS::Queue", "DeadLetterQueue")
	cases := []struct{ stage, name, expr, tz, fn string }{
		{"dev", "commander-dev-backup-daily", "cron(30 1 * * ? *)", "Europe/Paris", "BackupFunction"},
		{"dev", "commander-dev-cleanup-daily", events.Cleanup.Expression, "Europe/Paris", "CleanupFunction"},
		{"prod", "commander-prod-backup-daily", events.Backup.Expression, events.Backup.TimeZone, "BackupFunction"},
		// Every 5 minutes, in UTC whatever the stage's zone: the schedules carry their own.
		{"dev", "commander-dev-scheduler-office-hours", events.Scheduler.Expression, "UTC", "SchedulerFunction"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := map[string]any{
				"Arn":         ref(idOf(c.stage, "AWS::Lambda::Function", c.fn)),
				"RetryPolicy": map[string]any{"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
				"Input":       assertions.Match_AnyValue(),
			}
			if c.stage == "dev" {
				target["DeadLetterConfig"] = map[string]any{"Arn": ref(dlq)}
			}
			has(t, c.stage, "AWS::Scheduler::Schedule", map[string]any{
				"Name": c.name, "GroupName": "commander-" + c.stage, "State": "ENABLED",
				"ScheduleExpression": c.expr, "ScheduleExpressionTimezone": c.tz,
				"Target": target,
			})
		})
	}
	// The input is a Scheduled Event envelope keyed on the schedule and scheduled time.
	for _, r := range ofType("dev", "AWS::Scheduler::Schedule") {
		b, _ := json.Marshal(props(r)["Target"].(map[string]any)["Input"])
		b = []byte(strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(string(b)))
		for _, want := range []string{`\"source\":\"aws.scheduler\"`, `\"detail-type\":\"Scheduled Event\"`, `<aws.scheduler.scheduled-time>`, `<aws.scheduler.schedule-arn>`, `<aws.scheduler.execution-id>`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("schedule input lacks %s: %s", want, b)
			}
		}
	}
}

func TestAlarmRule(t *testing.T) {
	var pattern map[string]any
	b, _ := json.Marshal(events.AlarmStateChange)
	if err := json.Unmarshal(b, &pattern); err != nil {
		t.Fatal(err)
	}
	has(t, "dev", "AWS::Events::Rule", map[string]any{
		"Name":         "commander-dev-alarm-state-change",
		"EventPattern": assertions.Match_ObjectEquals(&pattern),
		"State":        "ENABLED",
		"Targets": []any{map[string]any{
			"Arn":              ref(idOf("dev", "AWS::Lambda::Function", "AlarmFunction")),
			"DeadLetterConfig": map[string]any{"Arn": ref(idOf("dev", "AWS::SQS::Queue", "DeadLetterQueue"))},
			"RetryPolicy":      map[string]any{"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 900},
		}},
	})
	if pattern["source"].([]any)[0] != "aws.cloudwatch" || pattern["detail-type"].([]any)[0] != "CloudWatch Alarm State Change" {
		t.Errorf("pattern from events/ = %v", pattern)
	}
}

func TestHTTPAPI(t *testing.T) {
	// One route per command, exactly the registry's, each IAM-authorized and
	// on the integration: no catch-all that would grant every command at once.
	want, err := stack.CommandRoutes()
	if err != nil {
		t.Fatal(err)
	}
	var wantKeys, gotKeys []string
	for _, r := range want {
		wantKeys = append(wantKeys, r.Method+" "+r.Path)
	}
	integration := idOf("dev", "AWS::ApiGatewayV2::Integration", "HttpApi")
	for id, r := range ofType("dev", "AWS::ApiGatewayV2::Route") {
		p := props(r)
		key := fmt.Sprint(p["RouteKey"])
		gotKeys = append(gotKeys, key)
		if p["AuthorizationType"] != "AWS_IAM" {
			t.Errorf("route %s (%s): AuthorizationType = %v, want AWS_IAM", id, key, p["AuthorizationType"])
		}
		if got := fmt.Sprint(p["Target"]); !strings.Contains(got, integration) {
			t.Errorf("route %s: target %s, want the integration %s", key, got, integration)
		}
	}
	slices.Sort(wantKeys)
	slices.Sort(gotKeys)
	if !slices.Equal(gotKeys, wantKeys) {
		t.Errorf("routes = %v\nwant one per command: %v", gotKeys, wantKeys)
	}
	if slices.Contains(gotKeys, "$default") || len(gotKeys) < 30 {
		t.Errorf("a catch-all route, or too few routes: %v", gotKeys)
	}
	has(t, "dev", "AWS::ApiGatewayV2::Integration", map[string]any{
		"IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0",
		// The alias, not the function: only this invocation is trusted as an HTTP request.
		"IntegrationUri": map[string]any{"Ref": idOf("dev", "AWS::Lambda::Alias", "ApiIntegrationAlias")},
	})
	has(t, "dev", "AWS::Lambda::Alias", map[string]any{"Name": "http", "FunctionName": map[string]any{"Ref": idOf("dev", "AWS::Lambda::Function", "ApiFunction")}})
	has(t, "dev", "AWS::Lambda::Permission", map[string]any{"Principal": "apigateway.amazonaws.com", "FunctionName": map[string]any{"Ref": idOf("dev", "AWS::Lambda::Alias", "ApiIntegrationAlias")}})
	has(t, "dev", "AWS::ApiGatewayV2::Api", map[string]any{"Name": "commander-dev-api", "ProtocolType": "HTTP"})
	has(t, "dev", "AWS::ApiGatewayV2::Stage", map[string]any{
		"StageName": "$default", "AutoDeploy": true,
		"DefaultRouteSettings": map[string]any{"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 20},
		"AccessLogSettings": map[string]any{
			"DestinationArn": ref(idOf("dev", "AWS::Logs::LogGroup", "ApiAccessLogs")),
			"Format":         assertions.Match_StringLikeRegexp(jsii.String(`\$context.identity.userArn`)),
		},
	})
	has(t, "dev", "AWS::Logs::LogGroup", map[string]any{"LogGroupName": "/commander/dev/api-access", "RetentionInDays": 14})
}

func TestDeadLetterQueue(t *testing.T) {
	has(t, "dev", "AWS::SQS::Queue", map[string]any{"QueueName": "commander-dev-dlq", "SqsManagedSseEnabled": true, "MessageRetentionPeriod": 1209600})
	has(t, "dev", "AWS::SQS::QueuePolicy", map[string]any{"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
		assertions.Match_ObjectLike(&map[string]any{"Effect": "Deny", "Action": "sqs:*", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}}),
	})}})
}

func TestObservability(t *testing.T) {
	for _, name := range []string{"api-errors", "backup-errors", "cleanup-errors", "alarm-errors", "dlq-depth"} {
		t.Run(name, func(t *testing.T) {
			has(t, "dev", "AWS::CloudWatch::Alarm", map[string]any{
				"AlarmName": "commander-dev-" + name, "Threshold": 1, "EvaluationPeriods": 1,
				"ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
				"AlarmActions": []any{opsTopic},
			})
			has(t, "prod", "AWS::CloudWatch::Alarm", map[string]any{"AlarmName": "commander-prod-" + name, "AlarmActions": assertions.Match_Absent()})
		})
	}
	dash := ofType("dev", "AWS::CloudWatch::Dashboard")
	if len(dash) != 1 {
		t.Fatalf("dashboards = %d, want 1", len(dash))
	}
	for _, d := range dash {
		if props(d)["DashboardName"] != "commander-dev" {
			t.Errorf("dashboard name = %v", props(d)["DashboardName"])
		}
		body, _ := json.Marshal(props(d)["DashboardBody"])
		for _, want := range []string{"Commander/dev", "APICalls", "Invocations", "Errors", "Throttles", "Duration", "ApproximateNumberOfMessagesVisible", "Actions by kind: backup", "Estimated monthly savings (USD) per job", "EstimatedMonthlySavings"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("dashboard lacks %q", want)
			}
		}
	}
}

func TestOutputs(t *testing.T) {
	for _, name := range []string{"ApiUrl", "ApiFunctionName", "BackupFunctionName", "CleanupFunctionName", "AlarmFunctionName", "DeadLetterQueueUrl"} {
		if _, ok := outputs["dev"][name]; !ok {
			t.Errorf("output %s missing", name)
		}
	}
}

// nameProps are the properties that name a resource in the account.
var nameProps = []string{"FunctionName", "QueueName", "LogGroupName", "Name", "GroupName", "AlarmName", "DashboardName"}

func TestStagesSideBySide(t *testing.T) {
	seen := map[string]string{}
	for stage := range resources {
		if got := *stacks[stage].StackName(); got != "commander-"+stage {
			t.Errorf("stack name = %s", got)
		}
		for id, r := range resources[stage] {
			for _, p := range nameProps {
				name, ok := props(r)[p].(string)
				if !ok || r["Type"] == "AWS::Lambda::Alias" { // an alias is named within its function, which carries the stage
					continue
				}
				if !strings.Contains(name, stage) {
					t.Errorf("%s %s.%s = %q does not carry the stage", stage, id, p, name)
				}
				key := fmt.Sprint(r["Type"], " ", name)
				if other, dup := seen[key]; dup && other != stage+"/"+id && p != "GroupName" {
					t.Errorf("%s collides: %s and %s/%s", key, other, stage, id)
				}
				seen[key] = stage + "/" + id
			}
			if tags, ok := props(r)["Tags"].([]any); ok && !slices.ContainsFunc(tags, func(x any) bool {
				m, _ := x.(map[string]any)
				return m["Key"] == "commander:stage" && m["Value"] == stage
			}) {
				t.Errorf("%s %s: tags lack commander:stage=%s", stage, id, stage)
			}
		}
	}
}

// The stack's own resources carry the protection tag, so no job or command of
// this system can destroy the system.
func TestOwnResourcesProtected(t *testing.T) {
	for _, typ := range []string{"AWS::Lambda::Function", "AWS::IAM::Role", "AWS::CloudWatch::Alarm", "AWS::SQS::Queue"} {
		for id, r := range ofType("dev", typ) {
			tags, _ := props(r)["Tags"].([]any)
			if !slices.ContainsFunc(tags, func(x any) bool {
				m, _ := x.(map[string]any)
				return m["Key"] == "commander:protect" && m["Value"] == "true"
			}) {
				t.Errorf("%s %s is not tagged commander:protect=true", typ, id)
			}
		}
	}
}

func TestNoWildcardActions(t *testing.T) {
	for stage := range resources {
		boundary, _ := boundaryOf(t, stage)
		for id, r := range resources[stage] {
			if id == boundary { // a permissions boundary grants nothing: TestRoleBoundaryDenies
				continue
			}
			for _, s := range statementsOf(r) {
				for _, a := range s.actions {
					if strings.Contains(a, "*") && s.effect != "Deny" {
						t.Errorf("%s %s allows %q", stage, id, a)
					}
				}
			}
		}
	}
}

// Every EMF graph reads metrics some function emits: its dimensions, metric
// names and Job values come from the one vocabulary (report.WriteMetrics),
// so a renamed metric fails here rather than leaving a graph empty.
func TestDashboardReadsEmittedMetrics(t *testing.T) {
	search := regexp.MustCompile(`SEARCH\('\{([^}]*)\}([^']*)'`)
	metricNames := regexp.MustCompile(`MetricName=\(?([^)]*?)\)?(?:\s|$)`)
	quoted := regexp.MustCompile(`"([^"]+)"`)
	jobs := regexp.MustCompile(report.DimJob + `="([^"]+)"`)
	for _, d := range ofType("dev", "AWS::CloudWatch::Dashboard") {
		// The body is dashboard JSON text, joined with tokens (the region).
		var text strings.Builder
		switch b := props(d)["DashboardBody"].(type) {
		case string:
			text.WriteString(b)
		case map[string]any:
			for _, part := range b["Fn::Join"].([]any)[1].([]any) {
				if s, ok := part.(string); ok {
					text.WriteString(s)
				} else {
					text.WriteString("TOKEN")
				}
			}
		}
		body := strings.ReplaceAll(text.String(), `\"`, `"`)
		found := search.FindAllStringSubmatch(body, -1)
		if len(found) < 5 {
			t.Fatalf("%d SEARCH expressions in the dashboard: the pattern no longer matches it", len(found))
		}
		for _, m := range found {
			dims, filter := strings.Split(m[1], ","), m[2]
			if got := dims[1:]; !slices.Equal(got, []string{report.DimJob}) && !slices.Equal(got, []string{report.DimJob, report.DimAction}) {
				t.Errorf("%s: dimensions %v are not a dimension set any function writes", m[0], got)
			}
			names := metricNames.FindStringSubmatch(filter)
			if names == nil {
				t.Errorf("%s: names no metric", m[0])
				continue
			}
			for _, q := range quoted.FindAllStringSubmatch(names[1], -1) {
				if !slices.Contains(report.Vocabulary, q[1]) {
					t.Errorf("%s: metric %q is emitted by no function (report.Vocabulary)", m[0], q[1])
				}
			}
			for _, j := range jobs.FindAllStringSubmatch(filter, -1) {
				if !slices.Contains(events.Functions, j[1]) {
					t.Errorf("%s: job %q is no function", m[0], j[1])
				}
			}
		}
	}
}
