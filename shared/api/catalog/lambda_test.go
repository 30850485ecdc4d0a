package catalog_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/lambdacmd"
	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// zipBase64 is a deployment package holding one file.
func zipBase64(t *testing.T, body string) string {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.Create("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(body))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func TestLambdaLifecycle(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	lc := lambdaclient.New(h.cfg)
	ic := iamclient.New(h.cfg)
	ec := eventbridgeclient.New(h.cfg)
	body := map[string]any{"name": "hello", "zipBase64": zipBase64(t, "#!/bin/sh\necho v1\n"), "environment": map[string]string{"STAGE": "test"}}

	var plan api.Plan
	h.direct("lambda.deploy", body, true).ok(t, "dry deploy").into(t, &plan)
	if len(plan.WouldCall) != 3 {
		t.Errorf("plan = %+v", plan.WouldCall)
	}
	if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")}); err == nil {
		t.Fatal("dry run deployed")
	}
	h.http("POST", "/lambda/functions", "", body).ok(t, "deploy")
	fn, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := fn.Configuration
	if aws.ToInt32(cfg.MemorySize) != 128 || aws.ToInt32(cfg.Timeout) != 60 || cfg.Environment.Variables["STAGE"] != "test" ||
		aws.ToString(cfg.Handler) != "bootstrap" || string(cfg.Runtime) != "provided.al2023" {
		t.Errorf("function = mem %d timeout %d env %v", aws.ToInt32(cfg.MemorySize), aws.ToInt32(cfg.Timeout), cfg.Environment)
	}
	if fn.Tags[tags.ManagedBy] != "commander" || fn.Tags[tags.CreatedBy] != caller {
		t.Errorf("tags = %v", fn.Tags)
	}
	if !strings.HasSuffix(aws.ToString(cfg.Role), ":role/commander/hello-role") { // under the role path
		t.Errorf("role = %s", aws.ToString(cfg.Role))
	}
	att, err := ic.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("hello-role")})
	if err != nil || len(att.AttachedPolicies) != 1 || !strings.HasSuffix(aws.ToString(att.AttachedPolicies[0].PolicyArn), "AWSLambdaBasicExecutionRole") {
		t.Errorf("role policies: %v %+v", err, att)
	}
	h.http("POST", "/lambda/functions", "", body).is(t, "deploy again", 409, "Conflict")
	h.direct("lambda.deploy", map[string]any{"name": "nocode"}, false).is(t, "no code", 400, "MissingParameter")
	h.direct("lambda.deploy", map[string]any{"name": "badzip", "zipBase64": base64.StdEncoding.EncodeToString([]byte("nope"))}, false).is(t, "not a zip", 400, "InvalidParameter")

	h.http("PATCH", "/lambda/functions/hello/configuration", "", map[string]any{"memoryMB": 256, "timeoutSeconds": 30, "environment": map[string]string{"STAGE": "prod"}}).ok(t, "update config")
	fn, _ = lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")})
	if aws.ToInt32(fn.Configuration.MemorySize) != 256 || aws.ToInt32(fn.Configuration.Timeout) != 30 || fn.Configuration.Environment.Variables["STAGE"] != "prod" {
		t.Errorf("after update: mem %d timeout %d env %v", aws.ToInt32(fn.Configuration.MemorySize), aws.ToInt32(fn.Configuration.Timeout), fn.Configuration.Environment.Variables)
	}
	before := aws.ToString(fn.Configuration.CodeSha256)
	h.direct("lambda.updateCode", map[string]any{"name": "hello", "zipBase64": zipBase64(t, "#!/bin/sh\necho v2\n")}, true).ok(t, "dry update code")
	if fn, _ := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")}); aws.ToString(fn.Configuration.CodeSha256) != before {
		t.Fatal("dry update changed the code")
	}
	h.direct("lambda.updateCode", map[string]any{"name": "hello", "zipBase64": zipBase64(t, "#!/bin/sh\necho v2\n")}, false).ok(t, "update code")
	fn, _ = lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")})
	if aws.ToString(fn.Configuration.CodeSha256) == before {
		t.Errorf("code not changed")
	}
	var list struct {
		Functions []struct{ Name string } `json:"functions"`
	}
	h.direct("lambda.list", nil, false).ok(t, "list").into(t, &list)
	if len(list.Functions) != 1 || list.Functions[0].Name != "hello" {
		t.Errorf("list = %+v", list)
	}

	// Rules: attach a schedule and a pattern, detach one, the rest goes with the function.
	h.http("POST", "/lambda/functions/hello/rules", "", map[string]any{"rule": "hello-nightly", "schedule": "cron(0 3 * * ? *)"}).ok(t, "attach schedule")
	h.direct("lambda.attachRule", map[string]any{"name": "hello", "rule": "hello-ec2", "eventPattern": map[string]any{"source": []string{"aws.ec2"}}}, false).ok(t, "attach pattern")
	h.direct("lambda.attachRule", map[string]any{"name": "hello", "rule": "both", "schedule": "rate(5 minutes)", "eventPattern": map[string]any{"source": []string{"x"}}}, false).is(t, "both", 400, "InvalidParameter")
	targets, err := ec.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("hello-nightly")})
	if err != nil || len(targets.Targets) != 1 || aws.ToString(targets.Targets[0].Arn) != aws.ToString(fn.Configuration.FunctionArn) {
		t.Errorf("targets: %v %+v", err, targets)
	}
	pol, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("hello")})
	if err != nil || !strings.Contains(aws.ToString(pol.Policy), "commander-hello-nightly") || !strings.Contains(aws.ToString(pol.Policy), "events.amazonaws.com") {
		t.Errorf("policy: %v %s", err, aws.ToString(pol.Policy))
	}
	h.http("DELETE", "/lambda/functions/hello/rules/hello-nightly", "", nil).ok(t, "detach")
	if _, err := ec.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("hello-nightly")}); err == nil {
		t.Error("detached rule still exists")
	}
	pol, _ = lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("hello")})
	if pol != nil && strings.Contains(aws.ToString(pol.Policy), "commander-hello-nightly") {
		t.Errorf("permission left: %s", aws.ToString(pol.Policy))
	}

	// Protected functions stay.
	if _, err := lc.TagResource(ctx, &lambda.TagResourceInput{Resource: fn.Configuration.FunctionArn, Tags: map[string]string{tags.Protect: "true"}}); err != nil {
		t.Fatal(err)
	}
	h.direct("lambda.delete", map[string]any{"name": "hello"}, false).is(t, "delete protected", 409, "Protected")
	lc.UntagResource(ctx, &lambda.UntagResourceInput{Resource: fn.Configuration.FunctionArn, TagKeys: []string{tags.Protect}})

	h.direct("lambda.delete", map[string]any{"name": "hello"}, true).ok(t, "dry delete").into(t, &plan)
	if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")}); err != nil {
		t.Fatal("dry delete deleted")
	}
	h.http("DELETE", "/lambda/functions/hello", "", nil).ok(t, "delete")
	if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")}); err == nil {
		t.Error("function still exists")
	}
	if _, err := ec.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("hello-ec2")}); err == nil {
		t.Error("the rule commander attached outlived the function")
	}
}

func TestJobsStart(t *testing.T) {
	h := newHarness(t, map[string]string{"COMMANDER_BACKUP_FUNCTION": "commander-backup"})
	h.direct("lambda.deploy", map[string]any{"name": "commander-backup", "zipBase64": zipBase64(t, "x")}, false).ok(t, "deploy backup")
	var res struct {
		Status       int32  `json:"status"`
		RunRequestID string `json:"runRequestId"`
	}
	h.http("POST", "/jobs/backup", "", map[string]any{"jobDryRun": true}).ok(t, "start").into(t, &res)
	if res.Status != 202 || res.RunRequestID == "" {
		t.Errorf("start = %+v", res)
	}
	h.direct("jobs.start", map[string]any{"job": "backup"}, true).ok(t, "dry start")
	h.direct("jobs.start", map[string]any{"job": "cleanup"}, false).is(t, "not configured", 501, "NotImplemented")
	// moto's Invoke echoes the payload: the plan is what the job was asked.
	var plan struct {
		Plan struct {
			DryRun bool   `json:"dryRun"`
			RunID  string `json:"runId"`
		} `json:"plan"`
	}
	h.direct("jobs.start", map[string]any{"job": "backup", "mode": "plan"}, false).ok(t, "plan").into(t, &plan)
	if !plan.Plan.DryRun || plan.Plan.RunID == "" {
		t.Errorf("plan = %+v: the job must be asked for a dry run", plan)
	}
	h.direct("jobs.start", map[string]any{"job": "restore"}, false).is(t, "unknown job", 400, "InvalidParameter")
}

// Code from an S3 object with an existing role; a failed deploy deletes
// the role it made.
func TestLambdaDeployFromS3(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	lc := lambdaclient.New(h.cfg)
	ic := iamclient.New(h.cfg)
	h.direct("s3.createBucket", map[string]any{"bucket": "commander-code"}, false).ok(t, "bucket")
	h.direct("s3.putObject", map[string]any{"bucket": "commander-code", "key": "fn.zip", "contentBase64": zipBase64(t, "x")}, false).ok(t, "zip")
	var role struct {
		Arn string `json:"arn"`
	}
	h.direct("iam.createRole", map[string]any{"name": "fn-exec", "service": "lambda.amazonaws.com"}, false).ok(t, "role").into(t, &role)
	h.http("POST", "/lambda/functions", "", map[string]any{"name": "from-s3", "s3Bucket": "commander-code", "s3Key": "fn.zip", "roleArn": role.Arn, "memoryMB": 512, "timeoutSeconds": 10}).ok(t, "deploy")
	fn, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("from-s3")})
	if err != nil || aws.ToString(fn.Configuration.Role) != role.Arn || aws.ToInt32(fn.Configuration.MemorySize) != 512 || aws.ToInt32(fn.Configuration.Timeout) != 10 {
		t.Fatalf("function: %v %+v", err, fn)
	}
	if _, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("from-s3-role")}); err == nil {
		t.Error("a role was made although roleArn was given")
	}
}

// failCreate is Lambda refusing the function.
type failCreate struct{ lambdacmd.API }

func (failCreate) CreateFunction(context.Context, *lambda.CreateFunctionInput, ...func(*lambda.Options)) (*lambda.CreateFunctionOutput, error) {
	return nil, errors.New("code storage limit exceeded")
}

// A failed deploy deletes the role it made.
func TestLambdaDeployRollsBackRole(t *testing.T) {
	h := newHarness(t, nil)
	ic := iamclient.New(h.cfg)
	reg, err := api.NewRegistry(lambdacmd.Commands(lambdacmd.Deps{Lambda: failCreate{lambdaclient.New(h.cfg)}, Events: eventbridgeclient.New(h.cfg), IAM: ic, Settings: h.settings(t), Bounds: h.bounds(t)}))
	if err != nil {
		t.Fatal(err)
	}
	h.srv.Registry = reg
	a := h.direct("lambda.deploy", map[string]any{"name": "broken", "zipBase64": zipBase64(t, "x")}, false)
	a.is(t, "deploy", 502, "")
	if !strings.Contains(a.Error.Message, "role broken-role deleted again") {
		t.Errorf("message = %s", a.Error.Message)
	}
	if _, err := ic.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("broken-role")}); err == nil {
		t.Error("the role of a failed deploy was left behind")
	}
}
