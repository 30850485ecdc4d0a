package iamcmd

import (
	"context"
	"fmt"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

func (d Deps) createInstanceProfile(ctx context.Context, c *api.Call) (any, error) {
	p := c.Params
	name, role := p.Str("name"), p.Str("role")
	if err := CheckPath(d.Bounds, "path", p.Str("path")); err != nil {
		return nil, err
	}
	in := &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name), Path: aws.String(p.Str("path")), Tags: iamTags(c.Tags(nil))}
	// The one read-only lookup before the refusal: the role's ARN (its path)
	// says whether the api may pass it; a dry run checks it too.
	r, err := d.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
	if err != nil {
		return nil, fmt.Errorf("role %s: %w", role, err)
	}
	if arn := aws.ToString(r.Role.Arn); !d.Bounds.PassableRole(arn) {
		return nil, deputy.Refused("role", arn+" is neither a role the api created nor one the stage lists",
			"a role under "+d.Bounds.RolePath+" or one of the stage's passable roles")
	}
	if c.DryRun {
		var pl api.Plan
		pl.Add("IAM.CreateInstanceProfile", in)
		pl.Add("IAM.AddRoleToInstanceProfile", map[string]string{"instanceProfileName": name, "roleName": role})
		return pl, nil
	}
	out, err := d.IAM.CreateInstanceProfile(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("create instance profile %s: %w", name, err)
	}
	if _, err := d.IAM.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: aws.String(role)}); err != nil {
		if _, derr := d.IAM.DeleteInstanceProfile(context.WithoutCancel(ctx), &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(name)}); derr != nil {
			return nil, fmt.Errorf("add role %s to %s: %w; the rollback failed, profile %s EXISTS without a role: %v", role, name, err, name, derr)
		}
		return nil, fmt.Errorf("add role %s to %s (profile deleted again): %w", role, name, err)
	}
	return map[string]any{"instanceProfileName": name, "arn": aws.ToString(out.InstanceProfile.Arn), "role": role}, nil
}

func (d Deps) deleteInstanceProfile(ctx context.Context, c *api.Call) (any, error) {
	name := c.Params.Str("name")
	out, err := d.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if awserr.Is(err, awserr.NotFound) {
		return map[string]any{"instanceProfileName": name, "deleted": true, "note": "already gone"}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get instance profile %s: %w", name, err)
	}
	if err := Protected("instance profile "+name, out.InstanceProfile.Tags, d.Settings.ProtectTag); err != nil {
		return nil, err
	}
	if !d.Bounds.UnderRolePath(aws.ToString(out.InstanceProfile.Path)) {
		return nil, deputy.Refused("name", "instance profile "+name+" (path "+aws.ToString(out.InstanceProfile.Path)+") is not one the api created", "an instance profile under "+d.Bounds.RolePath)
	}
	var pl api.Plan
	for _, r := range out.InstanceProfile.Roles {
		pl.Add("IAM.RemoveRoleFromInstanceProfile", &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: r.RoleName})
	}
	pl.Add("IAM.DeleteInstanceProfile", &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if c.DryRun {
		return pl, nil
	}
	for _, r := range out.InstanceProfile.Roles {
		if _, err := d.IAM.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: r.RoleName}); awserr.IgnoreNotFound(err) != nil {
			return nil, fmt.Errorf("remove role %s from %s: %w", aws.ToString(r.RoleName), name, err)
		}
	}
	if _, err := d.IAM.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(name)}); awserr.IgnoreNotFound(err) != nil {
		return nil, fmt.Errorf("delete instance profile %s: %w", name, err)
	}
	return map[string]any{"instanceProfileName": name, "deleted": true}, nil
}
