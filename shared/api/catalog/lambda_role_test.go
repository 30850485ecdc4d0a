package catalog_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/lambdacmd"
	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// deleteAnswer is lambda.delete's result.
type deleteAnswer struct {
	Deleted        bool   `json:"deleted"`
	Note           string `json:"note"`
	DeletedRole    string `json:"deletedRole"`
	KeptRole       string `json:"keptRole"`
	KeptRoleReason string `json:"keptRoleReason"`
}

// lambda.delete deletes the execution role lambda.deploy made for the
// function, and no other role.
func TestLambdaDeleteRemovesDeploysRole(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		// setup deploys "fn" (and whatever else the case needs) and answers
		// the name of the role fn runs as.
		setup      func(t *testing.T, h *harness, ic *iam.Client) string
		keepRole   bool
		viaHTTP    bool
		roleGone   bool
		keptReason string // part of keptRoleReason when the role stays
	}{
		{name: "the role deploy made goes with the function (HTTP)", viaHTTP: true, roleGone: true,
			setup: deployOwnRole},
		{name: "the role deploy made goes with the function (direct)", roleGone: true,
			setup: deployOwnRole},
		{name: "its inline policies and instance profiles go too", viaHTTP: true, roleGone: true,
			setup: func(t *testing.T, h *harness, ic *iam.Client) string {
				role := deployOwnRole(t, h, ic)
				must(t, func() error {
					_, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("extra"),
						PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
					return err
				})
				must(t, func() error {
					_, err := ic.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("fn-profile")})
					return err
				})
				must(t, func() error {
					_, err := ic.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("fn-profile"), RoleName: aws.String(role)})
					return err
				})
				return role
			}},
		{name: "a role passed as roleArn is never touched", keptReason: "not the role lambda.deploy creates",
			setup: func(t *testing.T, h *harness, ic *iam.Client) string {
				return deployWithRole(t, h, "shared-exec")
			}},
		{name: "a user's role that only has deploy's name is kept", keptReason: "not created by lambda.deploy",
			setup: func(t *testing.T, h *harness, ic *iam.Client) string {
				return deployWithRole(t, h, "fn-role")
			}},
		{name: "a role without the managed-by tag is kept", keptReason: "not created by lambda.deploy",
			setup: func(t *testing.T, h *harness, ic *iam.Client) string {
				role := deployOwnRole(t, h, ic)
				must(t, func() error {
					_, err := ic.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String(role), TagKeys: []string{tags.ManagedBy}})
					return err
				})
				return role
			}},
		{name: "a protected role is kept", keptReason: "protected",
			setup: func(t *testing.T, h *harness, ic *iam.Client) string {
				role := deployOwnRole(t, h, ic)
				must(t, func() error {
					_, err := ic.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(role), Tags: []iamtypes.Tag{{Key: aws.String(tags.Protect), Value: aws.String("true")}}})
					return err
				})
				return role
			}},
		{name: "a role another function runs as is kept", keptReason: "also the execution role of function other",
			setup: func(t *testing.T, h *harness, ic *iam.Client) string {
				role := deployOwnRole(t, h, ic)
				r, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
				if err != nil {
					t.Fatal(err)
				}
				h.direct("lambda.deploy", map[string]any{"name": "other", "zipBase64": zipBase64(t, "x"), "roleArn": aws.ToString(r.Role.Arn)}, false).ok(t, "deploy other")
				return role
			}},
		{name: "keepRole keeps it", keepRole: true, viaHTTP: true, keptReason: "keepRole",
			setup: deployOwnRole},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			ic := iamclient.New(h.cfg)
			role := tc.setup(t, h, ic)
			params := map[string]any{"name": "fn"}
			if tc.keepRole {
				params["keepRole"] = true
			}
			var a answer
			if tc.viaHTTP {
				query := ""
				if tc.keepRole {
					query = "keepRole=true"
				}
				a = h.http("DELETE", "/lambda/functions/fn", query, nil)
			} else {
				a = h.direct("lambda.delete", params, false)
			}
			var res deleteAnswer
			a.ok(t, "delete").into(t, &res)
			if _, err := lambdaclient.New(h.cfg).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")}); !awserr.Is(err, awserr.NotFound) {
				t.Errorf("function after delete: %v", err)
			}
			_, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
			if tc.roleGone {
				if !awserr.Is(err, awserr.NotFound) {
					t.Errorf("role %s after delete: %v, want NotFound", role, err)
				}
				if res.DeletedRole != role || res.KeptRole != "" {
					t.Errorf("answer = %+v, want deletedRole %s", res, role)
				}
				return
			}
			if err != nil {
				t.Errorf("role %s after delete: %v, want it kept", role, err)
			}
			if res.DeletedRole != "" || res.KeptRole != role || !strings.Contains(res.KeptRoleReason, tc.keptReason) {
				t.Errorf("answer = %+v, want %s kept for %q", res, role, tc.keptReason)
			}
		})
	}
}

// Deleting again answers already gone; a dry run plans the role's removal
// and changes nothing.
func TestLambdaDeleteRoleDryRunAndAgain(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	ic := iamclient.New(h.cfg)
	role := deployOwnRole(t, h, ic)

	var plan api.Plan
	h.direct("lambda.delete", map[string]any{"name": "fn"}, true).ok(t, "dry delete").into(t, &plan)
	var calls []string
	for _, s := range plan.WouldCall {
		calls = append(calls, s.Call)
	}
	if want := "Lambda.DeleteFunction IAM.DetachRolePolicy IAM.DeleteRole"; strings.Join(calls, " ") != want {
		t.Errorf("plan = %v, want %s", calls, want)
	}
	if _, err := lambdaclient.New(h.cfg).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")}); err != nil {
		t.Errorf("dry run deleted the function: %v", err)
	}
	if att, err := ic.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)}); err != nil || len(att.AttachedPolicies) != 1 {
		t.Errorf("dry run changed the role: %v %+v", err, att)
	}

	h.direct("lambda.delete", map[string]any{"name": "fn", "keepRole": true}, true).ok(t, "dry delete keeping the role").into(t, &plan)
	if len(plan.WouldCall) != 1 || !strings.Contains(plan.Note, "kept: keepRole") {
		t.Errorf("plan keeping the role = %+v", plan)
	}

	h.http("DELETE", "/lambda/functions/fn", "", nil).ok(t, "delete")
	var res deleteAnswer
	h.http("DELETE", "/lambda/functions/fn", "", nil).ok(t, "delete again").into(t, &res)
	if res.Note != "already gone" || res.DeletedRole != "" {
		t.Errorf("again = %+v", res)
	}
}

// failDeleteRole is IAM refusing to delete the role.
type failDeleteRole struct{ lambdacmd.RoleAPI }

func (failDeleteRole) DeleteRole(context.Context, *iam.DeleteRoleInput, ...func(*iam.Options)) (*iam.DeleteRoleOutput, error) {
	return nil, errors.New("DeleteConflict: simulated")
}

// A role that cannot be deleted after the function is gone is reported,
// by name, as left.
func TestLambdaDeleteReportsRoleLeft(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	ic := iamclient.New(h.cfg)
	role := deployOwnRole(t, h, ic)
	reg, err := api.NewRegistry(lambdacmd.Commands(lambdacmd.Deps{Lambda: lambdaclient.New(h.cfg), Events: eventbridgeclient.New(h.cfg),
		IAM: failDeleteRole{ic}, Settings: h.settings(t), Bounds: h.bounds(t)}))
	if err != nil {
		t.Fatal(err)
	}
	h.srv.Registry = reg
	a := h.direct("lambda.delete", map[string]any{"name": "fn"}, false)
	a.is(t, "delete", 0, "")
	for _, want := range []string{"function fn deleted", "role fn-role is LEFT", "DetachRolePolicy", "iam.deleteRole"} {
		if !strings.Contains(a.Error.Message, want) {
			t.Errorf("message %q lacks %q", a.Error.Message, want)
		}
	}
	if _, err := lambdaclient.New(h.cfg).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")}); !awserr.Is(err, awserr.NotFound) {
		t.Errorf("function after delete: %v", err)
	}
	if _, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)}); err != nil {
		t.Errorf("role %s: %v (it should be left, as reported)", role, err)
	}
}

// deployOwnRole deploys fn without roleArn: deploy makes fn-role.
func deployOwnRole(t *testing.T, h *harness, ic *iam.Client) string {
	t.Helper()
	h.direct("lambda.deploy", map[string]any{"name": "fn", "zipBase64": zipBase64(t, "x")}, false).ok(t, "deploy")
	if _, err := ic.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("fn-role")}); err != nil {
		t.Fatalf("deploy made no role: %v", err)
	}
	return "fn-role"
}

// deployWithRole makes role through iam.createRole and deploys fn with it.
func deployWithRole(t *testing.T, h *harness, role string) string {
	t.Helper()
	var r struct {
		Arn string `json:"arn"`
	}
	h.direct("iam.createRole", map[string]any{"name": role, "service": "lambda.amazonaws.com", "policyArns": []string{lambdacmd.BasicExecutionPolicy}}, false).ok(t, "role").into(t, &r)
	h.direct("lambda.deploy", map[string]any{"name": "fn", "zipBase64": zipBase64(t, "x"), "roleArn": r.Arn}, false).ok(t, "deploy")
	return role
}

func must(t *testing.T, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatal(err)
	}
}
