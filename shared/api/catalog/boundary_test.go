package catalog_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/api/catalog"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/boot"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

const boundaryARN = "arn:aws:iam::123456789012:policy/commander-test-role-boundary"

// Deployed, the api role may create roles only with the stack's boundary: every
// role the api makes (iam.createRole, lambda.deploy's execution role) carries
// the one COMMANDER_ROLE_BOUNDARY_ARN names; without it, none.
func TestRolesCarryTheBoundary(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"with the setting", map[string]string{"COMMANDER_ROLE_BOUNDARY_ARN": boundaryARN}, boundaryARN},
		{"without it", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.env)
			ctx := context.Background()
			c := iamclient.New(h.cfg)
			if _, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("commander-test-role-boundary"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:Create*","Resource":"*"}]}`)}); err != nil {
				t.Fatal(err)
			}
			var created struct {
				PermissionsBoundary string `json:"permissionsBoundary"`
			}
			h.http("POST", "/iam/roles", "", map[string]any{"name": "app-ec2", "service": "ec2.amazonaws.com",
				"policyArns": []string{"arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"}}).ok(t, "create role").into(t, &created)
			if created.PermissionsBoundary != tc.want {
				t.Errorf("answer's permissionsBoundary = %q, want %q", created.PermissionsBoundary, tc.want)
			}
			h.direct("lambda.deploy", map[string]any{"name": "bounded", "zipBase64": zipBase64(t, "x")}, false).ok(t, "deploy")
			for _, role := range []string{"app-ec2", "bounded-role"} {
				out, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
				if err != nil {
					t.Fatal(err)
				}
				got := ""
				if b := out.Role.PermissionsBoundary; b != nil {
					got = aws.ToString(b.PermissionsBoundaryArn)
				}
				if got != tc.want {
					t.Errorf("%s boundary in IAM = %q, want %q", role, got, tc.want)
				}
			}
		})
	}
}

// A bad boundary stops the function at start, naming the variable.
func TestBadBoundaryFailsAtStart(t *testing.T) {
	emulatortest.Moto(t)
	t.Setenv("COMMANDER_ROLE_BOUNDARY_ARN", "arn:aws:iam::aws:policy/AdministratorAccess")
	s, err := settings.Load(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	d, err := boot.Build(context.Background(), "api", s)
	if err != nil {
		t.Fatal(err)
	}
	_, err = catalog.New(d, os.Getenv)
	if err == nil || !strings.Contains(err.Error(), `COMMANDER_ROLE_BOUNDARY_ARN="arn:aws:iam::aws:policy/AdministratorAccess" is invalid: accepts an IAM policy ARN`) {
		t.Errorf("catalog.New = %v, want an error naming COMMANDER_ROLE_BOUNDARY_ARN", err)
	}
}
