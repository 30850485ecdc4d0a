package cleanup

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// Only roles this system made are candidates; an unused one is marked, then
// deleted completely (instance profile, attached and inline policies); a
// protected one and a user's role stay; an empty instance profile goes.
func TestIAM(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	api := iamclient.New(f.cfg)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	role := func(name string, tg map[string]string) {
		in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}
		for _, k := range sortedStrings(tg) {
			in.Tags = append(in.Tags, iamtypes.Tag{Key: aws.String(k), Value: aws.String(tg[k])})
		}
		must(api.CreateRole(ctx, in))
	}
	managed := map[string]string{tags.ManagedBy: tags.ManagedByValue}
	role("old-managed", managed)
	role("protected-managed", map[string]string{tags.ManagedBy: tags.ManagedByValue, "commander:protect": "true"})
	role("users-own", nil)
	pol, err := api.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("read"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	must(api.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("old-managed"), PolicyArn: pol.Policy.Arn}))
	must(api.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("old-managed"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)}))
	for _, p := range []string{"old-managed-profile", "users-profile", "empty-profile"} {
		must(api.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(p)}))
	}
	must(api.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("old-managed-profile"), RoleName: aws.String("old-managed")}))
	must(api.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("users-profile"), RoleName: aws.String("users-own")}))

	j := f.job(`
policies:
  - name: unused-roles
    resource: iam:role
    action: delete
    filters: [{unusedFor: 30d}]
  - name: empty-profiles
    resource: iam:instance-profile
    action: delete
    filters: [{state: empty}]
`, nil)
	now := time.Now().UTC().Add(40 * day)
	rep := f.run(j, now, "")
	if d := decisionFor(rep, "old-managed"); d.Action != "mark" || d.Outcome != report.Done || d.Region != GlobalRegion {
		t.Errorf("old-managed: %+v", d)
	}
	if d := decisionFor(rep, "users-own"); d.Resource != "" {
		t.Errorf("a role this system did not create is never a candidate: %+v", d)
	}
	if d := decisionFor(rep, "protected-managed"); d.Outcome != report.Skipped {
		t.Errorf("protected-managed: %+v", d)
	}
	if d := decisionFor(rep, "empty-profile"); d.Action != "mark" || d.Outcome != report.Done {
		t.Errorf("empty-profile: %+v", d)
	}
	got, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("old-managed")})
	if err != nil || iamTags(got.Role.Tags)[tags.CleanupAction] != "delete" {
		t.Fatalf("old-managed not marked: %v %v", err, got)
	}

	rep = f.run(j, now.Add(8*day), "")
	if rep.Status != report.StatusOK || rep.Count("delete", report.Done) != 2 {
		t.Fatalf("act run: %s %v %v", rep.Status, rep.Counts, rep.Errors)
	}
	roles, err := api.ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range roles.Roles {
		names = append(names, aws.ToString(r.RoleName))
	}
	if strings.Contains(strings.Join(names, ","), "old-managed") || !strings.Contains(strings.Join(names, ","), "protected-managed") || !strings.Contains(strings.Join(names, ","), "users-own") {
		t.Errorf("roles left: %v", names)
	}
	profiles, err := api.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{})
	if err != nil {
		t.Fatal(err)
	}
	names = nil
	for _, p := range profiles.InstanceProfiles {
		names = append(names, aws.ToString(p.InstanceProfileName))
	}
	if strings.Join(names, ",") != "users-profile" {
		t.Errorf("instance profiles left: %v, want only users-profile", names)
	}
	if _, err := api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: pol.Policy.Arn}); err != nil {
		t.Errorf("the managed policy itself must stay (only detached): %v", err)
	}
}
