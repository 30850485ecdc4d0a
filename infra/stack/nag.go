package stack

import (
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
	for name, role := range s.Roles {
		cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("The " + name + " function manages resources it selects at run time by tag or request, so its ARNs end in a type wildcard " +
				"(instance/*, snapshot/*, function:*, role/*) within this account and the configured regions; Describe/List actions, X-Ray and " +
				"kms:ViaService-conditioned KMS use have no resource-level permissions and take Resource *. Destructive actions are denied on " +
				"resources tagged " + s.Config.ProtectTag + "=true."),
		}}, jsii.Bool(true))
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
	cdknag.NagSuppressions_AddResourceSuppressions(s.DLQ, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is itself the dead-letter queue of the functions, the schedules and the alarm rule; a queue behind it would only hide failures from the depth alarm."),
	}}, jsii.Bool(false))
	// The Scheduler target role CDK creates may invoke the function and its versions (ARN:*).
	cdknag.NagSuppressions_AddStackSuppressions(s.Stack, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("The Scheduler target role that CDK creates allows lambda:InvokeFunction on the backup and cleanup functions and their versions (function ARN and ARN:*), nothing else."),
		AppliesTo: &[]any{
			map[string]any{"regex": "/^Resource::<(Backup|Cleanup)Function[0-9A-F]+\\.Arn>:\\*$/g"},
		},
	}}, jsii.Bool(false))
}
