// Package lambdacmd holds the Lambda commands: deploy a function (inline
// zip or S3 object, an existing role or a new one with basic execution),
// update its code or configuration, delete it with the EventBridge rules
// commander attached and the role deploy made for it, list, attach and
// detach rules with the invoke permission.
package lambdacmd

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/iamcmd"
	"github.com/aws-commander/commander/shared/api/s3cmd"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
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

// ReservedEnv are variables a caller may not set on a function: those Lambda
// reserves for itself, and those that change how the runtime, the loader or
// an interpreter starts, which would run code of the caller's choosing as the
// function's role. Compared in upper case.
var ReservedEnv = map[string]bool{
	// Reserved by Lambda (Developer Guide, "Defined runtime environment variables").
	"AWS_REGION": true, "AWS_DEFAULT_REGION": true, "AWS_EXECUTION_ENV": true,
	"AWS_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true,
	"LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true, "TZ": true,
	// The loader and interpreters.
	"LD_PRELOAD": true, "LD_LIBRARY_PATH": true, "LD_AUDIT": true, "PATH": true, "BASH_ENV": true, "ENV": true,
	"NODE_OPTIONS": true, "NODE_PATH": true,
	"PYTHONPATH": true, "PYTHONHOME": true, "PYTHONSTARTUP": true, "PYTHONWARNINGS": true, "PYTHONINSPECT": true,
	"JAVA_TOOL_OPTIONS": true, "JDK_JAVA_OPTIONS": true, "CLASSPATH": true,
	"PERL5OPT": true, "PERL5LIB": true, "PERLLIB": true, "RUBYOPT": true, "RUBYLIB": true,
	"DOTNET_STARTUP_HOOKS": true, "DOTNET_ADDITIONAL_DEPS": true, "CORECLR_ENABLE_PROFILING": true, "CORECLR_PROFILER_PATH": true,
	"GCONV_PATH": true,
}

// reservedPrefixes: every AWS_LAMBDA_* (AWS_LAMBDA_EXEC_WRAPPER starts a
// wrapper script before the runtime; the rest are Lambda's own), the
// dynamic loader's LD_* and DYLD_*, and _* (_HANDLER, _X_AMZN_TRACE_ID,
// _JAVA_OPTIONS; the name pattern refuses them as well).
var reservedPrefixes = []string{"AWS_LAMBDA_", "LD_", "DYLD_", "_"}

// CheckEnv refuses a variable ReservedEnv or its prefixes name, by name.
func CheckEnv(field string, env map[string]string) error {
	for k := range env {
		u := strings.ToUpper(k)
		bad := ReservedEnv[u]
		for _, p := range reservedPrefixes {
			bad = bad || strings.HasPrefix(u, p)
		}
		if bad {
			return api.Invalid(field, fmt.Sprintf("variables a function may set; %s is reserved by Lambda or changes how the runtime starts (AWS_LAMBDA_*, LD_*, interpreter options and paths)", k))
		}
	}
	return nil
}

// BasicExecutionPolicy lets a function write its logs.
const BasicExecutionPolicy = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

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

// code reads the code parameters: exactly one of an inline zip or an S3 object.
func code(p api.Params) (*types.FunctionCode, error) {
	zip, bucket, key := p.Str("zipBase64"), p.Str("s3Bucket"), p.Str("s3Key")
	switch {
	case zip != "" && (bucket != "" || key != ""):
		return nil, api.Invalid("zipBase64", "either zipBase64, or s3Bucket and s3Key, not both")
	case zip != "":
		b, err := base64.StdEncoding.DecodeString(zip)
		if err != nil || len(b) < 4 || string(b[:2]) != "PK" {
			return nil, api.Invalid("zipBase64", "a zip file (starting PK), standard base64")
		}
		return &types.FunctionCode{ZipFile: b}, nil
	case bucket != "" && key != "":
		c := &types.FunctionCode{S3Bucket: aws.String(bucket), S3Key: aws.String(key)}
		if v := p.Str("s3ObjectVersion"); v != "" {
			c.S3ObjectVersion = aws.String(v)
		}
		return c, nil
	case bucket != "":
		return nil, api.Missing("s3Key", "the object key of the zip in s3Bucket")
	}
	return nil, api.Missing("zipBase64", "the code: zipBase64, or s3Bucket and s3Key")
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

func (d Deps) deploy(ctx context.Context, c *api.Call) (any, error) {
	p := c.Params
	name := p.Str("name")
	fc, err := code(p)
	if err != nil {
		return nil, err
	}
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.Runtime(p.Str("runtime")), Handler: aws.String(p.Str("handler")),
		Architectures: []types.Architecture{types.Architecture(p.Str("architecture"))}, Code: fc,
		MemorySize: aws.Int32(int32(p.Int("memoryMB"))), Timeout: aws.Int32(int32(p.Int("timeoutSeconds"))),
		Role: aws.String(p.Str("roleArn")), Tags: c.Tags(p.Map("tags")),
	}
	if env := p.Map("environment"); len(env) > 0 {
		in.Environment = &types.Environment{Variables: env}
	}
	if v := p.Str("description"); v != "" {
		in.Description = aws.String(v)
	}
	roleName := ExecRoleName(name)
	newRole := p.Str("roleArn") == ""
	if err := d.checkDeploy(ctx, c, fc); err != nil {
		return nil, err
	}
	if c.DryRun {
		var pl api.Plan
		if newRole {
			planned := map[string]string{"roleName": roleName, "path": d.Bounds.RolePath, "trust": "lambda.amazonaws.com"}
			if d.RoleBoundary != "" {
				planned["permissionsBoundary"] = d.RoleBoundary
			}
			pl.Add("IAM.CreateRole", planned)
			pl.Add("IAM.AttachRolePolicy", map[string]string{"roleName": roleName, "policyArn": BasicExecutionPolicy})
		}
		shown := *in
		shown.Code = &types.FunctionCode{S3Bucket: fc.S3Bucket, S3Key: fc.S3Key}
		pl.Add("Lambda.CreateFunction", map[string]any{"input": &shown, "inlineZipBytes": len(fc.ZipFile)})
		return pl, nil
	}
	if _, err := d.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}); err == nil {
		return nil, api.Conflictf("function %s already exists: use lambda.updateCode or lambda.updateConfig", name)
	} else if !awserr.Is(err, awserr.NotFound) {
		return nil, fmt.Errorf("check function %s: %w", name, err)
	}
	if newRole {
		rin := &iam.CreateRoleInput{RoleName: aws.String(roleName), Path: aws.String(d.Bounds.RolePath), AssumeRolePolicyDocument: aws.String(iamcmd.TrustPolicy("lambda.amazonaws.com")),
			Description: aws.String(ExecRoleDescription(name)), Tags: iamTags(c.Tags(nil))}
		if d.RoleBoundary != "" {
			rin.PermissionsBoundary = aws.String(d.RoleBoundary)
		}
		out, err := d.IAM.CreateRole(ctx, rin)
		if err != nil {
			return nil, fmt.Errorf("create role %s: %w", roleName, err)
		}
		in.Role = out.Role.Arn
		if _, err := d.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(roleName), PolicyArn: aws.String(BasicExecutionPolicy)}); err != nil {
			return nil, d.rollbackRole(ctx, roleName, false, fmt.Errorf("attach basic execution to %s: %w", roleName, err))
		}
	}
	out, err := d.create(ctx, in)
	if err != nil {
		err = fmt.Errorf("create function %s: %w", name, err)
		if newRole {
			return nil, d.rollbackRole(ctx, roleName, true, err)
		}
		return nil, err
	}
	res := map[string]any{"function": toFunction(&types.FunctionConfiguration{FunctionName: out.FunctionName, FunctionArn: out.FunctionArn,
		Runtime: out.Runtime, Handler: out.Handler, MemorySize: out.MemorySize, Timeout: out.Timeout, Role: out.Role, Architectures: out.Architectures,
		State: out.State, LastModified: out.LastModified, Environment: out.Environment})}
	if newRole {
		res["createdRole"] = roleName
	}
	return res, nil
}

// create retries while a new role is not yet assumable by Lambda.
func (d Deps) create(ctx context.Context, in *lambda.CreateFunctionInput) (*lambda.CreateFunctionOutput, error) {
	wait := d.RoleWait
	if wait == 0 {
		wait = 15 * time.Second
	}
	deadline := time.Now().Add(wait)
	for {
		out, err := d.Lambda.CreateFunction(ctx, in)
		if err == nil || !strings.Contains(err.Error(), "cannot be assumed") || time.Now().After(deadline) {
			return out, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(2 * time.Second):
		}
	}
}

// rollbackRole deletes a role deploy made, so a failed deploy leaves nothing.
func (d Deps) rollbackRole(ctx context.Context, role string, attached bool, cause error) error {
	ctx = context.WithoutCancel(ctx)
	if attached {
		if _, err := d.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(BasicExecutionPolicy)}); awserr.IgnoreNotFound(err) != nil {
			return fmt.Errorf("%w; the rollback failed, role %s EXISTS: %v", cause, role, err)
		}
	}
	if _, err := d.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(role)}); awserr.IgnoreNotFound(err) != nil {
		return fmt.Errorf("%w; the rollback failed, role %s EXISTS: %v", cause, role, err)
	}
	return fmt.Errorf("%w (role %s deleted again)", cause, role)
}

func iamTags(m map[string]string) []iamtypes.Tag {
	return tags.List(m, func(k, v *string) iamtypes.Tag { return iamtypes.Tag{Key: k, Value: v} })
}

// checkDeploy refuses, before any change, what deploy may not do: a name of
// the stack's, tags writing protection off, a reserved variable, a role the
// api may not pass, code from a bucket it may not read.
func (d Deps) checkDeploy(ctx context.Context, c *api.Call, fc *types.FunctionCode) error {
	p := c.Params
	if d.Bounds.StageFunction(p.Str("name")) {
		return deputy.Refused("name", "names starting with "+d.Bounds.StagePrefix+" are the stack's own functions", "a function name not starting with "+d.Bounds.StagePrefix)
	}
	if err := deputy.CheckTags("tags", p.Map("tags"), d.Settings.ProtectTag); err != nil {
		return err
	}
	if err := CheckEnv("environment", p.Map("environment")); err != nil {
		return err
	}
	if arn := p.Str("roleArn"); arn != "" {
		if err := d.checkRole("roleArn", arn); err != nil {
			return err
		}
	} else if !d.Bounds.AttachablePolicy(BasicExecutionPolicy) {
		// The role deploy makes carries basic execution: without it on the
		// list the caller must bring a role.
		return deputy.Refused("roleArn", "the stage's attachable policies lack "+BasicExecutionPolicy+", which the role deploy creates needs",
			"a role the api may pass, given as roleArn")
	}
	return d.checkCodeBucket(ctx, fc)
}

// checkRole refuses a role the api may not pass (parameter field).
func (d Deps) checkRole(field, arn string) error {
	if !d.Bounds.PassableRole(arn) {
		return deputy.Refused(field, arn+" is neither a role the api created nor one the stage lists",
			"a role under "+d.Bounds.RolePath+" or one of the stage's passable roles")
	}
	return nil
}

// checkCodeBucket: Lambda fetches code from S3 with the api's own rights, so
// code comes only from buckets the api may read objects in.
func (d Deps) checkCodeBucket(ctx context.Context, fc *types.FunctionCode) error {
	b := aws.ToString(fc.S3Bucket)
	if b == "" || d.Bounds.ListedBucket(b) {
		return nil
	}
	if d.S3 == nil {
		return deputy.Refused("s3Bucket", "bucket "+b+" is not one the stage lists", "one of the stage's object buckets")
	}
	return s3cmd.CheckBucket(ctx, d.S3, d.Bounds, d.Settings.ProtectTag, "s3Bucket", b, false)
}

// changeable fetches a function and refuses it (parameter name) unless this
// system deployed it (commander:managed-by=commander) and it is none of the
// stack's own (commander:stage tag, or the stage's name prefix); protect
// also refuses a protected one. Only reads happen before the refusal.
func (d Deps) changeable(ctx context.Context, name string, protect bool) (*lambda.GetFunctionOutput, error) {
	if d.Bounds.StageFunction(name) {
		return nil, deputy.Refused("name", "function "+name+" is one of the stack's own (its name starts with "+d.Bounds.StagePrefix+")", "a function lambda.deploy created")
	}
	out, err := d.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("function %s: %w", name, err)
	}
	if _, ok := out.Tags[StageTag]; ok {
		return nil, deputy.Refused("name", "function "+name+" is one of the stack's own (tagged "+StageTag+")", "a function lambda.deploy created")
	}
	if out.Tags[tags.ManagedBy] != tags.ManagedByValue {
		return nil, deputy.Refused("name", "function "+name+" was not deployed by commander (no "+tags.ManagedBy+"="+tags.ManagedByValue+" tag)", "a function lambda.deploy created")
	}
	if protect {
		if err := api.RefuseProtected("function "+name, out.Tags, d.Settings.ProtectTag); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (d Deps) updateCode(ctx context.Context, c *api.Call) (any, error) {
	fc, err := code(c.Params)
	if err != nil {
		return nil, err
	}
	name := c.Params.Str("name")
	if _, err := d.changeable(ctx, name, true); err != nil {
		return nil, err
	}
	if err := d.checkCodeBucket(ctx, fc); err != nil {
		return nil, err
	}
	in := &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), ZipFile: fc.ZipFile, S3Bucket: fc.S3Bucket, S3Key: fc.S3Key, S3ObjectVersion: fc.S3ObjectVersion, DryRun: c.DryRun}
	out, err := d.Lambda.UpdateFunctionCode(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("update code of %s: %w", name, err)
	}
	if c.DryRun {
		return api.Plan{WouldCall: []api.Step{{Call: "Lambda.UpdateFunctionCode", Input: map[string]any{"functionName": name, "inlineZipBytes": len(fc.ZipFile), "s3Bucket": fc.S3Bucket, "s3Key": fc.S3Key}}},
			Note: "Lambda DryRun: the request was validated, the code not changed"}, nil
	}
	return map[string]any{"name": name, "codeSha256": aws.ToString(out.CodeSha256), "codeSize": out.CodeSize, "lastModified": aws.ToString(out.LastModified)}, nil
}

func (d Deps) updateConfig(ctx context.Context, c *api.Call) (any, error) {
	p := c.Params
	name := p.Str("name")
	in := &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name)}
	changed := false
	if p.Has("memoryMB") {
		in.MemorySize, changed = aws.Int32(int32(p.Int("memoryMB"))), true
	}
	if p.Has("timeoutSeconds") {
		in.Timeout, changed = aws.Int32(int32(p.Int("timeoutSeconds"))), true
	}
	if p.Has("environment") {
		if err := CheckEnv("environment", p.Map("environment")); err != nil {
			return nil, err
		}
		in.Environment, changed = &types.Environment{Variables: p.Map("environment")}, true
	}
	if p.Has("role") {
		if err := d.checkRole("role", p.Str("role")); err != nil {
			return nil, err
		}
		in.Role, changed = aws.String(p.Str("role")), true
	}
	if p.Has("handler") {
		in.Handler, changed = aws.String(p.Str("handler")), true
	}
	if p.Has("description") {
		in.Description, changed = aws.String(p.Str("description")), true
	}
	if !changed {
		return nil, api.Missing("memoryMB", "at least one of memoryMB, timeoutSeconds, environment, role, handler, description")
	}
	if _, err := d.changeable(ctx, name, true); err != nil {
		return nil, err
	}
	if c.DryRun {
		return api.Plan{WouldCall: []api.Step{{Call: "Lambda.UpdateFunctionConfiguration", Input: in}}}, nil
	}
	out, err := d.Lambda.UpdateFunctionConfiguration(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("update configuration of %s: %w", name, err)
	}
	return toFunction(&types.FunctionConfiguration{FunctionName: out.FunctionName, FunctionArn: out.FunctionArn, Runtime: out.Runtime, Handler: out.Handler,
		MemorySize: out.MemorySize, Timeout: out.Timeout, Role: out.Role, Architectures: out.Architectures, State: out.State,
		LastModified: out.LastModified, Environment: out.Environment}), nil
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
	if c.DryRun {
		var pl api.Plan
		pl.Add("EventBridge.PutRule", put)
		pl.Add("Lambda.AddPermission", map[string]string{"functionName": name, "statementId": StatementID(rule), "principal": "events.amazonaws.com"})
		pl.Add("EventBridge.PutTargets", map[string]string{"rule": rule, "id": TargetID, "arn": arn})
		return pl, nil
	}
	if _, err := d.Events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(rule)}); err == nil {
		return nil, api.Conflictf("rule %s already exists: choose another name, or detach it first", rule)
	} else if !awserr.Is(err, awserr.NotFound) {
		return nil, fmt.Errorf("check rule %s: %w", rule, err)
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
