package backup

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// LifecycleRuleID is the ID of the one lifecycle rule this job owns on a
// bucket; every other rule is the user's and is kept as it is.
const LifecycleRuleID = "commander-backup-noncurrent-expiry"

// S3 enforcement actions in the report.
const (
	ActionVersioning   = "enforce-versioning"
	ActionEncryption   = "enforce-encryption"
	ActionPublicAccess = "enforce-public-access-block"
	ActionLifecycle    = "enforce-lifecycle"
)

// S3API is the slice of S3 the backup job calls.
type S3API interface {
	s3.ListBucketsAPIClient
	GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, opts ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
	GetBucketVersioning(ctx context.Context, in *s3.GetBucketVersioningInput, opts ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	PutBucketVersioning(ctx context.Context, in *s3.PutBucketVersioningInput, opts ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error)
	GetBucketEncryption(ctx context.Context, in *s3.GetBucketEncryptionInput, opts ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
	PutBucketEncryption(ctx context.Context, in *s3.PutBucketEncryptionInput, opts ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error)
	GetPublicAccessBlock(ctx context.Context, in *s3.GetPublicAccessBlockInput, opts ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	PutPublicAccessBlock(ctx context.Context, in *s3.PutPublicAccessBlockInput, opts ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error)
	GetBucketLifecycleConfiguration(ctx context.Context, in *s3.GetBucketLifecycleConfigurationInput, opts ...func(*s3.Options)) (*s3.GetBucketLifecycleConfigurationOutput, error)
	PutBucketLifecycleConfiguration(ctx context.Context, in *s3.PutBucketLifecycleConfigurationInput, opts ...func(*s3.Options)) (*s3.PutBucketLifecycleConfigurationOutput, error)
}

// fix is one piece of drift on a bucket and how to correct it.
type fix struct {
	action, drift string
	apply         func(context.Context) error
}

// s3Region enforces the backup settings on the region's tagged buckets.
// Buckets are listed once, from the first region, and each is handled by
// the client of its own region (buckets in regions not configured are left).
func (ru *run) s3Region(ctx context.Context, reg Region) error {
	p := s3.NewListBucketsPaginator(reg.S3, &s3.ListBucketsInput{BucketRegion: aws.String(reg.Name), MaxBuckets: aws.Int32(10000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list buckets: %w", err)
		}
		for _, b := range page.Buckets {
			if br := aws.ToString(b.BucketRegion); br != "" && br != reg.Name {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			ru.bucket(ctx, reg, aws.ToString(b.Name))
		}
	}
	return nil
}

// bucket checks one bucket and fixes its drift.
func (ru *run) bucket(ctx context.Context, reg Region, name string) {
	api := reg.S3
	fail := func(action string, err error) {
		ru.add(reg.Name, TypeBucket, name, action, report.Failed, "could not check the bucket", err)
	}
	tg, err := api.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(name)})
	if awserr.Is(err, awserr.NotFound) {
		return // no tags, so no policy
	}
	if err != nil {
		fail(ActionCheck, err)
		return
	}
	policyName, ok := tags.Lookup(tg.TagSet, tags.Backup, func(t types.Tag) *string { return t.Key }, func(t types.Tag) *string { return t.Value })
	if !ok || (ru.req.Policy != "" && policyName != ru.req.Policy) {
		return
	}
	pol, err := ru.Config.policy(policyName)
	if err != nil {
		ru.add(reg.Name, TypeBucket, name, ActionCheck, report.Skipped, err.Error(), nil)
		return
	}
	days := pol.RetentionDays(ru.Settings.BackupRetentionDays)
	var fixes []fix

	v, err := api.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(name)})
	if err != nil {
		fail(ActionVersioning, err)
		return
	}
	if v.Status != types.BucketVersioningStatusEnabled {
		fixes = append(fixes, fix{ActionVersioning, fmt.Sprintf("versioning was %s", orNone(string(v.Status))), func(ctx context.Context) error {
			_, err := api.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(name),
				VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
			return err
		}})
	}

	enc, err := api.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(name)})
	if err != nil && !awserr.Is(err, awserr.NotFound) {
		fail(ActionEncryption, err)
		return
	}
	if err != nil || enc.ServerSideEncryptionConfiguration == nil || len(enc.ServerSideEncryptionConfiguration.Rules) == 0 {
		fixes = append(fixes, fix{ActionEncryption, "no default encryption", func(ctx context.Context) error {
			def := &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryption(ru.Settings.S3Encryption)}
			if ru.Settings.S3Encryption == string(types.ServerSideEncryptionAwsKms) {
				def.KMSMasterKeyID = aws.String(ru.Settings.S3KMSKey)
			}
			_, err := api.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(name),
				ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: def}}}})
			return err
		}})
	}

	pab, err := api.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(name)})
	if err != nil && !awserr.Is(err, awserr.NotFound) {
		fail(ActionPublicAccess, err)
		return
	}
	if off := publicAccessOff(pab, err); len(off) > 0 {
		fixes = append(fixes, fix{ActionPublicAccess, "Block Public Access off: " + strings.Join(off, ", "), func(ctx context.Context) error {
			_, err := api.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(name),
				PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{
					BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}})
			return err
		}})
	}

	lc, err := api.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(name)})
	if err != nil && !awserr.Is(err, awserr.NotFound) {
		fail(ActionLifecycle, err)
		return
	}
	var rules []types.LifecycleRule
	if err == nil {
		rules = lc.Rules
	}
	if merged, drift := MergeLifecycle(rules, int32(days)); drift != "" {
		fixes = append(fixes, fix{ActionLifecycle, drift, func(ctx context.Context) error {
			_, err := api.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(name),
				LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: merged}})
			return err
		}})
	}

	if len(fixes) == 0 {
		ru.add(reg.Name, TypeBucket, name, ActionCheck, report.Skipped, "compliant with policy "+pol.Name, nil)
		return
	}
	for _, f := range fixes {
		reason := "drift: " + f.drift + " (policy " + pol.Name + ")"
		if ru.dry {
			ru.add(reg.Name, TypeBucket, name, f.action, report.Planned, reason, nil)
			continue
		}
		if err := f.apply(ctx); err != nil {
			ru.add(reg.Name, TypeBucket, name, f.action, report.Failed, reason, err)
			continue
		}
		ru.add(reg.Name, TypeBucket, name, f.action, report.Done, reason+": fixed", nil)
	}
}

func orNone(s string) string {
	if s == "" {
		return "never enabled"
	}
	return s
}

// publicAccessOff lists the Block Public Access settings that are off.
func publicAccessOff(out *s3.GetPublicAccessBlockOutput, err error) []string {
	if err != nil || out == nil || out.PublicAccessBlockConfiguration == nil {
		return []string{"all four settings (none configured)"}
	}
	c := out.PublicAccessBlockConfiguration
	var off []string
	for _, s := range []struct {
		name string
		on   *bool
	}{{"BlockPublicAcls", c.BlockPublicAcls}, {"IgnorePublicAcls", c.IgnorePublicAcls}, {"BlockPublicPolicy", c.BlockPublicPolicy}, {"RestrictPublicBuckets", c.RestrictPublicBuckets}} {
		if !aws.ToBool(s.on) {
			off = append(off, s.name)
		}
	}
	return off
}

// MergeLifecycle returns rules with this job's rule (by LifecycleRuleID) set
// to expire noncurrent versions after days, every other rule unchanged,
// and the drift it corrected ("" when rules were already right).
func MergeLifecycle(rules []types.LifecycleRule, days int32) ([]types.LifecycleRule, string) {
	want := types.LifecycleRule{
		ID:                             aws.String(LifecycleRuleID),
		Status:                         types.ExpirationStatusEnabled,
		Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String("")},
		NoncurrentVersionExpiration:    &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(days)},
		AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(7)},
	}
	// S3 refuses a configuration that mixes the legacy rule-level Prefix
	// with Filter: follow the user's style.
	if slices.ContainsFunc(rules, func(r types.LifecycleRule) bool {
		return r.Prefix != nil && r.Filter == nil && aws.ToString(r.ID) != LifecycleRuleID
	}) {
		want.Filter, want.Prefix = nil, aws.String("")
	}
	i := slices.IndexFunc(rules, func(r types.LifecycleRule) bool { return aws.ToString(r.ID) == LifecycleRuleID })
	if i < 0 {
		return append(slices.Clone(rules), want), fmt.Sprintf("no rule %s expiring noncurrent versions after %d days", LifecycleRuleID, days)
	}
	got := rules[i]
	var drift []string
	if got.Status != types.ExpirationStatusEnabled {
		drift = append(drift, "rule "+LifecycleRuleID+" is "+string(got.Status))
	}
	if got.NoncurrentVersionExpiration == nil || aws.ToInt32(got.NoncurrentVersionExpiration.NoncurrentDays) != days {
		have := "none"
		if got.NoncurrentVersionExpiration != nil {
			have = fmt.Sprint(aws.ToInt32(got.NoncurrentVersionExpiration.NoncurrentDays))
		}
		drift = append(drift, fmt.Sprintf("rule %s expires noncurrent versions after %s days, not %d", LifecycleRuleID, have, days))
	}
	if got.Filter != nil && (aws.ToString(got.Filter.Prefix) != "" || got.Filter.And != nil || got.Filter.Tag != nil ||
		got.Filter.ObjectSizeGreaterThan != nil || got.Filter.ObjectSizeLessThan != nil) || aws.ToString(got.Prefix) != "" {
		drift = append(drift, "rule "+LifecycleRuleID+" covers only part of the bucket")
	}
	if len(drift) == 0 {
		return rules, ""
	}
	out := slices.Clone(rules)
	out[i] = want
	return out, strings.Join(drift, "; ")
}

// drift counts the buckets' drift found and fixed in this run's report.
func (ru *run) drift() (found, fixed int) {
	for _, a := range []string{ActionVersioning, ActionEncryption, ActionPublicAccess, ActionLifecycle} {
		d := ru.rep.Count(a, report.Done)
		found += d + ru.rep.Count(a, report.Planned) + ru.rep.Count(a, report.Failed)
		fixed += d
	}
	return found, fixed
}
