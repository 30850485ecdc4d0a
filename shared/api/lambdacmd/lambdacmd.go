// Package lambdacmd holds the Lambda commands: deploy a function (inline
// zip or S3 object, an existing role or a new one with basic execution),
// update its code or configuration, delete it with the EventBridge rules
// commander attached and the role deploy made for it, list, attach and
// detach rules with the invoke permission.
package lambdacmd

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/iamcmd"
	"github.com/aws-commander/commander/shared/api/s3cmd"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// API is the slice of Lambda these commands call.
type API interface {
	lambda.ListFunctionsAPIClient
	CreateFunction(ctx context.Context, in *lambda.CreateFunctionInput, opts ...func(*lambda.Options)) (*lambda.CreateFunctionOutput, error)
	GetFunction(ctx context.Context, in *lambda.GetFunctionInput, opts ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	UpdateFunctionCode(ctx context.Context, in *lambda.UpdateFunctionCodeInput, opts ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error)
	UpdateFunctionConfiguration(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput, opts ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error)
	DeleteFunction(ctx context.Context, in *lambda.DeleteFunctionInput, opts ...func(*lambda.Options)) (*lambda.DeleteFunctionOutput, error)
	AddPermission(ctx context.Context, in *lambda.AddPermissionInput, opts ...func(*lambda.Options)) (*lambda.AddPermissionOutput, error)
	RemovePermission(ctx context.Context, in *lambda.RemovePermissionInput, opts ...func(*lambda.Options)) (*lambda.RemovePermissionOutput, error)
}

// EventsAPI is the slice of EventBridge these commands call.
type EventsAPI interface {
	PutRule(ctx context.Context, in *eventbridge.PutRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutRuleOutput, error)
	DescribeRule(ctx context.Context, in *eventbridge.DescribeRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error)
	DeleteRule(ctx context.Context, in *eventbridge.DeleteRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.DeleteRuleOutput, error)
	PutTargets(ctx context.Context, in *eventbridge.PutTargetsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutTargetsOutput, error)
	RemoveTargets(ctx context.Context, in *eventbridge.RemoveTargetsInput, opts ...func(*eventbridge.Options)) (*eventbridge.RemoveTargetsOutput, error)
	ListTargetsByRule(ctx context.Context, in *eventbridge.ListTargetsByRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
	ListRuleNamesByTarget(ctx context.Context, in *eventbridge.ListRuleNamesByTargetInput, opts ...func(*eventbridge.Options)) (*eventbridge.ListRuleNamesByTargetOutput, error)
	ListTagsForResource(ctx context.Context, in *eventbridge.ListTagsForResourceInput, opts ...func(*eventbridge.Options)) (*eventbridge.ListTagsForResourceOutput, error)
}

// RoleAPI is the slice of IAM deploy calls to make a new role and delete
// calls to remove it again.
type RoleAPI interface {
	iamcmd.RoleRemover
	GetRole(ctx context.Context, in *iam.GetRoleInput, opts ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	CreateRole(ctx context.Context, in *iam.CreateRoleInput, opts ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	AttachRolePolicy(ctx context.Context, in *iam.AttachRolePolicyInput, opts ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
}

// Deps are what the commands are built from.
type Deps struct {
	Lambda   API
	Events   EventsAPI
	IAM      RoleAPI
	Settings settings.Settings
	// RoleWait bounds the retries of CreateFunction while a new role
	// propagates (IAM is eventually consistent); 0 means 15 s.
	RoleWait time.Duration
	// RoleBoundary is the permissions boundary of the execution role deploy
	// creates (COMMANDER_ROLE_BOUNDARY_ARN): the stack's api role may create
	// roles only with it. Empty: none.
	RoleBoundary string
	// Bounds: the roles a function may run as, the role path deploy creates
	// roles under, the policies they may carry, the stack's own names.
	Bounds deputy.Bounds
	// S3 reads the tags of a code bucket (s3Bucket): code comes only from
	// buckets the api may read objects in. Nil: only listed buckets.
	S3 s3cmd.TagReader
}

// StageTag is on every resource of the stack (infra): the api never changes
// a function that carries it.
const StageTag = "commander:stage"

var (
	// Length limits are checked apart from the patterns (api.Bound): a
	// counted repetition such as {1,512} costs every cold start.
	nameRE     = api.Bound(`^[a-zA-Z0-9-_]+$`, 64)
	ruleNameRE = api.Bound(`^[\.\-_A-Za-z0-9]+$`, 64)
	roleArnRE  = api.Bound(`^arn:aws[\w-]*:iam::\d{12}:role/([\w+=,.@/-]+)$`, 0, 512) // the role's path and name
	handlerRE  = api.Bound(`^[^\s]+$`, 128)
	bucketRE   = api.Bound(`^[a-z0-9][a-z0-9.-]+[a-z0-9]$`, 63)
	envKeyRE   = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9_])+$`)
	scheduleRE = api.Bound(`^(?:rate\(\d+ (?:minute|minutes|hour|hours|day|days)\)|cron\(([^)]+)\))$`, 0, 250) // the cron expression
	runtimes   = []string{"provided.al2023", "provided.al2", "python3.13", "python3.12", "python3.11", "nodejs22.x", "nodejs20.x", "java21", "java17", "dotnet8", "ruby3.3"}
)

// MaxInlineZip bounds an inline zip: within the 256 KB HTTP body once base64.
const MaxInlineZip = 6 << 20

func nameParam() api.Param {
	return api.Param{Name: "name", Type: api.String, Required: true, Pattern: nameRE, Accepts: "a function name of 1 to 64 letters, digits, - or _"}
}

func codeParams() []api.Param {
	return []api.Param{
		{Name: "zipBase64", Type: api.String, Max: MaxInlineZip * 4 / 3, Doc: "the deployment package, base64 (the HTTP body limit applies); or s3Bucket and s3Key"},
		{Name: "s3Bucket", Type: api.String, Pattern: bucketRE, Accepts: "a bucket name"},
		{Name: "s3Key", Type: api.String, Max: 1024},
		{Name: "s3ObjectVersion", Type: api.String, Max: 1024},
	}
}

// Commands are the Lambda commands.
func Commands(d Deps) []api.Command {
	s := d.Settings
	deploy := append([]api.Param{nameParam(),
		{Name: "runtime", Type: api.String, Default: "provided.al2023", Enum: runtimes},
		{Name: "handler", Type: api.String, Default: "bootstrap", Pattern: handlerRE, Accepts: "a handler such as bootstrap or app.handler"},
		{Name: "architecture", Type: api.String, Default: s.Architecture, Enum: []string{"x86_64", "arm64"}},
		{Name: "roleArn", Type: api.String, Pattern: roleArnRE, Accepts: "the ARN of a role the api may pass: one it created (under " + d.Bounds.RolePath + ") or one the stage lists", Doc: "default: a new role <name>-role with basic execution under the role path, which lambda.delete deletes with the function"},
		{Name: "memoryMB", Type: api.Int, Min: 128, Max: 10240, Default: int64(s.LambdaMemoryMB)},
		{Name: "timeoutSeconds", Type: api.Int, Min: 1, Max: 900, Default: int64(s.LambdaTimeoutSeconds)},
		{Name: "environment", Type: api.Map, Max: 100, Pattern: envKeyRE, Accepts: "variable names of letters, digits and _"},
		{Name: "description", Type: api.String, Max: 256},
		api.Tags(""),
	}, codeParams()...)
	return []api.Command{
		{Action: "lambda.deploy", Method: http.MethodPost, Path: "/lambda/functions", Mutates: true,
			Summary: "Deploy a function from an inline zip or an S3 object, with an existing role or a new one with basic execution.",
			Params:  deploy, Run: d.deploy},
		{Action: "lambda.updateCode", Method: http.MethodPut, Path: "/lambda/functions/{name}/code", Mutates: true,
			Summary: "Replace a function's code (inline zip or S3 object); only functions commander deployed, never protected ones.",
			Params:  append([]api.Param{nameParam()}, codeParams()...), Run: d.updateCode},
		{Action: "lambda.updateConfig", Method: http.MethodPatch, Path: "/lambda/functions/{name}/configuration", Mutates: true,
			Summary: "Change a function's memory, timeout, environment (replaced as a whole), role, handler or description; only functions commander deployed.",
			Params: []api.Param{nameParam(),
				{Name: "memoryMB", Type: api.Int, Min: 128, Max: 10240},
				{Name: "timeoutSeconds", Type: api.Int, Min: 1, Max: 900},
				{Name: "environment", Type: api.Map, Max: 100, Pattern: envKeyRE, Accepts: "variable names of letters, digits and _"},
				{Name: "role", Type: api.String, Pattern: roleArnRE, Accepts: "the ARN of a role the api may pass: one it created (under " + d.Bounds.RolePath + ") or one the stage lists"},
				{Name: "handler", Type: api.String, Pattern: handlerRE, Accepts: "a handler"},
				{Name: "description", Type: api.String, Max: 256},
			}, Run: d.updateConfig},
		{Action: "lambda.delete", Method: http.MethodDelete, Path: "/lambda/functions/{name}", Mutates: true,
			Summary: "Delete a function, the EventBridge rules commander attached to it and the execution role lambda.deploy created for it (refused when protected).",
			Params: []api.Param{nameParam(),
				{Name: "keepRole", Type: api.Bool, Default: false, Doc: "keep the role <name>-role deploy created; a role passed as roleArn, protected or used by another function is always kept"},
			}, Run: d.delete},
		{Action: "lambda.list", Method: http.MethodGet, Path: "/lambda/functions", Summary: "List functions, paginated.",
			Params: []api.Param{{Name: "maxItems", Type: api.Int, Min: 1, Max: 50, Default: int64(50)}, {Name: "nextToken", Type: api.String, Max: 4096}},
			Run:    d.list},
		{Action: "lambda.attachRule", Method: http.MethodPost, Path: "/lambda/functions/{name}/rules", Mutates: true,
			Summary: "Invoke the function from an EventBridge rule (schedule expression or event pattern), granting the invoke permission.",
			Params: []api.Param{nameParam(),
				{Name: "rule", Type: api.String, Required: true, Pattern: ruleNameRE, Accepts: "a rule name of 1 to 64 letters, digits, . - or _"},
				{Name: "schedule", Type: api.String, Pattern: scheduleRE, Accepts: "rate(5 minutes) or cron(0 2 * * ? *)"},
				{Name: "eventPattern", Type: api.Object, Max: 4096, Doc: `e.g. {"source":["aws.ec2"]}`},
				{Name: "description", Type: api.String, Max: 512},
			}, Run: d.attachRule},
		{Action: "lambda.detachRule", Method: http.MethodDelete, Path: "/lambda/functions/{name}/rules/{rule}", Mutates: true,
			Summary: "Stop invoking the function from a rule: remove the target and the permission; delete the rule if commander made it and nothing else targets it.",
			Params:  []api.Param{nameParam(), {Name: "rule", Type: api.String, Required: true, Pattern: ruleNameRE, Accepts: "a rule name"}},
			Run:     d.detachRule},
	}
}

// Function is a function as the commands answer it.
type Function struct {
	Name         string            `json:"name"`
	Arn          string            `json:"arn"`
	Runtime      string            `json:"runtime,omitempty"`
	Handler      string            `json:"handler,omitempty"`
	MemoryMB     int32             `json:"memoryMB"`
	Timeout      int32             `json:"timeoutSeconds"`
	Role         string            `json:"role,omitempty"`
	Architecture []string          `json:"architectures,omitempty"`
	State        string            `json:"state,omitempty"`
	LastModified string            `json:"lastModified,omitempty"`
	Environment  map[string]string `json:"environment,omitempty"`
}

func toFunction(c *types.FunctionConfiguration) Function {
	f := Function{Name: aws.ToString(c.FunctionName), Arn: aws.ToString(c.FunctionArn), Runtime: string(c.Runtime), Handler: aws.ToString(c.Handler),
		MemoryMB: aws.ToInt32(c.MemorySize), Timeout: aws.ToInt32(c.Timeout), Role: aws.ToString(c.Role), State: string(c.State), LastModified: aws.ToString(c.LastModified)}
	for _, a := range c.Architectures {
		f.Architecture = append(f.Architecture, string(a))
	}
	if c.Environment != nil {
		f.Environment = c.Environment.Variables
	}
	return f
}

func (d Deps) list(ctx context.Context, c *api.Call) (any, error) {
	in := &lambda.ListFunctionsInput{MaxItems: aws.Int32(int32(c.Params.Int("maxItems")))}
	if t := c.Params.Str("nextToken"); t != "" {
		in.Marker = aws.String(t)
	}
	out, err := d.Lambda.ListFunctions(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("list functions: %w", err)
	}
	list := []Function{}
	for i := range out.Functions {
		list = append(list, toFunction(&out.Functions[i]))
	}
	return map[string]any{"functions": list, "nextToken": aws.ToString(out.NextMarker)}, nil
}
