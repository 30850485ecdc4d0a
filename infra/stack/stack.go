package stack

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/iamcmd"
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Spec is how one function is deployed, with the reason for each choice.
type Spec struct {
	Name        string
	MemoryMB    float64
	TimeoutSec  float64
	Retries     float64 // asynchronous invocation retries after a function error
	MaxAgeSec   float64 // an event older than this goes to the dead-letter queue
	Description string
}

// Specs: the jobs need more than the 128 MB / 60 s defaults used for
// functions the api deploys. Lambda gives CPU in proportion to memory, and
// the jobs are bound by AWS API latency at bounded concurrency, not by memory.
var Specs = []Spec{
	// 256 MB: command handling is light; 120 s: API Gateway cuts HTTP at 30 s,
	// but direct invocations may wait for an instance or empty a bucket.
	// No retries: a direct command is not repeated behind the caller's back.
	{Name: "api", MemoryMB: 256, TimeoutSec: 120, Retries: 0, MaxAgeSec: 3600, Description: "AWS Commander on-demand commands (HTTP API and direct invocation)"},
	// 512 MB for the CPU to page and snapshot at concurrency 8; 900 s, the
	// Lambda maximum, since a run hands its cursor to a follow-up before it.
	// Retries are safe: runs are idempotent on schedule and scheduled time.
	{Name: "backup", MemoryMB: 512, TimeoutSec: 900, Retries: 2, MaxAgeSec: 6 * 3600, Description: "AWS Commander scheduled backups and retention"},
	{Name: "cleanup", MemoryMB: 512, TimeoutSec: 900, Retries: 2, MaxAgeSec: 6 * 3600, Description: "AWS Commander scheduled cleanup"},
	// A reaction is a few calls; one older than 15 minutes acts on a stale
	// alarm and is dropped to the dead-letter queue instead.
	{Name: "alarm", MemoryMB: 256, TimeoutSec: 60, Retries: 2, MaxAgeSec: 900, Description: "AWS Commander reactions to CloudWatch alarms"},
	// Runs every few minutes: a run is a listing and a few batched calls;
	// one that failed is retried once, and an event older than 10 minutes
	// is dropped, since the next run sees the account as it is.
	{Name: "scheduler", MemoryMB: 256, TimeoutSec: 120, Retries: 1, MaxAgeSec: 600, Description: "AWS Commander office-hours schedules (stops and starts tagged instances)"},
}

// Delivery to the functions from Scheduler and the alarm rule.
const (
	scheduleRetries   = 3
	scheduleMaxAgeSec = 3600
	ruleRetries       = 3
	ruleMaxAgeSec     = 900
)

// Stack is the built stack and the constructs tests and main look at.
type Stack struct {
	awscdk.Stack
	Config    Config
	Functions map[string]awslambda.Function
	Roles     map[string]awsiam.Role
	DLQ       awssqs.Queue
	API       awsapigatewayv2.HttpApi
	Boundary  awsiam.ManagedPolicy            // every role the api creates carries it
	Callers   map[string]awsiam.ManagedPolicy // reader and operator: for callers of the HTTP API
}

// New adds the stack for c to scope, with cdk-nag's AwsSolutions checks.
func New(scope constructs.Construct, c Config) *Stack {
	st := awscdk.NewStack(scope, jsii.String(c.StackName()), &awscdk.StackProps{
		StackName:   jsii.String(c.StackName()),
		Description: jsii.String(fmt.Sprintf("AWS Commander (%s): backups, cleanup, alarm reactions and on-demand management", c.Stage)),
	})
	s := &Stack{Stack: st, Config: c, Functions: map[string]awslambda.Function{}, Roles: map[string]awsiam.Role{}}

	// Every resource carries the stage; the protection tag keeps the system's
	// own resources out of reach of its jobs and of the api.
	// CloudFormation takes no tags on a dashboard.
	tagProps := &awscdk.TagProps{ExcludeResourceTypes: jsii.Strings("AWS::CloudWatch::Dashboard")}
	awscdk.Tags_Of(st).Add(jsii.String("commander:stage"), jsii.String(c.Stage), tagProps)
	awscdk.Tags_Of(st).Add(jsii.String("app"), jsii.String("aws-commander"), tagProps)
	awscdk.Tags_Of(st).Add(jsii.String(c.ProtectTag), jsii.String("true"), tagProps)

	s.DLQ = awssqs.NewQueue(st, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		QueueName:       jsii.String(c.Name("dlq")),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)), // the maximum: time to look at a failure
	})

	s.Boundary = awsiam.NewManagedPolicy(st, jsii.String("RoleBoundary"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(BoundaryName(c)),
		Description:       jsii.String("AWS Commander " + c.Stage + ": permissions boundary of every role the api creates (no IAM writes, no role hopping, nothing of this system)"),
		Document:          document(BoundaryStatements(c)),
	})
	policies := Policies(c)
	for _, spec := range Specs {
		s.function(spec, policies[spec.Name])
	}
	roles := make([]awsiam.IRole, 0, len(Specs))
	for _, spec := range Specs {
		roles = append(roles, s.Roles[spec.Name])
	}
	awsiam.NewManagedPolicy(st, jsii.String("Protection"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(ProtectionName(c)),
		Description:       jsii.String("AWS Commander " + c.Stage + ": every role of the stack is denied destroying or unprotecting a protected resource, and changing the stack's roles"),
		Document:          document(ProtectionStatements(c)),
		Roles:             &roles,
	})
	s.schedules()
	s.alarmRule()
	s.httpAPI()
	s.observability()

	for _, fn := range events.Functions {
		awscdk.NewCfnOutput(st, jsii.String(title(fn)+"FunctionName"), &awscdk.CfnOutputProps{
			Value: s.Functions[fn].FunctionName(), Description: jsii.String("the " + fn + " function"),
		})
	}
	awscdk.NewCfnOutput(st, jsii.String("DeadLetterQueueUrl"), &awscdk.CfnOutputProps{Value: s.DLQ.QueueUrl()})
	s.suppressions()
	return s
}

func (s *Stack) function(spec Spec, stmts []Statement) {
	c, id := s.Config, title(spec.Name)
	logs := awslogs.NewLogGroup(s.Stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		LogGroupName: jsii.String("/commander/" + c.Stage + "/" + spec.Name),
		// Deleted with the stack, so a redeploy of the stage does not collide with a leftover.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	logs.Node().DefaultChild().(awslogs.CfnLogGroup).SetRetentionInDays(jsii.Number(c.LogRetentionDays))

	role := awsiam.NewRole(s.Stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:      awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description:    jsii.String("AWS Commander " + c.Stage + " " + spec.Name + " function: only the calls it makes"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"commander": document(stmts)},
	})
	logs.GrantWrite(role)

	env := map[string]*string{}
	for k, v := range c.FunctionEnv[spec.Name] {
		env[k] = jsii.String(v)
	}
	if spec.Name == "api" {
		// A reference, so the boundary exists before the api can create a role with it.
		env[iamcmd.BoundaryEnv] = s.Boundary.ManagedPolicyArn()
	}
	fn := awslambda.NewFunction(s.Stack, jsii.String(id+"Function"), &awslambda.FunctionProps{
		FunctionName:          jsii.String(c.FunctionName(spec.Name)),
		Description:           jsii.String(spec.Description),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String("bootstrap"),
		Code:                  awslambda.Code_FromAsset(jsii.String(filepath.Join(c.AssetDir, spec.Name)), nil),
		MemorySize:            jsii.Number(spec.MemoryMB),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(spec.TimeoutSec)),
		Role:                  role,
		Environment:           &env,
		Tracing:               awslambda.Tracing_ACTIVE,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel(c.LogLevel),
		SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
		LogGroup:              logs,
		RetryAttempts:         jsii.Number(spec.Retries),
		MaxEventAge:           awscdk.Duration_Seconds(jsii.Number(spec.MaxAgeSec)),
		OnFailure:             awslambdadestinations.NewSqsDestination(s.DLQ),
	})
	s.Functions[spec.Name], s.Roles[spec.Name] = fn, role
}

// schedules invoke backup, cleanup and the scheduler with a Scheduled Event envelope, so the
// functions see the same shape as from an EventBridge rule and key their
// idempotency on the schedule ARN and scheduled time.
func (s *Stack) schedules() {
	c := s.Config
	group := awsscheduler.NewScheduleGroup(s.Stack, jsii.String("Schedules"), &awsscheduler.ScheduleGroupProps{
		ScheduleGroupName: jsii.String(c.Name()),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
	})
	for _, sc := range []events.Schedule{c.Backup, c.Cleanup, c.Scheduler} {
		detail := map[string]any{}
		if sc.Input != "" {
			detail["input"] = sc.Input
		}
		input := map[string]any{
			"version":     "0",
			"id":          awsscheduler.ContextAttribute_ExecutionId(),
			"detail-type": "Scheduled Event",
			"source":      "aws.scheduler",
			"account":     awscdk.Aws_ACCOUNT_ID(),
			"time":        awsscheduler.ContextAttribute_ScheduledTime(),
			"region":      awscdk.Aws_REGION(),
			"resources":   []any{awsscheduler.ContextAttribute_ScheduleArn()},
			"detail":      detail,
		}
		awsscheduler.NewSchedule(s.Stack, jsii.String(title(sc.Function)+"Schedule"), &awsscheduler.ScheduleProps{
			ScheduleName:  jsii.String(c.Name(sc.Name)),
			ScheduleGroup: group,
			Description:   jsii.String("AWS Commander " + c.Stage + ": " + sc.Name),
			Schedule:      awsscheduler.ScheduleExpression_Expression(jsii.String(sc.Expression), awscdk.TimeZone_Of(jsii.String(sc.TimeZone))),
			Target: awsschedulertargets.NewLambdaInvoke(s.Functions[sc.Function], &awsschedulertargets.ScheduleTargetBaseProps{
				Input:           awsscheduler.ScheduleTargetInput_FromObject(input),
				DeadLetterQueue: s.DLQ,
				RetryAttempts:   jsii.Number(scheduleRetries),
				MaxEventAge:     awscdk.Duration_Seconds(jsii.Number(scheduleMaxAgeSec)),
			}),
		})
	}
}

func (s *Stack) alarmRule() {
	c, p := s.Config, events.AlarmStateChange
	pattern := &awsevents.EventPattern{Source: jsii.Strings(p.Source...), DetailType: jsii.Strings(p.DetailType...)}
	if len(p.Detail) > 0 {
		d := map[string]any(p.Detail)
		pattern.Detail = &d
	}
	awsevents.NewRule(s.Stack, jsii.String("AlarmStateChangeRule"), &awsevents.RuleProps{
		RuleName:     jsii.String(c.Name("alarm-state-change")),
		Description:  jsii.String("CloudWatch Alarm State Change to the AWS Commander " + c.Stage + " alarm function"),
		EventPattern: pattern,
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(s.Functions["alarm"], &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: s.DLQ,
			RetryAttempts:   jsii.Number(ruleRetries),
			MaxEventAge:     awscdk.Duration_Seconds(jsii.Number(ruleMaxAgeSec)),
		})},
	})
}

// httpAPI: one route per command (method and path from the registry), each
// with IAM (SigV4) authorization, so execute-api:Invoke grants commands one
// by one; no catch-all route. Every route proxies to the api function's
// integration alias with payload 2.0.
func (s *Stack) httpAPI() {
	c := s.Config
	integration := awslambda.NewAlias(s.Stack, jsii.String("ApiIntegrationAlias"), &awslambda.AliasProps{
		AliasName:   jsii.String(api.IntegrationAlias),
		Version:     s.Functions["api"].CurrentVersion(),
		Description: jsii.String("invoked by the HTTP API integration only"),
	})
	s.API = awsapigatewayv2.NewHttpApi(s.Stack, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		ApiName:            jsii.String(c.Name("api")),
		Description:        jsii.String("AWS Commander " + c.Stage + " on-demand commands (IAM authorization per command)"),
		CreateDefaultStage: jsii.Bool(false),
		DefaultAuthorizer:  awsapigatewayv2authorizers.NewHttpIamAuthorizer(),
	})
	// The integration, and API Gateway's invoke permission, target the alias
	// only: the function trusts an HTTP event's identity only there. One
	// permission for the API rather than one per route keeps the function's
	// resource policy small; the routes themselves are the authorization.
	target := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("ApiIntegration"), integration, &awsapigatewayv2integrations.HttpLambdaIntegrationProps{
		PayloadFormatVersion:   awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
		ScopePermissionToRoute: jsii.Bool(false),
	})
	for _, r := range c.Routes {
		s.API.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(r.Path),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(r.Method)},
			Integration: target,
		})
	}
	s.callerPolicies()
	access := awslogs.NewLogGroup(s.Stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/commander/" + c.Stage + "/api-access"),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	access.Node().DefaultChild().(awslogs.CfnLogGroup).SetRetentionInDays(jsii.Number(c.LogRetentionDays))
	stage := awsapigatewayv2.NewHttpStage(s.Stack, jsii.String("HttpApiStage"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    s.API,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle:   &awsapigatewayv2.ThrottleSettings{RateLimit: jsii.Number(c.APIRateLimit), BurstLimit: jsii.Number(float64(c.APIBurstLimit))},
	})
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: access.LogGroupArn(),
		Format:         jsii.String(accessLogFormat),
	})
	awscdk.NewCfnOutput(s.Stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Value: stage.Url(), Description: jsii.String("the HTTP API (sign requests with SigV4, service execute-api)"),
	})
}

// accessLogFormat is one JSON line per request, with the caller's IAM identity.
const accessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.userArn",` +
	`"requestTime":"$context.requestTime","method":"$context.httpMethod","routeKey":"$context.routeKey","path":"$context.path",` +
	`"status":"$context.status","responseLength":"$context.responseLength","latency":"$context.responseLatency",` +
	`"integrationError":"$context.integrationErrorMessage","authorizerError":"$context.authorizer.error"}`

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
