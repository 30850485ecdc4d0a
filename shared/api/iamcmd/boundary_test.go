package iamcmd

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

func TestBoundaryFromEnv(t *testing.T) {
	const arn = "arn:aws:iam::123456789012:policy/commander-prod-role-boundary"
	cases := []struct {
		name, value, want, err string
	}{
		{name: "unset: roles without a boundary"},
		{name: "blank counts as unset", value: "  "},
		{name: "a customer managed policy", value: arn, want: arn},
		{name: "with a path", value: "arn:aws:iam::123456789012:policy/team/boundary", want: "arn:aws:iam::123456789012:policy/team/boundary"},
		{name: "another partition", value: "arn:aws-us-gov:iam::123456789012:policy/b", want: "arn:aws-us-gov:iam::123456789012:policy/b"},
		{name: "an AWS managed policy", value: "arn:aws:iam::aws:policy/AdministratorAccess", err: "COMMANDER_ROLE_BOUNDARY_ARN=\"arn:aws:iam::aws:policy/AdministratorAccess\" is invalid: accepts an IAM policy ARN"},
		{name: "a role ARN", value: "arn:aws:iam::123456789012:role/r", err: "COMMANDER_ROLE_BOUNDARY_ARN=\"arn:aws:iam::123456789012:role/r\" is invalid"},
		{name: "a bare name", value: "commander-prod-role-boundary", err: "is invalid: accepts an IAM policy ARN such as"},
		{name: "no policy name", value: "arn:aws:iam::123456789012:policy/", err: "COMMANDER_ROLE_BOUNDARY_ARN"},
		{name: "a space in the name", value: "arn:aws:iam::123456789012:policy/my boundary", err: "COMMANDER_ROLE_BOUNDARY_ARN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BoundaryFromEnv(func(k string) string {
				if k == BoundaryEnv {
					return tc.value
				}
				return ""
			})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("BoundaryFromEnv = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func createRoleCommand(t *testing.T, d Deps) api.Command {
	t.Helper()
	for _, c := range Commands(d) {
		if c.Action == "iam.createRole" {
			return c
		}
	}
	t.Fatal("no iam.createRole")
	return api.Command{}
}

// A role created with the setting carries the boundary in IAM, so no policy a
// caller attaches lets it exceed the boundary; without the setting (locally,
// the demo) it has none.
func TestCreateRoleSetsTheBoundary(t *testing.T) {
	cases := []struct {
		name     string
		boundary bool
		dryRun   bool
	}{
		{name: "with the setting", boundary: true},
		{name: "without the setting"},
		{name: "dry run with the setting plans the boundary", boundary: true, dryRun: true},
		{name: "dry run without the setting plans none", dryRun: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			client := iamclient.New(emulatortest.Config(t))
			pol, err := client.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("commander-test-role-boundary"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`)})
			if err != nil {
				t.Fatal(err)
			}
			app, err := client.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("app-read"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}`)})
			if err != nil {
				t.Fatal(err)
			}
			d := Deps{IAM: client, Bounds: deputy.Bounds{RolePath: "/commander/", AttachablePolicies: []string{aws.ToString(app.Policy.Arn)}}}
			want := ""
			if tc.boundary {
				want = aws.ToString(pol.Policy.Arn)
				d.RoleBoundary = want
			}
			call := &api.Call{Action: "iam.createRole", DryRun: tc.dryRun, Caller: "arn:aws:iam::123456789012:user/alice", Now: time.Now(),
				Params: api.Params{"name": "app-ec2", "service": "ec2.amazonaws.com", "path": "/commander/",
					"policyArns": []string{aws.ToString(app.Policy.Arn)}}}
			out, err := createRoleCommand(t, d).Run(ctx, call)
			if err != nil {
				t.Fatal(err)
			}

			if tc.dryRun {
				pl, ok := out.(api.Plan)
				if !ok || len(pl.WouldCall) == 0 {
					t.Fatalf("answer = %#v, want a plan", out)
				}
				in, ok := pl.WouldCall[0].Input.(*iam.CreateRoleInput)
				if !ok {
					t.Fatalf("first step = %#v, want IAM.CreateRole", pl.WouldCall[0])
				}
				if got := aws.ToString(in.PermissionsBoundary); got != want {
					t.Errorf("planned boundary = %q, want %q", got, want)
				}
				if _, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app-ec2")}); err == nil {
					t.Error("a dry run created the role")
				}
				return
			}

			answer := out.(map[string]any)
			if got, _ := answer["permissionsBoundary"].(string); got != want {
				t.Errorf("answer's permissionsBoundary = %q, want %q", got, want)
			}
			role, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app-ec2")})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if b := role.Role.PermissionsBoundary; b != nil {
				got = aws.ToString(b.PermissionsBoundaryArn)
				if b.PermissionsBoundaryType != types.PermissionsBoundaryAttachmentTypePolicy {
					t.Errorf("boundary type = %q, want a managed policy", b.PermissionsBoundaryType)
				}
			}
			if got != want {
				t.Errorf("role's boundary in IAM = %q, want %q", got, want)
			}
		})
	}
}
