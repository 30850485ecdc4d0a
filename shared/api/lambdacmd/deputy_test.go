package lambdacmd

import (
	archivezip "archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

// oneFunction is Lambda holding one function with tags; every call that
// would change something is recorded and fails the case that refuses.
type oneFunction struct {
	API
	tags    map[string]string
	changes *[]string
}

func (f oneFunction) GetFunction(_ context.Context, in *lambda.GetFunctionInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	return &lambda.GetFunctionOutput{Tags: f.tags, Configuration: &types.FunctionConfiguration{FunctionName: in.FunctionName,
		FunctionArn: aws.String("arn:aws:lambda:eu-west-1:123456789012:function:" + aws.ToString(in.FunctionName))}}, nil
}

func (f oneFunction) UpdateFunctionCode(context.Context, *lambda.UpdateFunctionCodeInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error) {
	*f.changes = append(*f.changes, "UpdateFunctionCode")
	return &lambda.UpdateFunctionCodeOutput{}, nil
}

func (f oneFunction) UpdateFunctionConfiguration(context.Context, *lambda.UpdateFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error) {
	*f.changes = append(*f.changes, "UpdateFunctionConfiguration")
	return &lambda.UpdateFunctionConfigurationOutput{}, nil
}

func (f oneFunction) DeleteFunction(context.Context, *lambda.DeleteFunctionInput, ...func(*lambda.Options)) (*lambda.DeleteFunctionOutput, error) {
	*f.changes = append(*f.changes, "DeleteFunction")
	return &lambda.DeleteFunctionOutput{}, nil
}

func (f oneFunction) AddPermission(context.Context, *lambda.AddPermissionInput, ...func(*lambda.Options)) (*lambda.AddPermissionOutput, error) {
	*f.changes = append(*f.changes, "AddPermission")
	return nil, errors.New("stop here")
}

func (f oneFunction) CreateFunction(context.Context, *lambda.CreateFunctionInput, ...func(*lambda.Options)) (*lambda.CreateFunctionOutput, error) {
	*f.changes = append(*f.changes, "CreateFunction")
	return nil, errors.New("stop here")
}

// noEvents is EventBridge with nothing on it; a rule write is a change.
type noEvents struct {
	EventsAPI
	changes *[]string
}

func (noEvents) DescribeRule(context.Context, *eventbridge.DescribeRuleInput, ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "no rule"}
}

func (e noEvents) PutRule(context.Context, *eventbridge.PutRuleInput, ...func(*eventbridge.Options)) (*eventbridge.PutRuleOutput, error) {
	*e.changes = append(*e.changes, "PutRule")
	return nil, errors.New("stop here")
}

const stage = "commander-prod-"

var bounds = deputy.Bounds{RolePath: "/commander/prod/", StagePrefix: stage,
	PassableRoles:      []string{"arn:aws:iam::123456789012:role/team/listed"},
	AttachablePolicies: []string{BasicExecutionPolicy}}

var zip = base64.StdEncoding.EncodeToString([]byte("PK\x03\x04rest"))

func managed(extra map[string]string) map[string]string {
	m := map[string]string{tags.ManagedBy: tags.ManagedByValue}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// Every command that changes or wires a function refuses, before any
// change, a function commander did not deploy, one of the stack's, and
// (where it rewrites or deletes) a protected one.
func TestFunctionsOutOfBounds(t *testing.T) {
	foreign := map[string]string{"team": "payments"}
	stack := map[string]string{"commander:stage": "prod", tags.Protect: "true"}
	cases := []struct {
		name   string
		action string
		params api.Params
		tags   map[string]string
		status int    // 0: allowed
		field  string // the parameter named
		want   string // part of the message
	}{
		{"updateCode on another team's function", "lambda.updateCode", api.Params{"name": "payments", "zipBase64": zip}, foreign, 403, "name", "not deployed by commander"},
		{"updateConfig on another team's function", "lambda.updateConfig", api.Params{"name": "payments", "memoryMB": int64(256)}, foreign, 403, "name", "not deployed by commander"},
		{"delete another team's function", "lambda.delete", api.Params{"name": "payments"}, foreign, 403, "name", "not deployed by commander"},
		{"attachRule to another team's function", "lambda.attachRule", api.Params{"name": "payments", "rule": "r", "schedule": "rate(5 minutes)"}, foreign, 403, "name", "not deployed by commander"},
		{"detachRule from another team's function", "lambda.detachRule", api.Params{"name": "payments", "rule": "r"}, foreign, 403, "name", "not deployed by commander"},
		{"updateCode on the stack's api by name", "lambda.updateCode", api.Params{"name": stage + "api", "zipBase64": zip}, managed(nil), 403, "name", "the stack's own"},
		{"updateCode on a function tagged with the stage", "lambda.updateCode", api.Params{"name": "other", "zipBase64": zip}, managed(stack), 403, "name", "commander:stage"},
		{"attachRule to the stack's function", "lambda.attachRule", api.Params{"name": "other", "rule": "r", "schedule": "rate(5 minutes)"}, managed(stack), 403, "name", "commander:stage"},
		{"updateCode on a protected function (other case)", "lambda.updateCode", api.Params{"name": "fn", "zipBase64": zip}, managed(map[string]string{"Commander:Protect": "true"}), 409, "", "protect"},
		{"updateConfig on a protected function (empty value)", "lambda.updateConfig", api.Params{"name": "fn", "memoryMB": int64(256)}, managed(map[string]string{tags.Protect: ""}), 409, "", "protect"},
		{"delete a protected function", "lambda.delete", api.Params{"name": "fn"}, managed(map[string]string{tags.Protect: "yes"}), 409, "", "protect"},
		{"updateConfig AWS_LAMBDA_EXEC_WRAPPER", "lambda.updateConfig", api.Params{"name": "fn", "environment": map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/tmp/x"}}, managed(nil), 400, "environment", "AWS_LAMBDA_EXEC_WRAPPER"},
		{"updateConfig LD_PRELOAD", "lambda.updateConfig", api.Params{"name": "fn", "environment": map[string]string{"A": "1", "LD_PRELOAD": "/tmp/x.so"}}, managed(nil), 400, "environment", "LD_PRELOAD"},
		{"updateConfig NODE_OPTIONS", "lambda.updateConfig", api.Params{"name": "fn", "environment": map[string]string{"NODE_OPTIONS": "--require /tmp/x"}}, managed(nil), 400, "environment", "NODE_OPTIONS"},
		{"updateConfig a role the api may not pass", "lambda.updateConfig", api.Params{"name": "fn", "role": "arn:aws:iam::123456789012:role/admin"}, managed(nil), 403, "role", "role/admin"},
		{"updateConfig on its own function", "lambda.updateConfig", api.Params{"name": "fn", "memoryMB": int64(256), "environment": map[string]string{"STAGE": "prod"}}, managed(nil), 0, "", ""},
		{"updateConfig with its own role", "lambda.updateConfig", api.Params{"name": "fn", "role": "arn:aws:iam::123456789012:role/commander/prod/fn-role"}, managed(nil), 0, "", ""},
		{"updateConfig with a listed role", "lambda.updateConfig", api.Params{"name": "fn", "role": "arn:aws:iam::123456789012:role/team/listed"}, managed(nil), 0, "", ""},
		{"updateCode on its own function, protection written off", "lambda.updateCode", api.Params{"name": "fn", "zipBase64": zip}, managed(map[string]string{tags.Protect: "FALSE"}), 0, "", ""},
	}
	for _, tc := range cases {
		for _, dry := range []bool{false, true} {
			name := tc.name
			if dry {
				name += " (dry run)"
			}
			t.Run(name, func(t *testing.T) {
				var changes []string
				d := Deps{Lambda: oneFunction{tags: tc.tags, changes: &changes}, Events: noEvents{changes: &changes},
					Settings: settings.Settings{ProtectTag: tags.Protect}, Bounds: bounds}
				out, err := run(t, d, tc.action, tc.params, dry)
				if tc.status == 0 {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					if _, plan := out.(api.Plan); dry && !plan {
						t.Errorf("dry run answered %#v", out)
					}
					return
				}
				var e *api.Error
				if !errors.As(err, &e) || e.Status != tc.status || e.Field != tc.field || !strings.Contains(e.Message, tc.want) {
					t.Fatalf("err = %v, want %d naming %q with %q", err, tc.status, tc.field, tc.want)
				}
				if len(changes) > 0 {
					t.Errorf("changed %v before refusing", changes)
				}
			})
		}
	}
}

// deploy refuses, before any call, a role it may not pass, a name of the
// stack's, tags writing protection off, a reserved variable, a role of its
// own when basic execution is not attachable, and a function that exists.
func TestDeployOutOfBounds(t *testing.T) {
	cases := []struct {
		name   string
		params api.Params
		bounds deputy.Bounds
		field  string
		want   string
	}{
		{"an existing admin role", api.Params{"roleArn": "arn:aws:iam::123456789012:role/admin"}, bounds, "roleArn", "role/admin"},
		{"the api's own role", api.Params{"roleArn": "arn:aws:iam::123456789012:role/commander-prod-api-role"}, bounds, "roleArn", "neither a role the api created"},
		{"another stage's role", api.Params{"roleArn": "arn:aws:iam::123456789012:role/commander/dev/x-role"}, bounds, "roleArn", "neither"},
		{"a name of the stack's", api.Params{"name": stage + "backup"}, bounds, "name", stage},
		{"protection written off", api.Params{"tags": map[string]string{"commander:protect": "false"}}, bounds, "tags", "does not protect"},
		{"a reserved variable", api.Params{"environment": map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/opt/x"}}, bounds, "environment", "AWS_LAMBDA_EXEC_WRAPPER"},
		{"basic execution not attachable", api.Params{}, deputy.Bounds{RolePath: "/commander/prod/"}, "roleArn", "AWSLambdaBasicExecutionRole"},
		{"code from a bucket it may not read", api.Params{"zipBase64": nil, "s3Bucket": "someone-elses", "s3Key": "fn.zip"}, bounds, "s3Bucket", "someone-elses"},
		{"a function of that name exists", api.Params{}, bounds, "", "fn already exists"}, // oneFunction holds every name
	}
	for _, tc := range cases {
		for _, dry := range []bool{false, true} {
			name := tc.name
			if dry {
				name += " (dry run)"
			}
			t.Run(name, func(t *testing.T) {
				var changes []string
				d := Deps{Lambda: oneFunction{changes: &changes}, Settings: settings.Settings{ProtectTag: tags.Protect}, Bounds: tc.bounds}
				p := api.Params{"name": "fn", "zipBase64": zip, "runtime": "provided.al2023", "handler": "bootstrap", "architecture": "x86_64",
					"memoryMB": int64(128), "timeoutSeconds": int64(60)}
				for k, v := range tc.params {
					if v == nil {
						delete(p, k)
					} else {
						p[k] = v
					}
				}
				_, err := run(t, d, "lambda.deploy", p, dry)
				var e *api.Error
				if !errors.As(err, &e) || e.Status/100 != 4 || e.Field != tc.field || !strings.Contains(e.Message, tc.want) {
					t.Fatalf("err = %v, want a 4xx naming %q with %q", err, tc.field, tc.want)
				}
				if len(changes) > 0 {
					t.Errorf("called %v before refusing", changes)
				}
			})
		}
	}
}

func TestCheckEnv(t *testing.T) {
	for name, ok := range map[string]bool{
		"STAGE": true, "LOG_LEVEL": true, "NODE_ENV": true, "AWS_XRAY_CONTEXT_MISSING": true,
		"AWS_LAMBDA_EXEC_WRAPPER": false, "aws_lambda_exec_wrapper": false, "AWS_LAMBDA_RUNTIME_API": false,
		"LD_PRELOAD": false, "LD_BIND_NOW": false, "DYLD_INSERT_LIBRARIES": false, "PATH": false, "PYTHONPATH": false,
		"JAVA_TOOL_OPTIONS": false, "AWS_ACCESS_KEY_ID": false, "AWS_REGION": false, "_HANDLER": false, "DOTNET_STARTUP_HOOKS": false,
	} {
		err := CheckEnv("environment", map[string]string{name: "x"})
		if (err == nil) != ok {
			t.Errorf("%s: err = %v, want ok %v", name, err, ok)
		}
		if err != nil && !strings.Contains(err.Error(), name) {
			t.Errorf("%s: the error does not name it: %v", name, err)
		}
	}
}

func run(t *testing.T, d Deps, action string, p api.Params, dry bool) (any, error) {
	t.Helper()
	for _, c := range Commands(d) {
		if c.Action == action {
			return c.Run(context.Background(), &api.Call{Action: action, Params: p, DryRun: dry, Caller: "test", Now: time.Now()})
		}
	}
	t.Fatalf("no %s", action)
	return nil, nil
}

// A dry run refuses what the run refuses, with the same status, code and
// field, and changes nothing in the account: deploy over a function that
// exists, attachRule with a rule name already taken. Both checks once ran
// only on the real path, so the plan of a doomed call came back 200.
func TestDryRunRefusesWhatTheRunRefuses(t *testing.T) {
	ctx := context.Background()
	cfg := emulatortest.Config(t)
	d := Deps{Lambda: lambdaclient.New(cfg), Events: eventbridgeclient.New(cfg), IAM: iamclient.New(cfg),
		Settings: settings.Settings{ProtectTag: tags.Protect}, RoleWait: time.Second,
		Bounds: deputy.Bounds{RolePath: "/commander/", StagePrefix: stage, AttachablePolicies: []string{BasicExecutionPolicy}}}
	deploy := api.Params{"name": "fn", "zipBase64": realZip(t), "runtime": "provided.al2023", "handler": "bootstrap", "architecture": "x86_64",
		"memoryMB": int64(128), "timeoutSeconds": int64(60)}
	if _, err := run(t, d, "lambda.deploy", deploy, false); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	if _, err := run(t, d, "lambda.attachRule", api.Params{"name": "fn", "rule": "nightly", "schedule": "rate(1 day)"}, false); err != nil {
		t.Fatalf("attach: %v", err)
	}
	before := account(ctx, t, cfg)
	cases := []struct {
		name   string
		action string
		params api.Params
		status int
		code   string
		field  string
	}{
		{"deploy over a function that exists", "lambda.deploy", deploy, 409, "Conflict", ""},
		{"attach a rule whose name is taken", "lambda.attachRule", api.Params{"name": "fn", "rule": "nightly", "schedule": "rate(5 minutes)"}, 409, "Conflict", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, dry := range []bool{false, true} {
				out, err := run(t, d, tc.action, tc.params, dry)
				var e *api.Error
				if !errors.As(err, &e) || e.Status != tc.status || e.Code != tc.code || e.Field != tc.field {
					t.Errorf("dry run %v: answer %#v, err = %v; want %d %s naming %q", dry, out, err, tc.status, tc.code, tc.field)
				}
				if after := account(ctx, t, cfg); after != before {
					t.Errorf("dry run %v changed the account:\\nbefore %s\\nafter  %s", dry, before, after)
				}
			}
		})
	}
}

// realZip is a deployment package holding one file.
func realZip(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	w := archivezip.NewWriter(&buf)
	f, err := w.Create("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("#!/bin/sh\\necho v1\\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// account is what the Lambda commands can change: functions (code, role,
// memory, permissions), rules (schedule, targets), roles (policies).
func account(ctx context.Context, t *testing.T, cfg aws.Config) string {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	lc := lambdaclient.New(cfg)
	fs, err := lc.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	must(err)
	for _, f := range fs.Functions {
		fmt.Fprintf(&b, "function %s %s %s %d; ", aws.ToString(f.FunctionName), aws.ToString(f.CodeSha256), aws.ToString(f.Role), aws.ToInt32(f.MemorySize))
		if p, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: f.FunctionName}); err == nil {
			fmt.Fprintf(&b, "policy %s; ", aws.ToString(p.Policy))
		}
	}
	ec := eventbridgeclient.New(cfg)
	rs, err := ec.ListRules(ctx, &eventbridge.ListRulesInput{})
	must(err)
	for _, r := range rs.Rules {
		tg, err := ec.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: r.Name})
		must(err)
		fmt.Fprintf(&b, "rule %s %s %d; ", aws.ToString(r.Name), aws.ToString(r.ScheduleExpression), len(tg.Targets))
	}
	ic := iamclient.New(cfg)
	roles, err := ic.ListRoles(ctx, &iam.ListRolesInput{})
	must(err)
	for _, r := range roles.Roles {
		ap, err := ic.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: r.RoleName})
		must(err)
		fmt.Fprintf(&b, "role %s %d; ", aws.ToString(r.Arn), len(ap.AttachedPolicies))
	}
	return b.String()
}
