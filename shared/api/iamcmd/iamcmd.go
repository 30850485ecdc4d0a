// Package iamcmd holds the IAM commands: create a role for a service with
// managed policies, instance profiles, delete a role completely, list roles
// and users (with password and access-key last use).
package iamcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/aws-commander/commander/shared/tags"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// API is the slice of IAM these commands call.
type API interface {
	RoleRemover
	iam.ListRolesAPIClient
	iam.ListUsersAPIClient
	iam.ListAccessKeysAPIClient
	CreateRole(ctx context.Context, in *iam.CreateRoleInput, opts ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	GetRole(ctx context.Context, in *iam.GetRoleInput, opts ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	AttachRolePolicy(ctx context.Context, in *iam.AttachRolePolicyInput, opts ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
	CreateInstanceProfile(ctx context.Context, in *iam.CreateInstanceProfileInput, opts ...func(*iam.Options)) (*iam.CreateInstanceProfileOutput, error)
	GetInstanceProfile(ctx context.Context, in *iam.GetInstanceProfileInput, opts ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error)
	AddRoleToInstanceProfile(ctx context.Context, in *iam.AddRoleToInstanceProfileInput, opts ...func(*iam.Options)) (*iam.AddRoleToInstanceProfileOutput, error)
	DeleteInstanceProfile(ctx context.Context, in *iam.DeleteInstanceProfileInput, opts ...func(*iam.Options)) (*iam.DeleteInstanceProfileOutput, error)
	GetAccessKeyLastUsed(ctx context.Context, in *iam.GetAccessKeyLastUsedInput, opts ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
}

// Deps are what the commands are built from.
type Deps struct {
	IAM      API
	Settings settings.Settings
	// RoleBoundary is the permissions boundary every role iam.createRole makes
	// carries (BoundaryFromEnv); empty: none, as locally and in the demo.
	RoleBoundary string
	// Bounds are the api's limits: roles and profiles are created under
	// Bounds.RolePath, attach only Bounds.AttachablePolicies and profiles
	// hold only passable roles. Zero Bounds refuse all of these.
	Bounds deputy.Bounds
}

// BoundaryEnv names the variable holding the role boundary's ARN. The stack
// sets it: its api role may create roles only with that boundary, so a role
// made through this tool can never hold more than the boundary allows, whatever
// managed policies a caller attaches to it.
const BoundaryEnv = "COMMANDER_ROLE_BOUNDARY_ARN"

// boundaryRE is a customer managed policy ARN: the boundary is the stack's own
// policy, never an AWS managed one it could not control.
var boundaryRE = regexp.MustCompile(`^arn:aws[\w-]*:iam::\d{12}:policy/(?:[\w+=,.@-]+/)*[\w+=,.@-]+$`)

// BoundaryFromEnv reads COMMANDER_ROLE_BOUNDARY_ARN at start: empty when
// unset, an error naming the variable when it is not an IAM policy ARN.
func BoundaryFromEnv(get func(string) string) (string, error) {
	e := settings.NewEnv(get)
	v := e.Match(BoundaryEnv, "", boundaryRE, "an IAM policy ARN such as arn:aws:iam::123456789012:policy/commander-prod-role-boundary, or empty for roles without a permissions boundary")
	return v, e.Err()
}

var (
	// Length limits are checked apart from the patterns (api.Bound): a
	// counted repetition such as {1,512} costs every cold start.
	roleNameRE  = api.Bound(`^[\w+=,.@-]+$`, 64)
	profileRE   = api.Bound(`^[\w+=,.@-]+$`, 128)
	serviceRE   = regexp.MustCompile(`^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$`)
	policyArnRE = api.Bound(`^arn:aws[\w-]*:iam::(?:aws|\d{12}):policy/([\w+=,.@/-]+)$`, 0, 512) // the policy's path and name
	pathRE      = api.Bound(`^/(?:[\x21-\x7e]*/)?$`, 512)                                        // / and at most 510 between
	descRE      = api.Bound(`^[\x{0009}\x{000A}\x{000D}\x{0020}-\x{007E}\x{00A1}-\x{00FF}]*$`, 1000)
)

// Commands are the IAM commands.
func Commands(d Deps) []api.Command {
	return []api.Command{
		{Action: "iam.createRole", Method: http.MethodPost, Path: "/iam/roles", Mutates: true,
			Summary: "Create a role a service assumes (e.g. ec2.amazonaws.com) with managed policies; rolled back if an attachment fails.",
			Params: []api.Param{
				{Name: "name", Type: api.String, Required: true, Pattern: roleNameRE, Accepts: "1 to 64 letters, digits or +=,.@_-"},
				{Name: "service", Type: api.String, Required: true, Pattern: serviceRE, Accepts: "a service principal such as ec2.amazonaws.com or lambda.amazonaws.com"},
				{Name: "policyArns", Type: api.List, Max: 20, Pattern: policyArnRE, Accepts: "managed policy ARNs such as arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"},
				{Name: "description", Type: api.String, Pattern: descRE, Accepts: "up to 1000 printable characters"},
				{Name: "path", Type: api.String, Default: d.Bounds.RolePath, Pattern: pathRE, Accepts: "an IAM path under the api's role path " + d.Bounds.RolePath},
				api.Tags(""),
			}, Run: d.createRole},
		{Action: "iam.createInstanceProfile", Method: http.MethodPost, Path: "/iam/instance-profiles", Mutates: true,
			Summary: "Create an instance profile holding a role (for ec2.launch's instanceProfile).",
			Params: []api.Param{
				{Name: "name", Type: api.String, Required: true, Pattern: profileRE, Accepts: "1 to 128 letters, digits or +=,.@_-"},
				{Name: "role", Type: api.String, Required: true, Pattern: roleNameRE, Accepts: "the name of a role the api may pass: one it created, or one the stage lists"},
				{Name: "path", Type: api.String, Default: d.Bounds.RolePath, Pattern: pathRE, Accepts: "an IAM path under the api's role path " + d.Bounds.RolePath},
			}, Run: d.createInstanceProfile},
		{Action: "iam.deleteRole", Method: http.MethodDelete, Path: "/iam/roles/{name}", Mutates: true,
			Summary: "Delete a role the api created (under its role path) completely: detach managed policies, delete inline policies, remove it from instance profiles, delete it. Refused when protected.",
			Params:  []api.Param{{Name: "name", Type: api.String, Required: true, Pattern: roleNameRE, Accepts: "a role name"}}, Run: d.deleteRole},
		{Action: "iam.deleteInstanceProfile", Method: http.MethodDelete, Path: "/iam/instance-profiles/{name}", Mutates: true,
			Summary: "Delete an instance profile the api created (under its role path); its roles are removed from it, not deleted. Refused when protected.",
			Params:  []api.Param{{Name: "name", Type: api.String, Required: true, Pattern: profileRE, Accepts: "an instance profile name"}}, Run: d.deleteInstanceProfile},
		{Action: "iam.listRoles", Method: http.MethodGet, Path: "/iam/roles", Summary: "List roles under a path prefix.",
			Params: []api.Param{{Name: "pathPrefix", Type: api.String, Default: "/", Pattern: pathRE, Accepts: "an IAM path such as /"},
				{Name: "maxItems", Type: api.Int, Min: 1, Max: 1000, Default: int64(100)}}, Run: d.listRoles},
		{Action: "iam.listUsers", Method: http.MethodGet, Path: "/iam/users", Summary: "List users with password and access-key last use.",
			Params: []api.Param{{Name: "pathPrefix", Type: api.String, Default: "/", Pattern: pathRE, Accepts: "an IAM path such as /"},
				{Name: "maxItems", Type: api.Int, Min: 1, Max: 200, Default: int64(100)}}, Run: d.listUsers},
	}
}

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

func iamTags(m map[string]string) []types.Tag {
	return tags.List(m, func(k, v *string) types.Tag { return types.Tag{Key: k, Value: v} })
}

// CheckPath refuses an IAM path outside the api's role path (parameter field).
func CheckPath(b deputy.Bounds, field, path string) error {
	if !b.UnderRolePath(path) {
		return deputy.Refused(field, fmt.Sprintf("path %q is outside the api's role path", path), "an IAM path under "+b.RolePath)
	}
	return nil
}

// CheckPolicies refuses any managed policy not on the stage's allow-list.
func CheckPolicies(b deputy.Bounds, field string, arns []string) error {
	for _, arn := range arns {
		if !b.AttachablePolicy(arn) {
			return deputy.Refused(field, fmt.Sprintf("%s is not on the stage's list of attachable policies", arn),
				"only these managed policies: "+strings.Join(b.AttachablePolicies, ", "))
		}
	}
	return nil
}

// Protected answers the protection refusal when tags protect the resource
// (guard.Protected: the key in any case, any value but false).
func Protected(resource string, t []types.Tag, key string) error {
	return api.RefuseProtected(resource, tags.Map(t, func(t types.Tag) *string { return t.Key }, func(t types.Tag) *string { return t.Value }), key)
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

func (d Deps) createInstanceProfile(ctx context.Context, c *api.Call) (any, error) {
	p := c.Params
	name, role := p.Str("name"), p.Str("role")
	if err := CheckPath(d.Bounds, "path", p.Str("path")); err != nil {
		return nil, err
	}
	in := &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name), Path: aws.String(p.Str("path")), Tags: iamTags(c.Tags(nil))}
	// The one read-only lookup before the refusal: the role's ARN (its path)
	// says whether the api may pass it; a dry run checks it too.
	r, err := d.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
	if err != nil {
		return nil, fmt.Errorf("role %s: %w", role, err)
	}
	if arn := aws.ToString(r.Role.Arn); !d.Bounds.PassableRole(arn) {
		return nil, deputy.Refused("role", arn+" is neither a role the api created nor one the stage lists",
			"a role under "+d.Bounds.RolePath+" or one of the stage's passable roles")
	}
	if c.DryRun {
		var pl api.Plan
		pl.Add("IAM.CreateInstanceProfile", in)
		pl.Add("IAM.AddRoleToInstanceProfile", map[string]string{"instanceProfileName": name, "roleName": role})
		return pl, nil
	}
	out, err := d.IAM.CreateInstanceProfile(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("create instance profile %s: %w", name, err)
	}
	if _, err := d.IAM.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: aws.String(role)}); err != nil {
		if _, derr := d.IAM.DeleteInstanceProfile(context.WithoutCancel(ctx), &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(name)}); derr != nil {
			return nil, fmt.Errorf("add role %s to %s: %w; the rollback failed, profile %s EXISTS without a role: %v", role, name, err, name, derr)
		}
		return nil, fmt.Errorf("add role %s to %s (profile deleted again): %w", role, name, err)
	}
	return map[string]any{"instanceProfileName": name, "arn": aws.ToString(out.InstanceProfile.Arn), "role": role}, nil
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

func (d Deps) deleteInstanceProfile(ctx context.Context, c *api.Call) (any, error) {
	name := c.Params.Str("name")
	out, err := d.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if awserr.Is(err, awserr.NotFound) {
		return map[string]any{"instanceProfileName": name, "deleted": true, "note": "already gone"}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get instance profile %s: %w", name, err)
	}
	if err := Protected("instance profile "+name, out.InstanceProfile.Tags, d.Settings.ProtectTag); err != nil {
		return nil, err
	}
	if !d.Bounds.UnderRolePath(aws.ToString(out.InstanceProfile.Path)) {
		return nil, deputy.Refused("name", "instance profile "+name+" (path "+aws.ToString(out.InstanceProfile.Path)+") is not one the api created", "an instance profile under "+d.Bounds.RolePath)
	}
	var pl api.Plan
	for _, r := range out.InstanceProfile.Roles {
		pl.Add("IAM.RemoveRoleFromInstanceProfile", &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: r.RoleName})
	}
	pl.Add("IAM.DeleteInstanceProfile", &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if c.DryRun {
		return pl, nil
	}
	for _, r := range out.InstanceProfile.Roles {
		if _, err := d.IAM.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: r.RoleName}); awserr.IgnoreNotFound(err) != nil {
			return nil, fmt.Errorf("remove role %s from %s: %w", aws.ToString(r.RoleName), name, err)
		}
	}
	if _, err := d.IAM.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(name)}); awserr.IgnoreNotFound(err) != nil {
		return nil, fmt.Errorf("delete instance profile %s: %w", name, err)
	}
	return map[string]any{"instanceProfileName": name, "deleted": true}, nil
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

// User is a user in a listing.
type User struct {
	Name             string      `json:"name"`
	Arn              string      `json:"arn"`
	Created          *time.Time  `json:"created,omitempty"`
	PasswordLastUsed *time.Time  `json:"passwordLastUsed,omitempty"`
	AccessKeys       []AccessKey `json:"accessKeys"`
}

// AccessKey is a user's key and its last use.
type AccessKey struct {
	ID       string     `json:"accessKeyId"`
	Status   string     `json:"status"`
	Created  *time.Time `json:"created,omitempty"`
	LastUsed *time.Time `json:"lastUsed,omitempty"`
	Service  string     `json:"lastUsedService,omitempty"`
}

func (d Deps) listUsers(ctx context.Context, c *api.Call) (any, error) {
	max := int(c.Params.Int("maxItems"))
	list := []User{}
	pg := iam.NewListUsersPaginator(d.IAM, &iam.ListUsersInput{PathPrefix: aws.String(c.Params.Str("pathPrefix"))})
	truncated := false
	for pg.HasMorePages() && !truncated {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		for _, u := range out.Users {
			if len(list) == max {
				truncated = true
				break
			}
			user := User{Name: aws.ToString(u.UserName), Arn: aws.ToString(u.Arn), Created: u.CreateDate, PasswordLastUsed: u.PasswordLastUsed, AccessKeys: []AccessKey{}}
			kp := iam.NewListAccessKeysPaginator(d.IAM, &iam.ListAccessKeysInput{UserName: u.UserName})
			for kp.HasMorePages() {
				ko, err := kp.NextPage(ctx)
				if err != nil {
					return nil, fmt.Errorf("list access keys of %s: %w", user.Name, err)
				}
				for _, k := range ko.AccessKeyMetadata {
					key := AccessKey{ID: aws.ToString(k.AccessKeyId), Status: string(k.Status), Created: k.CreateDate}
					lu, err := d.IAM.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})
					if err != nil {
						return nil, fmt.Errorf("last use of key %s: %w", key.ID, err)
					}
					if lu.AccessKeyLastUsed != nil {
						key.LastUsed, key.Service = lu.AccessKeyLastUsed.LastUsedDate, aws.ToString(lu.AccessKeyLastUsed.ServiceName)
					}
					user.AccessKeys = append(user.AccessKeys, key)
				}
			}
			list = append(list, user)
		}
	}
	return map[string]any{"users": list, "truncated": truncated}, nil
}
