package s3cmd

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

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
