// Package s3cmd holds the S3 commands: create a hardened bucket (Block
// Public Access, versioning, encryption, lifecycle), delete it (emptying
// every version on request), list buckets and objects, presigned URLs,
// delete, put and get small objects inline.
package s3cmd

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/aws-commander/commander/shared/tags"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// API is the slice of S3 these commands call.
type API interface {
	s3.ListObjectsV2APIClient
	s3.ListObjectVersionsAPIClient
	s3.ListBucketsAPIClient
	HeadBucket(ctx context.Context, in *s3.HeadBucketInput, opts ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	CreateBucket(ctx context.Context, in *s3.CreateBucketInput, opts ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
	DeleteBucket(ctx context.Context, in *s3.DeleteBucketInput, opts ...func(*s3.Options)) (*s3.DeleteBucketOutput, error)
	PutPublicAccessBlock(ctx context.Context, in *s3.PutPublicAccessBlockInput, opts ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error)
	PutBucketVersioning(ctx context.Context, in *s3.PutBucketVersioningInput, opts ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error)
	PutBucketEncryption(ctx context.Context, in *s3.PutBucketEncryptionInput, opts ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error)
	PutBucketLifecycleConfiguration(ctx context.Context, in *s3.PutBucketLifecycleConfigurationInput, opts ...func(*s3.Options)) (*s3.PutBucketLifecycleConfigurationOutput, error)
	PutBucketCors(ctx context.Context, in *s3.PutBucketCorsInput, opts ...func(*s3.Options)) (*s3.PutBucketCorsOutput, error)
	PutBucketTagging(ctx context.Context, in *s3.PutBucketTaggingInput, opts ...func(*s3.Options)) (*s3.PutBucketTaggingOutput, error)
	GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, opts ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
	DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, opts ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Presigner signs URLs (no AWS call).
type Presigner interface {
	PresignGetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
	PresignPutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

// Deps are what the commands are built from.
type Deps struct {
	S3       API
	Presign  Presigner
	Region   string
	Settings settings.Settings
	// Bounds limit object access to buckets this system created
	// (commander:managed-by) and the buckets the stage lists.
	Bounds deputy.Bounds
}

// Limits of the inline and presign commands.
const (
	MaxInlineBytes   = 1 << 20
	MaxPresignExpiry = 3600 // one hour: a URL is a bearer credential nobody can revoke (SigV4 would allow 7 days)
	DeleteBatch      = 1000 // DeleteObjects' limit
)

var (
	bucketRE = api.Bound(`^[a-z0-9][a-z0-9.-]+[a-z0-9]$`, 63) // the limit apart: it costs every cold start
	keyRE    = regexp.MustCompile(`^[^\x00]+$`)
	kmsKeyRE = regexp.MustCompile(`^(arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[\w/+=,.@-]+|alias/[\w/+=,.@-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)
)

func bucketParam() api.Param {
	return api.Param{Name: "bucket", Type: api.String, Required: true, Pattern: bucketRE, Accepts: "a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens"}
}

func keyParam() api.Param {
	return api.Param{Name: "key", Type: api.String, Required: true, Pattern: keyRE, Max: 1024, Accepts: "an object key of 1 to 1024 bytes"}
}

// Commands are the S3 commands.
func Commands(d Deps) []api.Command {
	s := d.Settings
	return []api.Command{
		{Action: "s3.createBucket", Method: http.MethodPost, Path: "/s3/buckets", Mutates: true,
			Summary: "Create a bucket with all Block Public Access settings, versioning, default encryption and lifecycle; rolled back if any step fails.",
			Params: []api.Param{
				bucketParam(),
				{Name: "encryption", Type: api.String, Default: s.S3Encryption, Enum: []string{"AES256", "aws:kms"}},
				{Name: "kmsKeyId", Type: api.String, Pattern: kmsKeyRE, Accepts: "a KMS key id, alias or ARN", Doc: "with aws:kms; default COMMANDER_S3_KMS_KEY"},
				{Name: "noncurrentDays", Type: api.Int, Min: 1, Max: 36500, Default: int64(s.BackupRetentionDays), Doc: "noncurrent versions expire after this many days"},
				{Name: "cors", Type: api.Object, Max: 64 << 10, Doc: `[{"allowedOrigins":["https://example.com"],"allowedMethods":["GET","PUT"],"allowedHeaders":["*"],"maxAgeSeconds":3000}]`},
				api.Tags(""),
			}, Run: d.createBucket},
		{Action: "s3.deleteBucket", Method: http.MethodDelete, Path: "/s3/buckets/{bucket}", Mutates: true,
			Summary: "Delete a bucket; a non-empty one only with empty=true, which deletes every version and delete marker in batches of 1000. Refused when protected.",
			Params:  []api.Param{bucketParam(), {Name: "empty", Type: api.Bool, Default: false}}, Run: d.deleteBucket},
		{Action: "s3.listBuckets", Method: http.MethodGet, Path: "/s3/buckets", Summary: "List buckets.", Run: d.listBuckets},
		{Action: "s3.listObjects", Method: http.MethodGet, Path: "/s3/buckets/{bucket}/objects", Summary: "List objects by prefix, paginated.",
			Params: []api.Param{bucketParam(),
				{Name: "prefix", Type: api.String, Max: 1024},
				{Name: "maxKeys", Type: api.Int, Min: 1, Max: 1000, Default: int64(100)},
				{Name: "nextToken", Type: api.String, Max: 4096},
			}, Run: d.listObjects},
		{Action: "s3.presign", Method: http.MethodPost, Path: "/s3/buckets/{bucket}/presign",
			Summary: "A presigned download (GET) or upload (PUT) URL with a bounded expiry.",
			Params: []api.Param{bucketParam(), keyParam(),
				{Name: "method", Type: api.String, Default: "GET", Enum: []string{"GET", "PUT"}},
				{Name: "expiresSeconds", Type: api.Int, Min: 1, Max: MaxPresignExpiry, Default: int64(900)},
			}, Run: d.presign},
		{Action: "s3.putObject", Method: http.MethodPut, Path: "/s3/buckets/{bucket}/objects/{key+}", Mutates: true,
			Summary: "Put a small object given inline in base64 (up to 1 MB).",
			Params: []api.Param{bucketParam(), keyParam(),
				{Name: "contentBase64", Type: api.String, Required: true, Max: MaxInlineBytes*4/3 + 4, Doc: "the object, base64"},
				{Name: "contentType", Type: api.String, Default: "application/octet-stream", Max: 255},
			}, Run: d.putObject},
		{Action: "s3.getObject", Method: http.MethodGet, Path: "/s3/buckets/{bucket}/objects/{key+}",
			Summary: "Get a small object (up to 1 MB) inline in base64.",
			Params:  []api.Param{bucketParam(), keyParam(), {Name: "versionId", Type: api.String, Max: 1024}}, Run: d.getObject},
		{Action: "s3.deleteObject", Method: http.MethodDelete, Path: "/s3/buckets/{bucket}/objects/{key+}", Mutates: true,
			Summary: "Delete an object: the current version (a delete marker when versioned), one version, or all versions.",
			Params: []api.Param{bucketParam(), keyParam(),
				{Name: "versionId", Type: api.String, Max: 1024},
				{Name: "allVersions", Type: api.Bool, Default: false},
			}, Run: d.deleteObject},
	}
}

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
	if c.DryRun {
		var p api.Plan
		for _, s := range steps {
			p.Add(s.Call, s.In)
		}
		p.Note = "nothing created; on a failure after CreateBucket the bucket is deleted again"
		return p, nil
	}
	bucket := c.Params.Str("bucket")
	// us-east-1 answers CreateBucket on a bucket we own with success: without
	// this check a second create would reconfigure, and a failed step roll
	// back (delete), somebody's existing bucket.
	if _, err := d.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err == nil || !awserr.Is(err, awserr.NotFound) {
		if err == nil || awserr.Is(err, awserr.AccessDenied) {
			return nil, api.Conflictf("bucket %s already exists", bucket)
		}
		return nil, fmt.Errorf("check bucket %s: %w", bucket, err)
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

// TagReader is the slice of S3 the bucket checks read.
type TagReader interface {
	GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, opts ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
}

// BucketTags are a bucket's tags; a bucket without any has none.
func BucketTags(ctx context.Context, s TagReader, bucket string) (map[string]string, error) {
	out, err := s.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	if err != nil {
		// No tags at all is an empty set; a missing bucket is the caller's answer.
		var coded interface{ ErrorCode() string }
		if errors.As(err, &coded) && coded.ErrorCode() == "NoSuchTagSet" {
			return map[string]string{}, nil
		}
		return nil, fmt.Errorf("read tags of bucket %s: %w", bucket, err)
	}
	return tags.Map(out.TagSet, func(t types.Tag) *string { return t.Key }, func(t types.Tag) *string { return t.Value }), nil
}

// CheckBucket refuses object access (parameter field) outside the bounds:
// the bucket must carry commander:managed-by=commander or be one the stage
// lists; a write also refuses a protected bucket. The code is the guard here:
// IAM cannot tell which buckets this system created (no ABAC on them).
func CheckBucket(ctx context.Context, s TagReader, b deputy.Bounds, protectKey, field, bucket string, write bool) error {
	listed := b.ListedBucket(bucket)
	if listed && !write {
		return nil
	}
	t, err := BucketTags(ctx, s, bucket)
	if err != nil {
		return err
	}
	if !listed && t[tags.ManagedBy] != tags.ManagedByValue {
		return deputy.Refused(field, "bucket "+bucket+" was not created by commander and is not one the stage lists",
			"a bucket s3.createBucket made (tagged "+tags.ManagedBy+"="+tags.ManagedByValue+") or one of the stage's object buckets")
	}
	if write {
		return api.RefuseProtected("bucket "+bucket, t, protectKey)
	}
	return nil
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

func (d Deps) listObjects(ctx context.Context, c *api.Call) (any, error) {
	p := c.Params
	if err := CheckBucket(ctx, d.S3, d.Bounds, d.Settings.ProtectTag, "bucket", p.Str("bucket"), false); err != nil {
		return nil, err
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(p.Str("bucket")), MaxKeys: aws.Int32(int32(p.Int("maxKeys")))}
	if v := p.Str("prefix"); v != "" {
		in.Prefix = aws.String(v)
	}
	if v := p.Str("nextToken"); v != "" {
		in.ContinuationToken = aws.String(v)
	}
	out, err := d.S3.ListObjectsV2(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("list objects of %s: %w", p.Str("bucket"), err)
	}
	type object struct {
		Key          string     `json:"key"`
		Size         int64      `json:"size"`
		LastModified *time.Time `json:"lastModified,omitempty"`
		StorageClass string     `json:"storageClass,omitempty"`
	}
	list := []object{}
	for _, o := range out.Contents {
		list = append(list, object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), LastModified: o.LastModified, StorageClass: string(o.StorageClass)})
	}
	return map[string]any{"objects": list, "nextToken": aws.ToString(out.NextContinuationToken)}, nil
}

func (d Deps) presign(ctx context.Context, c *api.Call) (any, error) {
	p := c.Params
	// Signing makes no call, so nothing else stops a URL into a foreign
	// bucket: the same bounds as getObject and putObject.
	if err := CheckBucket(ctx, d.S3, d.Bounds, d.Settings.ProtectTag, "bucket", p.Str("bucket"), p.Str("method") == "PUT"); err != nil {
		return nil, err
	}
	exp := time.Duration(p.Int("expiresSeconds")) * time.Second
	opt := func(o *s3.PresignOptions) { o.Expires = exp }
	b, k := aws.String(p.Str("bucket")), aws.String(p.Str("key"))
	var req *v4.PresignedHTTPRequest
	var err error
	if p.Str("method") == "PUT" {
		req, err = d.Presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k}, opt)
	} else {
		req, err = d.Presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: k}, opt)
	}
	if err != nil {
		return nil, fmt.Errorf("presign: %w", err)
	}
	return map[string]any{"url": req.URL, "method": req.Method, "expiresAt": c.Now.Add(exp)}, nil
}

func (d Deps) putObject(ctx context.Context, c *api.Call) (any, error) {
	p := c.Params
	body, err := base64.StdEncoding.DecodeString(p.Str("contentBase64"))
	if err != nil {
		return nil, api.Invalid("contentBase64", "standard base64 of at most 1 MB")
	}
	if len(body) > MaxInlineBytes {
		return nil, api.Invalid("contentBase64", "standard base64 of at most 1 MB; use s3.presign for larger objects")
	}
	if err := CheckBucket(ctx, d.S3, d.Bounds, d.Settings.ProtectTag, "bucket", p.Str("bucket"), true); err != nil {
		return nil, err
	}
	in := &s3.PutObjectInput{Bucket: aws.String(p.Str("bucket")), Key: aws.String(p.Str("key")), Body: bytes.NewReader(body),
		ContentType: aws.String(p.Str("contentType")), ContentLength: aws.Int64(int64(len(body)))}
	if c.DryRun {
		return api.Plan{WouldCall: []api.Step{{Call: "S3.PutObject", Input: map[string]any{"bucket": p.Str("bucket"), "key": p.Str("key"), "bytes": len(body)}}}}, nil
	}
	out, err := d.S3.PutObject(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("put %s/%s: %w", p.Str("bucket"), p.Str("key"), err)
	}
	return map[string]any{"bucket": p.Str("bucket"), "key": p.Str("key"), "bytes": len(body), "versionId": aws.ToString(out.VersionId), "etag": aws.ToString(out.ETag)}, nil
}

func (d Deps) getObject(ctx context.Context, c *api.Call) (any, error) {
	p := c.Params
	if err := CheckBucket(ctx, d.S3, d.Bounds, d.Settings.ProtectTag, "bucket", p.Str("bucket"), false); err != nil {
		return nil, err
	}
	in := &s3.GetObjectInput{Bucket: aws.String(p.Str("bucket")), Key: aws.String(p.Str("key"))}
	if v := p.Str("versionId"); v != "" {
		in.VersionId = aws.String(v)
	}
	out, err := d.S3.GetObject(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("get %s/%s: %w", p.Str("bucket"), p.Str("key"), err)
	}
	defer out.Body.Close()
	if n := aws.ToInt64(out.ContentLength); n > MaxInlineBytes {
		return nil, &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "ObjectTooLarge",
			Message: fmt.Sprintf("the object is %d bytes; inline reads stop at %d: use s3.presign", n, MaxInlineBytes)}
	}
	body, err := io.ReadAll(io.LimitReader(out.Body, MaxInlineBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", p.Str("bucket"), p.Str("key"), err)
	}
	if len(body) > MaxInlineBytes {
		return nil, &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "ObjectTooLarge", Message: "the object is over 1 MB: use s3.presign"}
	}
	return map[string]any{"bucket": p.Str("bucket"), "key": p.Str("key"), "contentBase64": base64.StdEncoding.EncodeToString(body),
		"contentType": aws.ToString(out.ContentType), "bytes": len(body), "versionId": aws.ToString(out.VersionId)}, nil
}

func (d Deps) deleteObject(ctx context.Context, c *api.Call) (any, error) {
	p := c.Params
	bucket, key := p.Str("bucket"), p.Str("key")
	if p.Bool("allVersions") && p.Str("versionId") != "" {
		return nil, api.Invalid("versionId", "nothing when allVersions is true")
	}
	if err := CheckBucket(ctx, d.S3, d.Bounds, d.Settings.ProtectTag, "bucket", bucket, true); err != nil {
		return nil, err
	}
	var ids []types.ObjectIdentifier
	if p.Bool("allVersions") {
		pg := s3.NewListObjectVersionsPaginator(d.S3, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list versions of %s/%s: %w", bucket, key, err)
			}
			for _, id := range VersionIDs(out) {
				if aws.ToString(id.Key) == key { // the prefix also matches longer keys
					ids = append(ids, id)
				}
			}
		}
	} else {
		id := types.ObjectIdentifier{Key: aws.String(key)}
		if v := p.Str("versionId"); v != "" {
			id.VersionId = aws.String(v)
		}
		ids = []types.ObjectIdentifier{id}
	}
	sort.SliceStable(ids, func(i, j int) bool { return aws.ToString(ids[i].VersionId) < aws.ToString(ids[j].VersionId) })
	if c.DryRun {
		return api.Plan{WouldCall: []api.Step{{Call: "S3.DeleteObjects", Input: map[string]any{"bucket": bucket, "objects": ids}}}}, nil
	}
	deleted := 0
	for start := 0; start < len(ids); start += DeleteBatch {
		batch := ids[start:min(start+DeleteBatch, len(ids))]
		if len(batch) == 1 {
			in := &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: batch[0].Key, VersionId: batch[0].VersionId}
			if _, err := d.S3.DeleteObject(ctx, in); awserr.IgnoreNotFound(err) != nil {
				return nil, fmt.Errorf("delete %s/%s: %w", bucket, key, err)
			}
		} else {
			res, err := d.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: batch, Quiet: aws.Bool(true)}})
			if err != nil {
				return nil, fmt.Errorf("delete versions of %s/%s: %w", bucket, key, err)
			}
			if len(res.Errors) > 0 {
				return nil, fmt.Errorf("delete versions of %s/%s: %d not deleted: %s", bucket, key, len(res.Errors), aws.ToString(res.Errors[0].Message))
			}
		}
		deleted += len(batch)
	}
	return map[string]any{"bucket": bucket, "key": key, "deleted": deleted}, nil
}

func s3Tags(m map[string]string) []types.Tag {
	return tags.List(m, func(k, v *string) types.Tag { return types.Tag{Key: k, Value: v} })
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
