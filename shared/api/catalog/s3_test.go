package catalog_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/s3cmd"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

func TestS3BucketLifecycle(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	c := s3client.New(h.cfg)
	const b = "commander-test-bucket"
	body := map[string]any{"bucket": b, "tags": map[string]string{"team": "ops"},
		"cors": []map[string]any{{"allowedOrigins": []string{"https://example.com"}, "allowedMethods": []string{"GET", "PUT"}, "maxAgeSeconds": 3000}}}

	// A dry run is the plan, nothing created.
	var plan api.Plan
	h.direct("s3.createBucket", body, true).ok(t, "dry create").into(t, &plan)
	if len(plan.WouldCall) != 7 || plan.WouldCall[0].Call != "S3.CreateBucket" {
		t.Errorf("plan = %+v", plan)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b)}); err == nil {
		t.Fatal("dry run created the bucket")
	}

	h.http("POST", "/s3/buckets", "", body).ok(t, "create")
	bpa, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(b)})
	if err != nil {
		t.Fatal(err)
	}
	pc := bpa.PublicAccessBlockConfiguration
	if !aws.ToBool(pc.BlockPublicAcls) || !aws.ToBool(pc.IgnorePublicAcls) || !aws.ToBool(pc.BlockPublicPolicy) || !aws.ToBool(pc.RestrictPublicBuckets) {
		t.Errorf("public access block = %+v", pc)
	}
	ver, _ := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(b)})
	if ver.Status != types.BucketVersioningStatusEnabled {
		t.Errorf("versioning = %s", ver.Status)
	}
	enc, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(b)})
	if err != nil || enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 {
		t.Errorf("encryption: %v %+v", err, enc)
	}
	lc, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b)})
	if err != nil || len(lc.Rules) != 1 {
		t.Fatalf("lifecycle: %v", err)
	}
	r := lc.Rules[0]
	if r.NoncurrentVersionExpiration == nil || aws.ToInt32(r.NoncurrentVersionExpiration.NoncurrentDays) != 30 ||
		r.AbortIncompleteMultipartUpload == nil || aws.ToInt32(r.AbortIncompleteMultipartUpload.DaysAfterInitiation) != 7 || r.Status != types.ExpirationStatusEnabled {
		t.Errorf("lifecycle rule = %+v", r)
	}
	cors, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String(b)})
	if err != nil || len(cors.CORSRules) != 1 || cors.CORSRules[0].AllowedOrigins[0] != "https://example.com" {
		t.Errorf("cors: %v %+v", err, cors)
	}
	tg, _ := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(b)})
	tm := map[string]string{}
	for _, x := range tg.TagSet {
		tm[aws.ToString(x.Key)] = aws.ToString(x.Value)
	}
	if tm[tags.ManagedBy] != "commander" || tm[tags.CreatedBy] != caller || tm["team"] != "ops" {
		t.Errorf("tags = %v", tm)
	}
	h.http("POST", "/s3/buckets", "", map[string]any{"bucket": b}).is(t, "create again", 409, "Conflict")
	// A dry run meets the same check: no plan for a create that would be refused.
	h.http("POST", "/s3/buckets", "dryRun=true", map[string]any{"bucket": b}).is(t, "dry-run create again", 409, "Conflict")

	// Objects: put, get, list, presign, delete.
	content := []byte("hello, commander")
	h.http("PUT", "/s3/buckets/"+b+"/objects/dir/hello.txt", "", map[string]any{"contentBase64": base64.StdEncoding.EncodeToString(content), "contentType": "text/plain"}).ok(t, "put")
	h.direct("s3.putObject", map[string]any{"bucket": b, "key": "dir/hello.txt", "contentBase64": base64.StdEncoding.EncodeToString([]byte("v2"))}, false).ok(t, "put v2")
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("dir/hello.txt")})
	if err != nil {
		t.Fatal(err)
	}
	got.Body.Close()
	var obj struct {
		Content string `json:"contentBase64"`
	}
	h.direct("s3.getObject", map[string]any{"bucket": b, "key": "dir/hello.txt"}, false).ok(t, "get").into(t, &obj)
	if dec, _ := base64.StdEncoding.DecodeString(obj.Content); string(dec) != "v2" {
		t.Errorf("get = %q", dec)
	}
	h.direct("s3.putObject", map[string]any{"bucket": b, "key": "x", "contentBase64": "not base64!"}, false).is(t, "bad base64", 400, "InvalidParameter")
	h.direct("s3.putObject", map[string]any{"bucket": b, "key": "x", "contentBase64": base64.StdEncoding.EncodeToString(make([]byte, s3cmd.MaxInlineBytes+1))}, false).is(t, "over 1 MB", 400, "InvalidParameter")
	var list struct {
		Objects []struct{ Key string } `json:"objects"`
	}
	h.http("GET", "/s3/buckets/"+b+"/objects", "prefix=dir/", nil).ok(t, "list").into(t, &list)
	if len(list.Objects) != 1 || list.Objects[0].Key != "dir/hello.txt" {
		t.Errorf("list = %+v", list)
	}
	var ps struct {
		URL    string `json:"url"`
		Method string `json:"method"`
	}
	h.http("POST", "/s3/buckets/"+b+"/presign", "", map[string]any{"key": "dir/hello.txt", "method": "PUT", "expiresSeconds": 60}).ok(t, "presign").into(t, &ps)
	if ps.Method != "PUT" || !strings.Contains(ps.URL, "X-Amz-Expires=60") || !strings.Contains(ps.URL, "/"+b+"/dir/hello.txt") {
		t.Errorf("presign = %+v", ps)
	}
	h.direct("s3.presign", map[string]any{"bucket": b, "key": "k", "expiresSeconds": 604801}, false).is(t, "expiry too long", 400, "InvalidParameter")
	var buckets struct {
		Buckets []struct{ Name string } `json:"buckets"`
	}
	h.direct("s3.listBuckets", nil, false).ok(t, "list buckets").into(t, &buckets)
	if len(buckets.Buckets) != 1 || buckets.Buckets[0].Name != b {
		t.Errorf("buckets = %+v", buckets)
	}

	// Deleting: a non-empty bucket is refused, a protected one too.
	h.http("DELETE", "/s3/buckets/"+b, "", nil).is(t, "delete non-empty", 409, "Conflict")
	h.direct("s3.deleteObject", map[string]any{"bucket": b, "key": "dir/hello.txt", "allVersions": true}, false).ok(t, "delete all versions")
	vers, _ := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b)})
	if len(vers.Versions)+len(vers.DeleteMarkers) != 0 {
		t.Errorf("versions left: %d + %d markers", len(vers.Versions), len(vers.DeleteMarkers))
	}
	h.direct("s3.putObject", map[string]any{"bucket": b, "key": "again", "contentBase64": "YQ=="}, false).ok(t, "put")
	h.direct("s3.deleteObject", map[string]any{"bucket": b, "key": "again"}, false).ok(t, "delete current (marker)")
	if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(b), Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String(tags.Protect), Value: aws.String("true")}}}}); err != nil {
		t.Fatal(err)
	}
	h.direct("s3.deleteBucket", map[string]any{"bucket": b, "empty": true}, false).is(t, "delete protected", 409, "Protected")
	// Unprotected again; still a bucket commander made (emptying needs that).
	if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(b), Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String(tags.ManagedBy), Value: aws.String(tags.ManagedByValue)}}}}); err != nil {
		t.Fatal(err)
	}
	h.direct("s3.deleteBucket", map[string]any{"bucket": b, "empty": true}, true).ok(t, "dry delete")
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal("dry delete deleted")
	}
	var del struct {
		Objects int `json:"objectsDeleted"`
	}
	h.http("DELETE", "/s3/buckets/"+b, "empty=true", nil).ok(t, "delete emptied").into(t, &del)
	if del.Objects != 2 { // the version and its delete marker
		t.Errorf("objects deleted = %d", del.Objects)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b)}); err == nil {
		t.Error("bucket still exists")
	}
	h.direct("s3.deleteBucket", map[string]any{"bucket": b}, false).ok(t, "delete again: already gone")
}

// Emptying deletes in batches of 1000.
func TestS3DeleteBucketBatches(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	c := s3client.New(h.cfg)
	const b = "commander-batch-bucket"
	h.direct("s3.createBucket", map[string]any{"bucket": b}, false).ok(t, "create")
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range 1001 {
		g.Go(func() error {
			_, err := c.PutObject(gctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(fmt.Sprintf("o/%04d", i)), Body: bytes.NewReader([]byte("x"))})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	var del struct {
		Objects int `json:"objectsDeleted"`
		Batches int `json:"batches"`
	}
	h.direct("s3.deleteBucket", map[string]any{"bucket": b, "empty": true}, false).ok(t, "delete").into(t, &del)
	if del.Objects != 1001 || del.Batches != 2 {
		t.Errorf("deleted %d in %d batches", del.Objects, del.Batches)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b)}); err == nil {
		t.Error("bucket still exists")
	}
}

// failEncryption is S3 refusing the encryption step.
type failEncryption struct{ s3cmd.API }

func (failEncryption) PutBucketEncryption(context.Context, *s3.PutBucketEncryptionInput, ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error) {
	return nil, errors.New("encryption refused")
}

// A bucket whose encryption fails is deleted again, not left unprotected.
func TestS3CreateBucketRollsBack(t *testing.T) {
	h := newHarness(t, nil)
	c := s3client.New(h.cfg)
	reg, err := api.NewRegistry(s3cmd.Commands(s3cmd.Deps{S3: failEncryption{c}, Region: "us-east-1", Settings: h.settings(t)}))
	if err != nil {
		t.Fatal(err)
	}
	h.srv.Registry = reg
	a := h.direct("s3.createBucket", map[string]any{"bucket": "half-made"}, false)
	a.is(t, "create", 502, "")
	if !strings.Contains(a.Error.Message, "bucket deleted again") {
		t.Errorf("message = %s", a.Error.Message)
	}
	if _, err := c.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("half-made")}); err == nil {
		t.Error("the half-made bucket was left behind")
	}
}
