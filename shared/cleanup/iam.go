package cleanup

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// IAMAPI is the slice of IAM the cleanup job calls.
type IAMAPI interface {
	iam.ListRolesAPIClient
	iam.ListInstanceProfilesAPIClient
	iam.ListInstanceProfilesForRoleAPIClient
	iam.ListAttachedRolePoliciesAPIClient
	iam.ListRolePoliciesAPIClient
	GetRole(ctx context.Context, in *iam.GetRoleInput, opts ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	GetInstanceProfile(ctx context.Context, in *iam.GetInstanceProfileInput, opts ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error)
	TagRole(ctx context.Context, in *iam.TagRoleInput, opts ...func(*iam.Options)) (*iam.TagRoleOutput, error)
	UntagRole(ctx context.Context, in *iam.UntagRoleInput, opts ...func(*iam.Options)) (*iam.UntagRoleOutput, error)
	TagInstanceProfile(ctx context.Context, in *iam.TagInstanceProfileInput, opts ...func(*iam.Options)) (*iam.TagInstanceProfileOutput, error)
	UntagInstanceProfile(ctx context.Context, in *iam.UntagInstanceProfileInput, opts ...func(*iam.Options)) (*iam.UntagInstanceProfileOutput, error)
	RemoveRoleFromInstanceProfile(ctx context.Context, in *iam.RemoveRoleFromInstanceProfileInput, opts ...func(*iam.Options)) (*iam.RemoveRoleFromInstanceProfileOutput, error)
	DeleteInstanceProfile(ctx context.Context, in *iam.DeleteInstanceProfileInput, opts ...func(*iam.Options)) (*iam.DeleteInstanceProfileOutput, error)
	DetachRolePolicy(ctx context.Context, in *iam.DetachRolePolicyInput, opts ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
	DeleteRolePolicy(ctx context.Context, in *iam.DeleteRolePolicyInput, opts ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
	DeleteRole(ctx context.Context, in *iam.DeleteRoleInput, opts ...func(*iam.Options)) (*iam.DeleteRoleOutput, error)
}

// GlobalRegion is the region reported for IAM, which has none.
const GlobalRegion = "global"

func iamTags(list []iamtypes.Tag) map[string]string {
	return tags.Map(list, func(t iamtypes.Tag) *string { return t.Key }, func(t iamtypes.Tag) *string { return t.Value })
}

// listRoles yields only the roles this system created (managed-by tag):
// cleanup never deletes a role it did not make. ListRoles returns neither
// tags nor last use, so each role is read (bounded concurrency per page).
func listRoles(ctx context.Context, _ *run, c Clients, _ string, _ []policy.Policy, yield func(plan.Resource)) error {
	p := iam.NewListRolesPaginator(c.IAM, &iam.ListRolesInput{MaxItems: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list roles: %w", err)
		}
		got, err := describeEach(ctx, page.Roles, func(ctx context.Context, role iamtypes.Role) (*iamtypes.Role, error) {
			if strings.HasPrefix(aws.ToString(role.Path), "/aws-service-role/") {
				return nil, nil // service-linked: AWS's own
			}
			out, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: role.RoleName})
			if awserr.Is(err, awserr.NotFound) {
				return nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("get role %s: %w", aws.ToString(role.RoleName), err)
			}
			return out.Role, nil
		})
		if err != nil {
			return err
		}
		for _, role := range got {
			if role == nil {
				continue
			}
			tg := iamTags(role.Tags)
			if tg[tags.ManagedBy] != tags.ManagedByValue {
				continue
			}
			r := plan.Resource{
				Type: policy.IAMRole, ID: aws.ToString(role.RoleName), ARN: aws.ToString(role.Arn), Region: GlobalRegion,
				Name: aws.ToString(role.RoleName), Created: aws.ToTime(role.CreateDate), Tags: tg,
			}
			// Never used: unused since it was created.
			r.LastUsed = r.Created
			if role.RoleLastUsed != nil && role.RoleLastUsed.LastUsedDate != nil {
				r.LastUsed = *role.RoleLastUsed.LastUsedDate
			}
			yield(r)
		}
	}
	return nil
}

// actRoles deletes each role completely: out of its instance profiles
// (deleted when it was their only role), policies detached and deleted,
// then the role.
func actRoles(ctx context.Context, r *run, c Clients, p policy.Policy, items []item) {
	each(ctx, r, items, func(ctx context.Context, it item) {
		if err := deleteRole(ctx, c.IAM, it.res.ID); err != nil {
			r.add(failed(it, p.Action, err))
			return
		}
		r.add(decision(it, p.Action, report.Done, it.dec.Reason))
	})
}

func deleteRole(ctx context.Context, api IAMAPI, name string) error {
	role := aws.String(name)
	pp := iam.NewListInstanceProfilesForRolePaginator(api, &iam.ListInstanceProfilesForRoleInput{RoleName: role})
	for pp.HasMorePages() {
		page, err := pp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list instance profiles of role: %w", ignoreGone(err))
		}
		for _, ip := range page.InstanceProfiles {
			if _, err := api.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{RoleName: role, InstanceProfileName: ip.InstanceProfileName}); ignoreGone(err) != nil {
				return fmt.Errorf("remove role from instance profile %s: %w", aws.ToString(ip.InstanceProfileName), err)
			}
			if len(ip.Roles) <= 1 {
				if _, err := api.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: ip.InstanceProfileName}); ignoreGone(err) != nil {
					return fmt.Errorf("delete instance profile %s: %w", aws.ToString(ip.InstanceProfileName), err)
				}
			}
		}
	}
	ap := iam.NewListAttachedRolePoliciesPaginator(api, &iam.ListAttachedRolePoliciesInput{RoleName: role})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list attached policies: %w", ignoreGone(err))
		}
		for _, pol := range page.AttachedPolicies {
			if _, err := api.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: role, PolicyArn: pol.PolicyArn}); ignoreGone(err) != nil {
				return fmt.Errorf("detach policy %s: %w", aws.ToString(pol.PolicyArn), err)
			}
		}
	}
	ip := iam.NewListRolePoliciesPaginator(api, &iam.ListRolePoliciesInput{RoleName: role})
	for ip.HasMorePages() {
		page, err := ip.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list inline policies: %w", ignoreGone(err))
		}
		for _, name := range page.PolicyNames {
			if _, err := api.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: role, PolicyName: aws.String(name)}); ignoreGone(err) != nil {
				return fmt.Errorf("delete inline policy %s: %w", name, err)
			}
		}
	}
	if _, err := api.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: role}); ignoreGone(err) != nil {
		return fmt.Errorf("delete role: %w", err)
	}
	return nil
}

// listInstanceProfiles yields every instance profile with its state:
// "empty" without a role, else "in-use". Tags need one read each.
func listInstanceProfiles(ctx context.Context, _ *run, c Clients, _ string, _ []policy.Policy, yield func(plan.Resource)) error {
	p := iam.NewListInstanceProfilesPaginator(c.IAM, &iam.ListInstanceProfilesInput{MaxItems: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list instance profiles: %w", err)
		}
		tagsOf, err := describeEach(ctx, page.InstanceProfiles, func(ctx context.Context, ip iamtypes.InstanceProfile) (map[string]string, error) {
			out, err := c.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: ip.InstanceProfileName})
			if awserr.Is(err, awserr.NotFound) {
				return nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("get instance profile %s: %w", aws.ToString(ip.InstanceProfileName), err)
			}
			return iamTags(out.InstanceProfile.Tags), nil
		})
		if err != nil {
			return err
		}
		for i, ip := range page.InstanceProfiles {
			if tagsOf[i] == nil {
				continue // deleted meanwhile
			}
			state := "in-use"
			if len(ip.Roles) == 0 {
				state = "empty"
			}
			yield(plan.Resource{
				Type: policy.IAMInstanceProfile, ID: aws.ToString(ip.InstanceProfileName), ARN: aws.ToString(ip.Arn),
				Region: GlobalRegion, Name: aws.ToString(ip.InstanceProfileName), State: state,
				Created: aws.ToTime(ip.CreateDate), Tags: tagsOf[i],
			})
		}
	}
	return nil
}

var actInstanceProfiles = deleteEach("delete instance profile", func(ctx context.Context, c Clients, it item) error {
	_, err := c.IAM.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(it.res.ID)})
	return err
})
