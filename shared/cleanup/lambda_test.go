package cleanup

import (
	"archive/zip"
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// A function this system made that is past commander:expires-at is marked,
// then deleted; a user's expired function and a protected one stay.
func TestFunctions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	api := lambdaclient.New(f.cfg)
	now := time.Now().UTC().Add(40 * day)
	expired := now.Add(-day).Format(time.RFC3339)
	function := f.function
	function("temp-managed", map[string]string{tags.ManagedBy: tags.ManagedByValue, tags.ExpiresAt: expired})
	function("later-managed", map[string]string{tags.ManagedBy: tags.ManagedByValue, tags.ExpiresAt: now.Add(30 * day).Format(time.RFC3339)})
	function("protected-managed", map[string]string{tags.ManagedBy: tags.ManagedByValue, tags.ExpiresAt: expired, "commander:protect": "true"})
	function("users-own", map[string]string{tags.ExpiresAt: expired})

	j := f.job(`
policies:
  - name: expired-functions
    resource: lambda:function
    action: delete
    filters: [{expired: true}]
`, nil)
	rep := f.run(j, now, "")
	if rep.Count("mark", report.Done) != 1 || decisionFor(rep, "temp-managed").Action != "mark" {
		t.Fatalf("mark run: %v %v", rep.Counts, rep.Errors)
	}
	if d := decisionFor(rep, "users-own"); d.Resource != "" {
		t.Errorf("a function this system did not create is never a candidate: %+v", d)
	}
	if d := decisionFor(rep, "protected-managed"); d.Outcome != report.Skipped {
		t.Errorf("protected: %+v", d)
	}
	rep = f.run(j, now.Add(8*day), "")
	if rep.Status != report.StatusOK || rep.Count("delete", report.Done) != 1 {
		t.Fatalf("act run: %s %v %v", rep.Status, rep.Counts, rep.Errors)
	}
	out, err := api.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fn := range out.Functions {
		names = append(names, aws.ToString(fn.FunctionName))
	}
	slices.Sort(names)
	if strings.Join(names, ",") != "later-managed,protected-managed,users-own" {
		t.Errorf("functions left: %v", names)
	}
}

// function creates a Lambda function in moto (whose Invoke only echoes).
func (f *fixture) function(name string, tg map[string]string) {
	f.t.Helper()
	ctx := context.Background()
	role, err := iamclient.New(f.cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("fn")})
	if err != nil {
		out, cerr := iamclient.New(f.cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn"), AssumeRolePolicyDocument: aws.String(trust)})
		if cerr != nil {
			f.t.Fatal(cerr)
		}
		role = &iam.GetRoleOutput{Role: out.Role}
	}
	var code bytes.Buffer
	zw := zip.NewWriter(&code)
	w, _ := zw.Create("bootstrap")
	w.Write([]byte("#!/bin/sh\n"))
	zw.Close()
	if _, err := lambdaclient.New(f.cfg).CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: role.Role.Arn, Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Code: &lambdatypes.FunctionCode{ZipFile: code.Bytes()}, Tags: tg,
	}); err != nil {
		f.t.Fatal(err)
	}
}
