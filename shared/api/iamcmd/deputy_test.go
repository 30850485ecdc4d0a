package iamcmd

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// roles is IAM holding some roles and profiles; any write is recorded.
type roles struct {
	API
	byName   map[string]types.Role
	profiles map[string]types.InstanceProfile
	writes   *[]string
}

func (r roles) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	role, ok := r.byName[aws.ToString(in.RoleName)]
	if !ok {
		return nil, &types.NoSuchEntityException{Message: aws.String("no role")}
	}
	return &iam.GetRoleOutput{Role: &role}, nil
}

func (r roles) GetInstanceProfile(_ context.Context, in *iam.GetInstanceProfileInput, _ ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error) {
	p, ok := r.profiles[aws.ToString(in.InstanceProfileName)]
	if !ok {
		return nil, &types.NoSuchEntityException{Message: aws.String("no profile")}
	}
	return &iam.GetInstanceProfileOutput{InstanceProfile: &p}, nil
}

func (r roles) CreateRole(context.Context, *iam.CreateRoleInput, ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
	*r.writes = append(*r.writes, "CreateRole")
	return nil, errors.New("stop here")
}

func (r roles) CreateInstanceProfile(context.Context, *iam.CreateInstanceProfileInput, ...func(*iam.Options)) (*iam.CreateInstanceProfileOutput, error) {
	*r.writes = append(*r.writes, "CreateInstanceProfile")
	return nil, errors.New("stop here")
}

func (r roles) DeleteInstanceProfile(context.Context, *iam.DeleteInstanceProfileInput, ...func(*iam.Options)) (*iam.DeleteInstanceProfileOutput, error) {
	*r.writes = append(*r.writes, "DeleteInstanceProfile")
	return nil, errors.New("stop here")
}

func (r roles) ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	*r.writes = append(*r.writes, "(deleting)")
	return nil, errors.New("stop here")
}

func role(path, name string, t ...string) types.Role {
	r := types.Role{RoleName: aws.String(name), Path: aws.String(path), Arn: aws.String("arn:aws:iam::123456789012:role" + path + name)}
	for i := 0; i+1 < len(t); i += 2 {
		r.Tags = append(r.Tags, types.Tag{Key: aws.String(t[i]), Value: aws.String(t[i+1])})
	}
	return r
}

// The IAM commands refuse, before any write, a path outside the role path,
// a policy off the allow-list, an unpassable role in a profile, protection
// written off, and protected roles and profiles (the key in any case).
func TestIAMOutOfBounds(t *testing.T) {
	b := deputy.Bounds{RolePath: "/commander/prod/", PassableRoles: []string{"arn:aws:iam::123456789012:role/team/listed"},
		AttachablePolicies: []string{"arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"}}
	iamState := func(w *[]string) roles {
		return roles{writes: w, byName: map[string]types.Role{
			"admin":    role("/", "admin"),
			"own":      role("/commander/prod/", "own"),
			"listed":   role("/team/", "listed"),
			"guarded":  role("/commander/prod/", "guarded", "Commander:Protect", "true"),
			"unlocked": role("/commander/prod/", "unlocked", tags.Protect, "false"),
		}, profiles: map[string]types.InstanceProfile{
			"guarded": {InstanceProfileName: aws.String("guarded"), Path: aws.String("/commander/prod/"), Tags: []types.Tag{{Key: aws.String(" commander:protect "), Value: aws.String("yes")}}},
			"foreign": {InstanceProfileName: aws.String("foreign"), Path: aws.String("/")},
		}}
	}
	ec2 := func(extra api.Params) api.Params {
		p := api.Params{"name": "app", "service": "ec2.amazonaws.com", "path": "/commander/prod/"}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}
	cases := []struct {
		name   string
		action string
		params api.Params
		status int // 0: allowed up to the first write
		field  string
		want   string
	}{
		{"a role at /", "iam.createRole", ec2(api.Params{"path": "/"}), 403, "path", "outside the api's role path"},
		{"a role under another stage", "iam.createRole", ec2(api.Params{"path": "/commander/dev/"}), 403, "path", "/commander/prod/"},
		{"AmazonEC2FullAccess", "iam.createRole", ec2(api.Params{"policyArns": []string{"arn:aws:iam::aws:policy/AmazonEC2FullAccess"}}), 403, "policyArns", "AmazonEC2ReadOnlyAccess"},
		{"SecretsManagerReadWrite after an allowed one", "iam.createRole", ec2(api.Params{"policyArns": []string{"arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess", "arn:aws:iam::aws:policy/SecretsManagerReadWrite"}}), 403, "policyArns", "SecretsManagerReadWrite"},
		{"AdministratorAccess", "iam.createRole", ec2(api.Params{"policyArns": []string{"arn:aws:iam::aws:policy/AdministratorAccess"}}), 403, "policyArns", "AdministratorAccess"},
		{"protection written off", "iam.createRole", ec2(api.Params{"tags": map[string]string{"COMMANDER:PROTECT": "false"}}), 400, "tags", "does not protect"},
		{"an allowed role", "iam.createRole", ec2(api.Params{"policyArns": []string{"arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"}}), 0, "", ""},
		{"a profile around an admin role", "iam.createInstanceProfile", api.Params{"name": "p", "role": "admin", "path": "/commander/prod/"}, 403, "role", "role/admin"},
		{"a profile at /", "iam.createInstanceProfile", api.Params{"name": "p", "role": "own", "path": "/"}, 403, "path", "outside"},
		{"a profile around its own role", "iam.createInstanceProfile", api.Params{"name": "p", "role": "own", "path": "/commander/prod/"}, 0, "", ""},
		{"a profile around a listed role", "iam.createInstanceProfile", api.Params{"name": "p", "role": "listed", "path": "/commander/prod/"}, 0, "", ""},
		{"deleting a role protected in another case", "iam.deleteRole", api.Params{"name": "guarded"}, 409, "", "protect"},
		{"deleting a role whose protection is false", "iam.deleteRole", api.Params{"name": "unlocked"}, 0, "", ""},
		{"deleting a profile protected with padding", "iam.deleteInstanceProfile", api.Params{"name": "guarded"}, 409, "", "protect"},
		{"deleting another team's role", "iam.deleteRole", api.Params{"name": "admin"}, 403, "name", "not one the api created"},
		{"deleting another team's profile", "iam.deleteInstanceProfile", api.Params{"name": "foreign"}, 403, "name", "not one the api created"},
	}
	for _, tc := range cases {
		for _, dry := range []bool{false, true} {
			name := tc.name
			if dry {
				name += " (dry run)"
			}
			t.Run(name, func(t *testing.T) {
				var writes []string
				d := Deps{IAM: iamState(&writes), Settings: settings.Settings{ProtectTag: tags.Protect}, Bounds: b}
				var cmd *api.Command
				for _, c := range Commands(d) {
					if c.Action == tc.action {
						cmd = &c
					}
				}
				_, err := cmd.Run(context.Background(), &api.Call{Action: tc.action, Params: tc.params, DryRun: dry, Caller: "test", Now: time.Now()})
				if tc.status == 0 {
					if err != nil && !strings.Contains(err.Error(), "stop here") {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				var e *api.Error
				if !errors.As(err, &e) || e.Status != tc.status || e.Field != tc.field || !strings.Contains(e.Message, tc.want) {
					t.Fatalf("err = %v, want %d naming %q with %q", err, tc.status, tc.field, tc.want)
				}
				if len(writes) > 0 {
					t.Errorf("wrote %v before refusing", writes)
				}
			})
		}
	}
}
