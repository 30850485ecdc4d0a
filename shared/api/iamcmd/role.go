package iamcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TrustPolicy lets service assume the role.
func TrustPolicy(service string) string {
	b, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect": "Allow", "Principal": map[string]any{"Service": service}, "Action": "sts:AssumeRole",
		}},
	})
	return string(b)
}

func (d Deps) createRole(ctx context.Context, c *api.Call) (any, error) {
	p := c.Params
	name := p.Str("name")
	// Refused before any call: a role lands only under the role path, with
	// allow-listed policies, never tagged with protection written off.
	if err := CheckPath(d.Bounds, "path", p.Str("path")); err != nil {
		return nil, err
	}
	if err := CheckPolicies(d.Bounds, "policyArns", p.List("policyArns")); err != nil {
		return nil, err
	}
	if err := deputy.CheckTags("tags", p.Map("tags"), d.Settings.ProtectTag); err != nil {
		return nil, err
	}
	in := &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String(p.Str("path")),
		AssumeRolePolicyDocument: aws.String(TrustPolicy(p.Str("service"))), Tags: iamTags(c.Tags(p.Map("tags")))}
	if v := p.Str("description"); v != "" {
		in.Description = aws.String(v)
	}
	if d.RoleBoundary != "" {
		in.PermissionsBoundary = aws.String(d.RoleBoundary)
	}
	if c.DryRun {
		var pl api.Plan
		pl.Add("IAM.CreateRole", in)
		for _, arn := range p.List("policyArns") {
			pl.Add("IAM.AttachRolePolicy", map[string]string{"roleName": name, "policyArn": arn})
		}
		return pl, nil
	}
	out, err := d.IAM.CreateRole(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("create role %s: %w", name, err)
	}
	for _, arn := range p.List("policyArns") {
		if _, err := d.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(arn)}); err != nil {
			if _, rerr := RemoveRole(context.WithoutCancel(ctx), d.IAM, name); rerr != nil {
				return nil, fmt.Errorf("attach %s to %s: %w; the rollback failed, role %s EXISTS: %v", arn, name, err, name, rerr)
			}
			return nil, fmt.Errorf("attach %s to %s (role deleted again): %w", arn, name, err)
		}
	}
	res := map[string]any{"roleName": name, "arn": aws.ToString(out.Role.Arn), "service": p.Str("service"), "policyArns": p.List("policyArns")}
	if d.RoleBoundary != "" {
		res["permissionsBoundary"] = d.RoleBoundary
	}
	return res, nil
}

func (d Deps) deleteRole(ctx context.Context, c *api.Call) (any, error) {
	name := c.Params.Str("name")
	r, err := d.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if awserr.Is(err, awserr.NotFound) {
		return map[string]any{"roleName": name, "deleted": true, "note": "already gone"}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get role %s: %w", name, err)
	}
	if err := Protected("role "+name, r.Role.Tags, d.Settings.ProtectTag); err != nil {
		return nil, err
	}
	// Only roles the api creates (under its path): never another team's.
	if !d.Bounds.UnderRolePath(aws.ToString(r.Role.Path)) {
		return nil, deputy.Refused("name", "role "+name+" (path "+aws.ToString(r.Role.Path)+") is not one the api created", "a role under "+d.Bounds.RolePath)
	}
	if strings.HasPrefix(aws.ToString(r.Role.Path), "/aws-service-role/") {
		return nil, api.Conflictf("role %s is a service-linked role: delete it through the service that owns it", name)
	}
	if c.DryRun {
		steps, err := RoleSteps(ctx, d.IAM, name)
		if err != nil {
			return nil, err
		}
		return api.Plan{WouldCall: steps}, nil
	}
	done, err := RemoveRole(ctx, d.IAM, name)
	if err != nil {
		return nil, fmt.Errorf("%w (done before the failure: %s)", err, strings.Join(done, "; "))
	}
	return map[string]any{"roleName": name, "deleted": true, "steps": done}, nil
}

// RoleRemover is the slice of IAM that deleting a role completely calls.
type RoleRemover interface {
	iam.ListAttachedRolePoliciesAPIClient
	iam.ListRolePoliciesAPIClient
	iam.ListInstanceProfilesForRoleAPIClient
	DetachRolePolicy(ctx context.Context, in *iam.DetachRolePolicyInput, opts ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
	DeleteRolePolicy(ctx context.Context, in *iam.DeleteRolePolicyInput, opts ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
	RemoveRoleFromInstanceProfile(ctx context.Context, in *iam.RemoveRoleFromInstanceProfileInput, opts ...func(*iam.Options)) (*iam.RemoveRoleFromInstanceProfileOutput, error)
	DeleteRole(ctx context.Context, in *iam.DeleteRoleInput, opts ...func(*iam.Options)) (*iam.DeleteRoleOutput, error)
}

// RoleSteps are the calls that delete a role completely, in order: managed
// policies detached, inline ones deleted, out of its instance profiles, the
// role itself. None when the role is already gone.
func RoleSteps(ctx context.Context, iamAPI RoleRemover, name string) ([]api.Step, error) {
	var steps []api.Step
	rn := aws.String(name)
	att := iam.NewListAttachedRolePoliciesPaginator(iamAPI, &iam.ListAttachedRolePoliciesInput{RoleName: rn})
	for att.HasMorePages() {
		out, err := att.NextPage(ctx)
		if awserr.Is(err, awserr.NotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list policies of %s: %w", name, err)
		}
		for _, p := range out.AttachedPolicies {
			steps = append(steps, api.Step{Call: "IAM.DetachRolePolicy", Input: &iam.DetachRolePolicyInput{RoleName: rn, PolicyArn: p.PolicyArn}})
		}
	}
	inl := iam.NewListRolePoliciesPaginator(iamAPI, &iam.ListRolePoliciesInput{RoleName: rn})
	for inl.HasMorePages() {
		out, err := inl.NextPage(ctx)
		if awserr.Is(err, awserr.NotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list inline policies of %s: %w", name, err)
		}
		for _, p := range out.PolicyNames {
			steps = append(steps, api.Step{Call: "IAM.DeleteRolePolicy", Input: &iam.DeleteRolePolicyInput{RoleName: rn, PolicyName: aws.String(p)}})
		}
	}
	ips := iam.NewListInstanceProfilesForRolePaginator(iamAPI, &iam.ListInstanceProfilesForRoleInput{RoleName: rn})
	for ips.HasMorePages() {
		out, err := ips.NextPage(ctx)
		if awserr.Is(err, awserr.NotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list instance profiles of %s: %w", name, err)
		}
		for _, p := range out.InstanceProfiles {
			steps = append(steps, api.Step{Call: "IAM.RemoveRoleFromInstanceProfile", Input: &iam.RemoveRoleFromInstanceProfileInput{RoleName: rn, InstanceProfileName: p.InstanceProfileName}})
		}
	}
	return append(steps, api.Step{Call: "IAM.DeleteRole", Input: &iam.DeleteRoleInput{RoleName: rn}}), nil
}

// RemoveRole runs RoleSteps; a step on something already gone (the role
// itself included: no steps) counts as done. On failure it answers the
// steps done so far.
func RemoveRole(ctx context.Context, iamAPI RoleRemover, name string) ([]string, error) {
	steps, err := RoleSteps(ctx, iamAPI, name)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, s := range steps {
		switch in := s.Input.(type) {
		case *iam.DetachRolePolicyInput:
			_, err = iamAPI.DetachRolePolicy(ctx, in)
			s.Call += " " + aws.ToString(in.PolicyArn)
		case *iam.DeleteRolePolicyInput:
			_, err = iamAPI.DeleteRolePolicy(ctx, in)
			s.Call += " " + aws.ToString(in.PolicyName)
		case *iam.RemoveRoleFromInstanceProfileInput:
			_, err = iamAPI.RemoveRoleFromInstanceProfile(ctx, in)
			s.Call += " " + aws.ToString(in.InstanceProfileName)
		case *iam.DeleteRoleInput:
			_, err = iamAPI.DeleteRole(ctx, in)
		}
		if err = awserr.IgnoreNotFound(err); err != nil {
			return done, fmt.Errorf("%s: %w", s.Call, err)
		}
		done = append(done, s.Call)
	}
	return done, nil
}

// Role is a role in a listing.
type Role struct {
	Name        string     `json:"name"`
	Arn         string     `json:"arn"`
	Path        string     `json:"path"`
	Created     *time.Time `json:"created,omitempty"`
	Description string     `json:"description,omitempty"`
	TrustPolicy any        `json:"trustPolicy,omitempty"`
}

func (d Deps) listRoles(ctx context.Context, c *api.Call) (any, error) {
	max := int(c.Params.Int("maxItems"))
	list := []Role{}
	pg := iam.NewListRolesPaginator(d.IAM, &iam.ListRolesInput{PathPrefix: aws.String(c.Params.Str("pathPrefix"))})
	truncated := false
	for pg.HasMorePages() && !truncated {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list roles: %w", err)
		}
		for _, r := range out.Roles {
			if len(list) == max {
				truncated = true
				break
			}
			role := Role{Name: aws.ToString(r.RoleName), Arn: aws.ToString(r.Arn), Path: aws.ToString(r.Path), Created: r.CreateDate, Description: aws.ToString(r.Description)}
			// IAM returns the trust policy URL-encoded.
			if doc, err := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument)); err == nil {
				var v any
				if json.Unmarshal([]byte(doc), &v) == nil {
					role.TrustPolicy = v
				}
			}
			list = append(list, role)
		}
	}
	return map[string]any{"roles": list, "truncated": truncated}, nil
}
