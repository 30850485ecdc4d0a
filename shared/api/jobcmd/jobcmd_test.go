package jobcmd

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func TestFromEnv(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		err  string
	}{
		{"unset", map[string]string{}, ""},
		{"names", map[string]string{"COMMANDER_BACKUP_FUNCTION": "commander-backup", "COMMANDER_CLEANUP_FUNCTION": "commander-cleanup"}, ""},
		{"arn with alias", map[string]string{"COMMANDER_BACKUP_FUNCTION": "arn:aws:lambda:eu-west-1:123456789012:function:commander-backup:live"}, ""},
		{"bad", map[string]string{"COMMANDER_CLEANUP_FUNCTION": "not a name"}, `COMMANDER_CLEANUP_FUNCTION="not a name" is invalid`},
		{"name of 64", map[string]string{"COMMANDER_BACKUP_FUNCTION": strings.Repeat("f", 64)}, ""},
		{"name of 65", map[string]string{"COMMANDER_BACKUP_FUNCTION": strings.Repeat("f", 65)}, `COMMANDER_BACKUP_FUNCTION="` + strings.Repeat("f", 65) + `" is invalid: accepts a Lambda function name or ARN`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fns, err := FromEnv(func(k string) string { return tc.env[k] })
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("err = %v", err)
				}
				return
			}
			if err != nil || fns["backup"] != tc.env["COMMANDER_BACKUP_FUNCTION"] {
				t.Errorf("fns = %v, err %v", fns, err)
			}
		})
	}
}

type fakeLambda struct {
	got *lambda.InvokeInput
	out *lambda.InvokeOutput
	err error
}

func (f *fakeLambda) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	f.got = in
	return f.out, f.err
}

// mode=plan asks the job function itself, synchronously and in dry-run,
// and answers its report; a job that fails is a 502 saying so.
func TestPlanInline(t *testing.T) {
	report := []byte(`{"function":"cleanup","dryRun":true,"status":"ok","counts":{"mark.planned":2}}`)
	cases := []struct {
		name       string
		out        *lambda.InvokeOutput
		wantStatus int
		wantPlan   bool
	}{
		{"report", &lambda.InvokeOutput{StatusCode: 200, Payload: report}, 0, true},
		{"function error", &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"), Payload: []byte(`{"errorMessage":"bad policy"}`)}, 502, false},
		{"not json", &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(`oops`)}, 502, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeLambda{out: tc.out}
			d := Deps{Lambda: f, Functions: map[string]string{"cleanup": "commander-cleanup"}}
			res, err := d.plan(context.Background(), "cleanup", "commander-cleanup", &api.Call{RequestID: "r-1"})
			if f.got.InvocationType != types.InvocationTypeRequestResponse || !strings.Contains(string(f.got.Payload), `"dryRun":true`) {
				t.Errorf("invoked %s with %s; want a synchronous dry run", f.got.InvocationType, f.got.Payload)
			}
			if tc.wantPlan {
				b, _ := json.Marshal(res)
				if err != nil || !strings.Contains(string(b), `"mark.planned":2`) {
					t.Errorf("answer %s, err %v", b, err)
				}
				return
			}
			var ae *api.Error
			if !errors.As(err, &ae) || ae.Status != tc.wantStatus {
				t.Errorf("err = %v, want status %d", err, tc.wantStatus)
			}
		})
	}
}
