package s3cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

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
