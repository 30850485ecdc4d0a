package lambdacmd

import (
	"context"
	"fmt"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

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
