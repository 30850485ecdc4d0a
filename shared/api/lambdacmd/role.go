package lambdacmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// ExecRoleName is the role lambda.deploy creates for a function given no roleArn.
func ExecRoleName(function string) string { return function + "-role" }

// ExecRoleDescription marks the role as deploy's own: a role a user made
// with the same name and passed as roleArn lacks it, so delete leaves it.
func ExecRoleDescription(function string) string {
	return "execution role of " + function + " (commander)"
}

// roleFate is what delete does with the function's execution role: remove
// it (Remove), or keep it for Reason. Name is empty when there is nothing
// to report (the role is already gone).
type roleFate struct {
	Name   string
	Remove bool
	Reason string
}

// execRole decides, before anything changes, whether the function's role is
// the one deploy created for it and nothing else may need: named
// <name>-role under the api's role path, with deploy's description and the managed-by tag, not
// protected, not last used from another region (Lambda is listed only in
// this one) and the role of no other function here.
func (d Deps) execRole(ctx context.Context, name string, fn *types.FunctionConfiguration, keep bool) (roleFate, error) {
	roleArn := aws.ToString(fn.Role)
	want := ExecRoleName(name)
	_, res, _ := strings.Cut(roleArn, ":role/")
	if i := strings.LastIndex(res, "/"); i >= 0 {
		res = res[i+1:] // the name, without the path
	}
	if res != want || !d.Bounds.OwnRole(roleArn) {
		return roleFate{Name: res, Reason: "not the role lambda.deploy creates for this function (" + d.Bounds.RolePath + want + "): never deleted here"}, nil
	}
	if keep {
		return roleFate{Name: want, Reason: "keepRole: true"}, nil
	}
	out, err := d.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(want)})
	if awserr.Is(err, awserr.NotFound) {
		return roleFate{}, nil
	}
	if err != nil {
		return roleFate{}, fmt.Errorf("role %s of %s: %w", want, name, err)
	}
	r := out.Role
	kept := func(reason string) (roleFate, error) { return roleFate{Name: want, Reason: reason}, nil }
	tagged := func(key string) (string, bool) {
		return tags.Lookup(r.Tags, key, func(t iamtypes.Tag) *string { return t.Key }, func(t iamtypes.Tag) *string { return t.Value })
	}
	if v, _ := tagged(tags.ManagedBy); v != tags.ManagedByValue || aws.ToString(r.Description) != ExecRoleDescription(name) {
		return kept("not created by lambda.deploy for this function (no " + tags.ManagedBy + "=" + tags.ManagedByValue + " tag or another description)")
	}
	if guard.Protected(tags.Map(r.Tags, func(t iamtypes.Tag) *string { return t.Key }, func(t iamtypes.Tag) *string { return t.Value }), d.Settings.ProtectTag) {
		return kept("protected: tagged " + d.Settings.ProtectTag)
	}
	if last := r.RoleLastUsed; last != nil && last.Region != nil {
		if fa, err := arn.Parse(aws.ToString(fn.FunctionArn)); err == nil && aws.ToString(last.Region) != fa.Region {
			return kept("last used in " + aws.ToString(last.Region) + ": it may serve a function there")
		}
	}
	pages := lambda.NewListFunctionsPaginator(d.Lambda, &lambda.ListFunctionsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return roleFate{}, fmt.Errorf("functions sharing role %s: %w", want, err)
		}
		for _, f := range page.Functions {
			if aws.ToString(f.Role) == roleArn && aws.ToString(f.FunctionName) != name {
				return kept("also the execution role of function " + aws.ToString(f.FunctionName))
			}
		}
	}
	return roleFate{Name: want, Remove: true}, nil
}
