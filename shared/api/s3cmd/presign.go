package s3cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

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
