// Package iamcmd holds the IAM commands: create a role for a service with
// managed policies, instance profiles, delete a role completely, list roles
// and users (with password and access-key last use).
package iamcmd

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
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
