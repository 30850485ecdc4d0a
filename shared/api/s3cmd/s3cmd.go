// Package s3cmd holds the S3 commands: create a hardened bucket (Block
// Public Access, versioning, encryption, lifecycle), delete it (emptying
// every version on request), list buckets and objects, presigned URLs,
// delete, put and get small objects inline.
package s3cmd

import (
	"context"
	"net/http"
	"regexp"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
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

func s3Tags(m map[string]string) []types.Tag {
	return tags.List(m, func(k, v *string) types.Tag { return types.Tag{Key: k, Value: v} })
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
