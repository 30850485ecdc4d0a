package lambdacmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/iamcmd"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

func (d Deps) delete(ctx context.Context, c *api.Call) (any, error) {
	name := c.Params.Str("name")
	fn, err := d.changeable(ctx, name, true)
	if awserr.Is(err, awserr.NotFound) {
		return map[string]any{"name": name, "deleted": true, "note": "already gone"}, nil
	}
	if err != nil {
		return nil, err
	}
	// Decided before anything changes: once the function is gone its
	// configuration no longer says which role it used.
	role, err := d.execRole(ctx, name, fn.Configuration, c.Params.Bool("keepRole"))
	if err != nil {
		return nil, err
	}
	arn := aws.ToString(fn.Configuration.FunctionArn)
	var rules []string
	var token *string
	for {
		out, err := d.Events.ListRuleNamesByTarget(ctx, &eventbridge.ListRuleNamesByTargetInput{TargetArn: aws.String(arn), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("rules targeting %s: %w", name, err)
		}
		rules = append(rules, out.RuleNames...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	var pl api.Plan
	var detached []string
	for _, r := range rules {
		res, err := d.detach(ctx, name, arn, r, c.DryRun, &pl)
		if err != nil {
			return nil, fmt.Errorf("detach rule %s from %s: %w", r, name, err)
		}
		detached = append(detached, res)
	}
	in := &lambda.DeleteFunctionInput{FunctionName: aws.String(name)}
	if c.DryRun {
		pl.Add("Lambda.DeleteFunction", in)
		if role.Remove {
			steps, err := iamcmd.RoleSteps(ctx, d.IAM, role.Name)
			if err != nil {
				return nil, err
			}
			pl.WouldCall = append(pl.WouldCall, steps...)
		} else if role.Name != "" {
			pl.Note = "execution role " + role.Name + " kept: " + role.Reason
		}
		return pl, nil
	}
	if _, err := d.Lambda.DeleteFunction(ctx, in); awserr.IgnoreNotFound(err) != nil {
		return nil, fmt.Errorf("delete function %s: %w", name, err)
	}
	res := map[string]any{"name": name, "deleted": true, "rules": detached}
	switch {
	case role.Remove:
		done, err := iamcmd.RemoveRole(context.WithoutCancel(ctx), d.IAM, role.Name)
		if err != nil {
			// The function is gone: a retry answers "already gone", so say
			// exactly what is left and how to finish.
			return nil, fmt.Errorf("function %s deleted, but its execution role %s is LEFT (done: %s): %w; delete it with iam.deleteRole",
				name, role.Name, strings.Join(done, "; "), err)
		}
		res["deletedRole"] = role.Name
	case role.Name != "":
		res["keptRole"], res["keptRoleReason"] = role.Name, role.Reason
	}
	return res, nil
}
