package stack

import (
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// AddChecks applies cdk-nag's AwsSolutions pack to everything under scope;
// findings become error or warning annotations at synth.
func AddChecks(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// suppressions lists every cdk-nag finding the design accepts, each with the
// reason; anything else fails synth and the tests.
func (s *Stack) suppressions() {
	policies := Policies(s.Config)
	for name, role := range s.Roles {
		cdknag.NagSuppressions_AddResourceSuppressions(role, WildcardSuppressions(policies[name]), jsii.Bool(true))
	}
	cdknag.NagSuppressions_AddResourceSuppressions(s.Boundary, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("This policy is the permissions boundary of the roles the api creates, attached to no identity: a boundary grants nothing, " +
			"it caps what a role's own policies grant. Its Allow of * on * is the cap's outer edge; its Deny statements remove IAM writes, " +
			"sts:AssumeRole, organizations:*, account:* and every action on this stage's own resources."),
		AppliesTo: &[]any{"Action::*", "Resource::*"},
	}}, jsii.Bool(false))
	// A path parameter is a * in an execute-api ARN; the operator's grant is
	// every route of this one API, which is what the policy is for.
	cdknag.NagSuppressions_AddResourceSuppressions(s.Callers["reader"], &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("Each resource is one GET route of this stage's HTTP API; a path parameter ({id}, {bucket}, {key+}) is a * in an execute-api ARN."),
		AppliesTo: &[]any{map[string]any{"regex": "/^Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<HttpApi[0-9A-F]+>\\/\\*\\/GET\\/.*$/g"}},
	}}, jsii.Bool(false))
	cdknag.NagSuppressions_AddResourceSuppressions(s.Callers["operator"], &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("The operator policy grants every command of this stage's HTTP API (every stage, method and route of this one API), which is what an operator is; grant single routes for less."),
		AppliesTo: &[]any{map[string]any{"regex": "/^Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<HttpApi[0-9A-F]+>\\/\\*\\/\\*\\/\\*$/g"}},
	}}, jsii.Bool(false))
	// A stack ARN ends in its id, a UUID CloudFormation assigns: * stands for it.
	for _, p := range []string{"reader", "operator"} {
		cdknag.NagSuppressions_AddResourceSuppressions(s.Callers[p], &[]*cdknag.NagPackSuppression{{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("cloudformation:DescribeStacks on this stack only, where the commander CLI reads the API's URL; the * is the stack id CloudFormation assigns."),
			AppliesTo: &[]any{"Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/<AWS::StackName>/*"},
		}}, jsii.Bool(false))
	}
	cdknag.NagSuppressions_AddResourceSuppressions(s.DLQ, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is itself the dead-letter queue of the functions, the schedules and the alarm rule; a queue behind it would only hide failures from the depth alarm."),
	}}, jsii.Bool(false))
	// The Scheduler target role CDK creates may invoke the function and its versions (ARN:*).
	cdknag.NagSuppressions_AddStackSuppressions(s.Stack, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("The Scheduler target role that CDK creates allows lambda:InvokeFunction on the backup, cleanup and scheduler functions and their versions (function ARN and ARN:*), nothing else."),
		AppliesTo: &[]any{
			map[string]any{"regex": "/^Resource::<(Backup|Cleanup|Scheduler)Function[0-9A-F]+\\.Arn>:\\*$/g"},
		},
	}}, jsii.Bool(false))
}

// WildcardSuppressions are the AwsSolutions-IAM5 suppressions of one role's
// statements: one per wildcard resource, applying to that resource only and
// naming the actions it grants and why, so the template says of every
// wildcard what it is for, and a wildcard of another role is not covered.
func WildcardSuppressions(stmts []Statement) *[]*cdknag.NagPackSuppression {
	type grant struct {
		actions, keys, destructive []string
	}
	grants, order := map[string]*grant{}, []string{}
	for _, st := range stmts {
		if st.Deny {
			continue
		}
		for _, r := range st.Resources {
			if !strings.Contains(r, "*") {
				continue
			}
			g := grants[r]
			if g == nil {
				g = &grant{}
				grants[r], order = g, append(order, r)
			}
			g.actions = append(g.actions, st.Actions...)
			for _, kv := range st.Conditions {
				for k := range kv {
					g.keys = append(g.keys, k)
				}
			}
			for _, a := range st.Actions {
				if slices.Contains(Destructive, a) {
					g.destructive = append(g.destructive, a)
				}
			}
		}
	}
	out := []*cdknag.NagPackSuppression{}
	for _, r := range order {
		g := grants[r]
		for _, l := range []*[]string{&g.actions, &g.keys, &g.destructive} {
			slices.Sort(*l)
			*l = slices.Compact(*l)
		}
		applies, what := wildcardFinding(r)
		reason := strings.Join(g.actions, ", ") + " on " + what + ": " + wildcardWhy(r, g.keys, g.destructive)
		out = append(out, &cdknag.NagPackSuppression{Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String(reason), AppliesTo: &[]any{applies}})
	}
	return &out
}

// wildcardFinding is the finding cdk-nag reports for resource r (tokens such
// as the partition and account render as <AWS::…>, whatever the region).
func wildcardFinding(r string) (applies any, what string) {
	if r == "*" {
		return "Resource::*", "Resource *"
	}
	parts := strings.SplitN(r, ":", 6)
	if len(parts) < 6 {
		return "Resource::" + r, r
	}
	service, rest := parts[2], parts[5]
	body := "^Resource::arn:<AWS::Partition>:" + regexp.QuoteMeta(service) + ":(<AWS::Region>|[*a-z0-9-]*):(<AWS::AccountId>|[0-9]*):" + regexp.QuoteMeta(rest) + "$"
	return map[string]any{"regex": "/" + strings.ReplaceAll(body, "/", `\/`) + "/g"}, service + " " + rest
}

func wildcardWhy(r string, keys, destructive []string) string {
	var why string
	switch {
	case r == "*":
		why = "these are Describe, List, Get and metric calls, which support no resource-level permission, or actions whose condition keys below scope them (TestResourceStarOnlyWhereNeeded)"
	default:
		why = "the function acts on the resources it selects at run time (by tag, age or the caller's request) within this account, so the ARN ends in a wildcard of that type"
	}
	if len(keys) > 0 {
		why += "; scoped by the condition keys " + strings.Join(keys, ", ")
	}
	if len(destructive) > 0 {
		if strings.Contains(r, ":s3:") {
			why += "; S3 evaluates no bucket tags without ABAC and no object tags on DeleteObject, so the code refuses protected buckets and objects (docs/SECURITY.md)"
		} else {
			why += "; the protection policy denies " + strings.Join(destructive, ", ") + " on protected resources"
		}
	}
	return why
}
