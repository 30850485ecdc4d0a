package cleanup

import (
	"context"
	"fmt"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/tagger"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3API is the slice of S3 the cleanup job calls.
type S3API interface {
	s3.ListBucketsAPIClient
	GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, opts ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
	PutBucketTagging(ctx context.Context, in *s3.PutBucketTaggingInput, opts ...func(*s3.Options)) (*s3.PutBucketTaggingOutput, error)
	DeleteBucketTagging(ctx context.Context, in *s3.DeleteBucketTaggingInput, opts ...func(*s3.Options)) (*s3.DeleteBucketTaggingOutput, error)
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, opts ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	DeleteBucket(ctx context.Context, in *s3.DeleteBucketInput, opts ...func(*s3.Options)) (*s3.DeleteBucketOutput, error)
	s3.ListMultipartUploadsAPIClient // s3:multipart-upload
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, opts ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

func bucketTags(ctx context.Context, api S3API, bucket string) (map[string]string, error) {
	out, err := api.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	if err != nil {
		return nil, err // NoSuchTagSet and NoSuchBucket are both not-found
	}
	m := map[string]string{}
	for _, t := range out.TagSet {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m, nil
}

// listBuckets yields the region's buckets this system created, each with
// its state: "empty" (no object, version or delete marker) or "not-empty".
// Tags and emptiness need one call each per bucket (bounded per page).
func listBuckets(ctx context.Context, _ *run, c Clients, region string, _ []policy.Policy, yield func(plan.Resource)) error {
	p := s3.NewListBucketsPaginator(c.S3, &s3.ListBucketsInput{BucketRegion: aws.String(region), MaxBuckets: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list buckets: %w", err)
		}
		got, err := describeEach(ctx, page.Buckets, func(ctx context.Context, b s3types.Bucket) (*plan.Resource, error) {
			if br := aws.ToString(b.BucketRegion); br != "" && br != region {
				return nil, nil // another region's client deals with it
			}
			name := aws.ToString(b.Name)
			tg, err := bucketTags(ctx, c.S3, name)
			if awserr.Is(err, awserr.NotFound) {
				return nil, nil // no tags (so not ours), or gone
			}
			if err != nil {
				return nil, fmt.Errorf("bucket %s tags: %w", name, err)
			}
			if tg[tags.ManagedBy] != tags.ManagedByValue {
				return nil, nil
			}
			v, err := c.S3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(name), MaxKeys: aws.Int32(1)})
			if awserr.Is(err, awserr.NotFound) {
				return nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("bucket %s contents: %w", name, err)
			}
			state := "empty"
			if len(v.Versions) > 0 || len(v.DeleteMarkers) > 0 {
				state = "not-empty"
			}
			return &plan.Resource{
				Type: policy.S3Bucket, ID: name, ARN: tagger.BucketARN(region, name), Region: region, Name: name, State: state,
				Created: aws.ToTime(b.CreationDate), Tags: tg,
			}, nil
		})
		if err != nil {
			return err
		}
		for _, r := range got {
			if r != nil {
				yield(*r)
			}
		}
	}
	return nil
}

// actBuckets deletes buckets. DeleteBucket never deletes objects: a bucket
// that is not empty (any more) fails with BucketNotEmpty and stays.
var actBuckets = deleteEach("delete bucket", func(ctx context.Context, c Clients, it item) error {
	_, err := c.S3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(it.res.ID)})
	return err
})
