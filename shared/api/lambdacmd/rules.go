package lambdacmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// StatementID is the invoke permission commander adds for a rule.
func StatementID(rule string) string { return "commander-" + rule }

// TargetID is the id of the function's target on a rule commander attached.
const TargetID = "commander"

func (d Deps) managedRule(ctx context.Context, arn string) (bool, error) {
	out, err := d.Events.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
	if err != nil {
		return false, fmt.Errorf("tags of rule %s: %w", arn, err)
	}
	for _, t := range out.Tags {
		if aws.ToString(t.Key) == tags.ManagedBy && aws.ToString(t.Value) == tags.ManagedByValue {
			return true, nil
		}
	}
	return false, nil
}

func (d Deps) attachRule(ctx context.Context, c *api.Call) (any, error) {
	p := c.Params
	name, rule := p.Str("name"), p.Str("rule")
	sched, pattern := p.Str("schedule"), p.Raw("eventPattern")
	if (sched == "") == (pattern == nil) {
		return nil, api.Invalid("schedule", "exactly one of schedule (rate(...) or cron(...)) and eventPattern")
	}
	// Invoke wiring (AddPermission, PutTargets) only for functions commander deployed.
	fn, err := d.changeable(ctx, name, false)
	if err != nil {
		return nil, err
	}
	arn := aws.ToString(fn.Configuration.FunctionArn)
	put := &eventbridge.PutRuleInput{Name: aws.String(rule), State: ebtypes.RuleStateEnabled, Tags: ebTags(c.Tags(nil))}
	if sched != "" {
		put.ScheduleExpression = aws.String(sched)
	} else {
		put.EventPattern = aws.String(string(pattern))
	}
	if v := p.Str("description"); v != "" {
		put.Description = aws.String(v)
	}
	// Every check runs before the dry run branches off, so a plan is
	// refused exactly when the run would be.
	if _, err := d.Events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(rule)}); err == nil {
		return nil, api.Conflictf("rule %s already exists: choose another name, or detach it first", rule)
	} else if !awserr.Is(err, awserr.NotFound) {
		return nil, fmt.Errorf("check rule %s: %w", rule, err)
	}
	if c.DryRun {
		var pl api.Plan
		pl.Add("EventBridge.PutRule", put)
		pl.Add("Lambda.AddPermission", map[string]string{"functionName": name, "statementId": StatementID(rule), "principal": "events.amazonaws.com"})
		pl.Add("EventBridge.PutTargets", map[string]string{"rule": rule, "id": TargetID, "arn": arn})
		return pl, nil
	}
	out, err := d.Events.PutRule(ctx, put)
	if err != nil {
		return nil, fmt.Errorf("create rule %s: %w", rule, err)
	}
	ruleArn := aws.ToString(out.RuleArn)
	undo := func(cause error, permission bool) error {
		ctx := context.WithoutCancel(ctx)
		if permission {
			d.Lambda.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(name), StatementId: aws.String(StatementID(rule))})
		}
		if _, err := d.Events.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(rule)}); awserr.IgnoreNotFound(err) != nil {
			return fmt.Errorf("%w; the rollback failed, rule %s EXISTS: %v", cause, rule, err)
		}
		return fmt.Errorf("%w (rule %s deleted again)", cause, rule)
	}
	if _, err := d.Lambda.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String(name), StatementId: aws.String(StatementID(rule)),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("events.amazonaws.com"), SourceArn: aws.String(ruleArn)}); err != nil {
		return nil, undo(fmt.Errorf("grant invoke to %s: %w", rule, err), false)
	}
	tout, err := d.Events.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(rule), Targets: []ebtypes.Target{{Id: aws.String(TargetID), Arn: aws.String(arn)}}})
	if err == nil && tout.FailedEntryCount > 0 {
		err = fmt.Errorf("%s: %s", aws.ToString(tout.FailedEntries[0].ErrorCode), aws.ToString(tout.FailedEntries[0].ErrorMessage))
	}
	if err != nil {
		return nil, undo(fmt.Errorf("target %s from %s: %w", name, rule, err), true)
	}
	return map[string]any{"rule": rule, "ruleArn": ruleArn, "function": arn, "statementId": StatementID(rule)}, nil
}

func (d Deps) detachRule(ctx context.Context, c *api.Call) (any, error) {
	name, rule := c.Params.Str("name"), c.Params.Str("rule")
	fn, err := d.changeable(ctx, name, false)
	if err != nil {
		return nil, err
	}
	var pl api.Plan
	res, err := d.detach(ctx, name, aws.ToString(fn.Configuration.FunctionArn), rule, c.DryRun, &pl)
	if err != nil {
		return nil, err
	}
	if c.DryRun {
		return pl, nil
	}
	return map[string]any{"rule": rule, "function": name, "result": res}, nil
}

// detach removes the function's targets from rule and its invoke
// permission, and deletes the rule when commander made it and nothing else
// is left on it. It answers what it did (or, dry, adds it to pl).
func (d Deps) detach(ctx context.Context, name, arn, rule string, dry bool, pl *api.Plan) (string, error) {
	r, err := d.Events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(rule)})
	if awserr.Is(err, awserr.NotFound) {
		return rule + ": already gone", nil
	}
	if err != nil {
		return "", fmt.Errorf("rule %s: %w", rule, err)
	}
	targets, err := d.Events.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(rule)})
	if err != nil {
		return "", fmt.Errorf("targets of %s: %w", rule, err)
	}
	var ids []string
	for _, t := range targets.Targets {
		if aws.ToString(t.Arn) == arn || strings.HasPrefix(aws.ToString(t.Arn), arn+":") {
			ids = append(ids, aws.ToString(t.Id))
		}
	}
	managed, err := d.managedRule(ctx, aws.ToString(r.Arn))
	if err != nil {
		return "", err
	}
	deleteRule := managed && len(ids) == len(targets.Targets)
	rm := &eventbridge.RemoveTargetsInput{Rule: aws.String(rule), Ids: ids}
	perm := &lambda.RemovePermissionInput{FunctionName: aws.String(name), StatementId: aws.String(StatementID(rule))}
	del := &eventbridge.DeleteRuleInput{Name: aws.String(rule)}
	if dry {
		if len(ids) > 0 {
			pl.Add("EventBridge.RemoveTargets", rm)
		}
		pl.Add("Lambda.RemovePermission", perm)
		if deleteRule {
			pl.Add("EventBridge.DeleteRule", del)
		}
		return "", nil
	}
	if len(ids) > 0 {
		if _, err := d.Events.RemoveTargets(ctx, rm); awserr.IgnoreNotFound(err) != nil {
			return "", fmt.Errorf("remove targets from %s: %w", rule, err)
		}
	}
	if _, err := d.Lambda.RemovePermission(ctx, perm); awserr.IgnoreNotFound(err) != nil {
		return "", fmt.Errorf("remove permission %s: %w", StatementID(rule), err)
	}
	if !deleteRule {
		return rule + ": target removed, rule kept (not made by commander or has other targets)", nil
	}
	if _, err := d.Events.DeleteRule(ctx, del); awserr.IgnoreNotFound(err) != nil {
		return "", fmt.Errorf("delete rule %s: %w", rule, err)
	}
	return rule + ": deleted", nil
}

func ebTags(m map[string]string) []ebtypes.Tag {
	return tags.List(m, func(k, v *string) ebtypes.Tag { return ebtypes.Tag{Key: k, Value: v} })
}
