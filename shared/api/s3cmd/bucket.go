package s3cmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// CORSRule is one CORS rule of s3.createBucket.
type CORSRule struct {
	AllowedOrigins []string `json:"allowedOrigins"`
	AllowedMethods []string `json:"allowedMethods"`
	AllowedHeaders []string `json:"allowedHeaders"`
	ExposeHeaders  []string `json:"exposeHeaders"`
	MaxAgeSeconds  int32    `json:"maxAgeSeconds"`
}

const corsRule = `a list of {"allowedOrigins": [...], "allowedMethods": ["GET","PUT","POST","DELETE","HEAD"], "allowedHeaders": [...], "exposeHeaders": [...], "maxAgeSeconds": n}`

// CORS validates rules and turns them into S3's.
func CORS(rules []CORSRule) ([]types.CORSRule, error) {
	var out []types.CORSRule
	for i, r := range rules {
		if len(r.AllowedOrigins) == 0 || len(r.AllowedMethods) == 0 {
			return nil, api.Invalid(fmt.Sprintf("cors[%d]", i), corsRule+"; allowedOrigins and allowedMethods are required")
		}
		for _, m := range r.AllowedMethods {
			switch m {
			case "GET", "PUT", "POST", "DELETE", "HEAD":
			default:
				return nil, api.Invalid(fmt.Sprintf("cors[%d].allowedMethods", i), "GET, PUT, POST, DELETE or HEAD")
			}
		}
		if r.MaxAgeSeconds < 0 {
			return nil, api.Invalid(fmt.Sprintf("cors[%d].maxAgeSeconds", i), "a number of seconds, 0 or more")
		}
		out = append(out, types.CORSRule{AllowedOrigins: r.AllowedOrigins, AllowedMethods: r.AllowedMethods,
			AllowedHeaders: r.AllowedHeaders, ExposeHeaders: r.ExposeHeaders, MaxAgeSeconds: aws.Int32(r.MaxAgeSeconds)})
	}
	return out, nil
}

// Step is one call of a bucket's creation.
type Step struct {
	Call string
	Do   func(ctx context.Context) error
	In   any
}

// CreateSteps are the calls that make a hardened bucket, in order: pure
// over the parameters, so the plan a dry run shows is the one a run makes.
func (d Deps) CreateSteps(c *api.Call) ([]Step, error) {
	p := c.Params
	b := aws.String(p.Str("bucket"))
	if err := deputy.CheckTags("tags", p.Map("tags"), d.Settings.ProtectTag); err != nil {
		return nil, err
	}
	var cors []CORSRule
	if err := p.Decode("cors", &cors, corsRule); err != nil {
		return nil, err
	}
	corsRules, err := CORS(cors)
	if err != nil {
		return nil, err
	}
	sse := types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryption(p.Str("encryption"))}
	if p.Str("encryption") == "aws:kms" {
		k := firstOf(p.Str("kmsKeyId"), d.Settings.S3KMSKey)
		if k == "" {
			return nil, api.Missing("kmsKeyId", "a KMS key id, alias or ARN; required with encryption aws:kms when COMMANDER_S3_KMS_KEY is not set")
		}
		sse.KMSMasterKeyID = aws.String(k)
	} else if p.Str("kmsKeyId") != "" {
		return nil, api.Invalid("kmsKeyId", "only with encryption aws:kms")
	}
	create := &s3.CreateBucketInput{Bucket: b}
	// us-east-1 refuses its own name as a location constraint.
	if d.Region != "" && d.Region != "us-east-1" {
		create.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(d.Region)}
	}
	bpa := &s3.PutPublicAccessBlockInput{Bucket: b, PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{
		BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}}
	ver := &s3.PutBucketVersioningInput{Bucket: b, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}
	enc := &s3.PutBucketEncryptionInput{Bucket: b, ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
		Rules: []types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &sse, BucketKeyEnabled: aws.Bool(p.Str("encryption") == "aws:kms")}}}}
	life := &s3.PutBucketLifecycleConfigurationInput{Bucket: b, LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
		ID: aws.String("commander-retention"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")},
		NoncurrentVersionExpiration:    &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(int32(p.Int("noncurrentDays")))},
		AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(7)},
	}}}}
	tagIn := &s3.PutBucketTaggingInput{Bucket: b, Tagging: &types.Tagging{TagSet: s3Tags(c.Tags(p.Map("tags")))}}
	steps := []Step{
		{"S3.CreateBucket", func(ctx context.Context) error { _, err := d.S3.CreateBucket(ctx, create); return err }, create},
		{"S3.PutPublicAccessBlock", func(ctx context.Context) error { _, err := d.S3.PutPublicAccessBlock(ctx, bpa); return err }, bpa},
		{"S3.PutBucketEncryption", func(ctx context.Context) error { _, err := d.S3.PutBucketEncryption(ctx, enc); return err }, enc},
		{"S3.PutBucketVersioning", func(ctx context.Context) error { _, err := d.S3.PutBucketVersioning(ctx, ver); return err }, ver},
		{"S3.PutBucketLifecycleConfiguration", func(ctx context.Context) error { _, err := d.S3.PutBucketLifecycleConfiguration(ctx, life); return err }, life},
		{"S3.PutBucketTagging", func(ctx context.Context) error { _, err := d.S3.PutBucketTagging(ctx, tagIn); return err }, tagIn},
	}
	if len(corsRules) > 0 {
		in := &s3.PutBucketCorsInput{Bucket: b, CORSConfiguration: &types.CORSConfiguration{CORSRules: corsRules}}
		steps = append(steps, Step{"S3.PutBucketCors", func(ctx context.Context) error { _, err := d.S3.PutBucketCors(ctx, in); return err }, in})
	}
	return steps, nil
}

func (d Deps) createBucket(ctx context.Context, c *api.Call) (any, error) {
	steps, err := d.CreateSteps(c)
	if err != nil {
		return nil, err
	}
	bucket := c.Params.Str("bucket")
	// A dry run meets this check too: it plans only what would be done.
	// us-east-1 answers CreateBucket on a bucket we own with success: without
	// this check a second create would reconfigure, and a failed step roll
	// back (delete), somebody's existing bucket.
	if _, err := d.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err == nil || !awserr.Is(err, awserr.NotFound) {
		if err == nil || awserr.Is(err, awserr.AccessDenied) {
			return nil, api.Conflictf("bucket %s already exists", bucket)
		}
		return nil, fmt.Errorf("check bucket %s: %w", bucket, err)
	}
	if c.DryRun {
		var p api.Plan
		for _, s := range steps {
			p.Add(s.Call, s.In)
		}
		p.Note = "nothing created; on a failure after CreateBucket the bucket is deleted again"
		return p, nil
	}
	var done []string
	for i, s := range steps {
		if err := s.Do(ctx); err != nil {
			if i == 0 {
				return nil, fmt.Errorf("create bucket %s: %w", bucket, err)
			}
			// Never leave a half-configured (unencrypted, public-able) bucket behind.
			if _, derr := d.S3.DeleteBucket(context.WithoutCancel(ctx), &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); derr != nil {
				return nil, fmt.Errorf("create bucket %s: %s failed: %w; the rollback failed too, the bucket EXISTS with only %s applied: %v",
					bucket, s.Call, err, strings.Join(done, ", "), derr)
			}
			return nil, fmt.Errorf("create bucket %s: %s failed (bucket deleted again): %w", bucket, s.Call, err)
		}
		done = append(done, s.Call)
	}
	return map[string]any{"bucket": bucket, "region": d.Region, "applied": done}, nil
}

func (d Deps) protected(ctx context.Context, bucket string) error {
	t, err := BucketTags(ctx, d.S3, bucket)
	if err != nil {
		return err
	}
	return api.RefuseProtected("bucket "+bucket, t, d.Settings.ProtectTag)
}

func (d Deps) deleteBucket(ctx context.Context, c *api.Call) (any, error) {
	bucket := c.Params.Str("bucket")
	if err := d.protected(ctx, bucket); err != nil {
		if awserr.Is(err, awserr.NotFound) {
			return map[string]any{"bucket": bucket, "deleted": true, "note": "already gone"}, nil
		}
		return nil, err
	}
	empty := c.Params.Bool("empty")
	// Emptying deletes objects: only in buckets the api may touch objects in.
	if empty {
		if err := CheckBucket(ctx, d.S3, d.Bounds, d.Settings.ProtectTag, "bucket", bucket, true); err != nil {
			return nil, err
		}
	}
	objects, batches, err := d.empty(ctx, bucket, empty && !c.DryRun, empty)
	if err != nil {
		return nil, err
	}
	if objects > 0 && !empty {
		return nil, api.Conflictf("bucket %s is not empty; pass empty=true to delete every object version and delete marker first", bucket)
	}
	in := &s3.DeleteBucketInput{Bucket: aws.String(bucket)}
	if c.DryRun {
		p := api.Plan{Note: fmt.Sprintf("%d object versions and delete markers would be deleted", objects)}
		if objects > 0 {
			p.Add("S3.DeleteObjects", map[string]any{"bucket": bucket, "batches": (objects + DeleteBatch - 1) / DeleteBatch})
		}
		p.Add("S3.DeleteBucket", in)
		return p, nil
	}
	if _, err := d.S3.DeleteBucket(ctx, in); awserr.IgnoreNotFound(err) != nil {
		return nil, fmt.Errorf("delete bucket %s: %w", bucket, err)
	}
	return map[string]any{"bucket": bucket, "deleted": true, "objectsDeleted": objects, "batches": batches}, nil
}

// empty counts the bucket's versions and delete markers (all of them, or
// stopping at the first page that has any when not all), deleting them in
// batches of 1000 when del is set. Deleting re-lists from the start: the
// items just deleted are gone, and a marker pointing at one of them is not
// honoured everywhere (moto skips the rest of the listing).
func (d Deps) empty(ctx context.Context, bucket string, del, all bool) (objects, batches int, err error) {
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(DeleteBatch)}
	if !del {
		pg := s3.NewListObjectVersionsPaginator(d.S3, in)
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			if err != nil {
				return 0, 0, fmt.Errorf("list versions of %s: %w", bucket, err)
			}
			objects += len(VersionIDs(out))
			if objects > 0 && !all {
				break
			}
		}
		return objects, 0, nil
	}
	for {
		out, err := d.S3.ListObjectVersions(ctx, in)
		if err != nil {
			return objects, batches, fmt.Errorf("list versions of %s (after deleting %d): %w", bucket, objects, err)
		}
		ids := VersionIDs(out)
		if len(ids) == 0 {
			return objects, batches, nil
		}
		res, err := d.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		if err != nil {
			return objects, batches, fmt.Errorf("empty %s (after deleting %d): %w", bucket, objects, err)
		}
		if len(res.Errors) > 0 {
			e := res.Errors[0]
			return objects, batches, fmt.Errorf("empty %s: %d objects not deleted, first %s: %s %s", bucket, len(res.Errors), aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
		}
		objects += len(ids)
		batches++
	}
}

// VersionIDs are every version and delete marker of a listing page.
func VersionIDs(out *s3.ListObjectVersionsOutput) []types.ObjectIdentifier {
	ids := make([]types.ObjectIdentifier, 0, len(out.Versions)+len(out.DeleteMarkers))
	for _, v := range out.Versions {
		ids = append(ids, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
	}
	for _, m := range out.DeleteMarkers {
		ids = append(ids, types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
	}
	return ids
}

func (d Deps) listBuckets(ctx context.Context, c *api.Call) (any, error) {
	type bucket struct {
		Name    string     `json:"name"`
		Created *time.Time `json:"created,omitempty"`
		Region  string     `json:"region,omitempty"`
	}
	list := []bucket{}
	pg := s3.NewListBucketsPaginator(d.S3, &s3.ListBucketsInput{})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list buckets: %w", err)
		}
		for _, b := range out.Buckets {
			list = append(list, bucket{Name: aws.ToString(b.Name), Created: b.CreationDate, Region: aws.ToString(b.BucketRegion)})
		}
	}
	return map[string]any{"buckets": list}, nil
}
