package lambdacmd

import (
	"context"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// oneRole is IAM holding one role.
type oneRole struct {
	RoleAPI
	role iamtypes.Role
}

func (o oneRole) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return &iam.GetRoleOutput{Role: &o.role}, nil
}

// functions is Lambda listing these functions.
type functions struct {
	API
	list []types.FunctionConfiguration
}

func (f functions) ListFunctions(context.Context, *lambda.ListFunctionsInput, ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error) {
	return &lambda.ListFunctionsOutput{Functions: f.list}, nil
}

// The role deploy made is deleted only when nothing says it may still be
// needed; every other role is kept, with the reason.
func TestExecRole(t *testing.T) {
	const (
		fnArn   = "arn:aws:lambda:eu-west-1:123456789012:function:fn"
		roleArn = "arn:aws:iam::123456789012:role/commander/fn-role" // deploy makes it under the role path
	)
	own := func(edit func(*iamtypes.Role)) iamtypes.Role {
		r := iamtypes.Role{RoleName: aws.String("fn-role"), Arn: aws.String(roleArn), Description: aws.String(ExecRoleDescription("fn")),
			Tags: []iamtypes.Tag{{Key: aws.String(tags.ManagedBy), Value: aws.String(tags.ManagedByValue)}}}
		if edit != nil {
			edit(&r)
		}
		return r
	}
	self := types.FunctionConfiguration{FunctionName: aws.String("fn"), FunctionArn: aws.String(fnArn), Role: aws.String(roleArn)}
	cases := []struct {
		name    string
		fnRole  string
		keep    bool
		role    iamtypes.Role
		others  []types.FunctionConfiguration
		remove  bool
		because string // part of the reason it is kept
	}{
		{name: "deploy's role, used by nothing else", role: own(nil), remove: true},
		{name: "deploy's role, last used here", remove: true,
			role: own(func(r *iamtypes.Role) { r.RoleLastUsed = &iamtypes.RoleLastUsed{Region: aws.String("eu-west-1")} })},
		{name: "a role passed as roleArn", fnRole: "arn:aws:iam::123456789012:role/team-exec", because: "not the role lambda.deploy creates"},
		{name: "deploy's name outside the role path", fnRole: "arn:aws:iam::123456789012:role/fn-role", because: "not the role lambda.deploy creates"},
		{name: "deploy's name under a path", fnRole: "arn:aws:iam::123456789012:role/app/fn-role", because: "not the role lambda.deploy creates"},
		{name: "asked to keep it", keep: true, role: own(nil), because: "keepRole"},
		{name: "not tagged by commander", because: "not created by lambda.deploy",
			role: own(func(r *iamtypes.Role) { r.Tags = nil })},
		{name: "another description", because: "not created by lambda.deploy",
			role: own(func(r *iamtypes.Role) { r.Description = aws.String("made by hand") })},
		{name: "protected", because: "protected",
			role: own(func(r *iamtypes.Role) {
				r.Tags = append(r.Tags, iamtypes.Tag{Key: aws.String(tags.Protect), Value: aws.String("TRUE")})
			})},
		{name: "last used in another region", because: "last used in us-east-1",
			role: own(func(r *iamtypes.Role) { r.RoleLastUsed = &iamtypes.RoleLastUsed{Region: aws.String("us-east-1")} })},
		{name: "another function runs as it", role: own(nil), because: "also the execution role of function twin",
			others: []types.FunctionConfiguration{{FunctionName: aws.String("twin"), Role: aws.String(roleArn)}}},
		{name: "other functions run as other roles", role: own(nil), remove: true,
			others: []types.FunctionConfiguration{{FunctionName: aws.String("else"), Role: aws.String("arn:aws:iam::123456789012:role/else-role")}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Deps{IAM: oneRole{role: tc.role}, Lambda: functions{list: append([]types.FunctionConfiguration{self}, tc.others...)},
				Settings: settings.Settings{ProtectTag: tags.Protect}, Bounds: deputy.Bounds{RolePath: "/commander/"}}
			fn := self
			if tc.fnRole != "" {
				fn.Role = aws.String(tc.fnRole)
			}
			got, err := d.execRole(context.Background(), "fn", &fn, tc.keep)
			if err != nil {
				t.Fatal(err)
			}
			if got.Remove != tc.remove || (!tc.remove && !strings.Contains(got.Reason, tc.because)) || got.Name == "" {
				t.Errorf("fate = %+v, want remove %v because %q", got, tc.remove, tc.because)
			}
		})
	}
}
