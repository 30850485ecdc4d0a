package lambdacmd

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/iamcmd"
	"github.com/aws-commander/commander/shared/api/s3cmd"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// BasicExecutionPolicy lets a function write its logs.
const BasicExecutionPolicy = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

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
	// Every check runs before the dry run branches off, so a plan is
	// refused exactly when the run would be.
	if _, err := d.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}); err == nil {
		return nil, api.Conflictf("function %s already exists: use lambda.updateCode or lambda.updateConfig", name)
	} else if !awserr.Is(err, awserr.NotFound) {
		return nil, fmt.Errorf("check function %s: %w", name, err)
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
