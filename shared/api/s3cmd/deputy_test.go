package s3cmd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// buckets is S3 holding buckets by name with their tags (nil: no tag set);
// object calls are recorded.
type buckets struct {
	API
	tags  map[string][]types.Tag
	calls *[]string
}

func (b buckets) GetBucketTagging(_ context.Context, in *s3.GetBucketTaggingInput, _ ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error) {
	t, ok := b.tags[aws.ToString(in.Bucket)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "NoSuchBucket"}
	}
	if t == nil {
		return nil, &smithy.GenericAPIError{Code: "NoSuchTagSet"}
	}
	return &s3.GetBucketTaggingOutput{TagSet: t}, nil
}

func (b buckets) GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	*b.calls = append(*b.calls, "GetObject")
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(nil))}, nil
}

func (b buckets) PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	*b.calls = append(*b.calls, "PutObject")
	return &s3.PutObjectOutput{}, nil
}

func (b buckets) DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	*b.calls = append(*b.calls, "DeleteObject")
	return &s3.DeleteObjectOutput{}, nil
}

func (b buckets) ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	*b.calls = append(*b.calls, "ListObjectsV2")
	return &s3.ListObjectsV2Output{}, nil
}

func (b buckets) ListObjectVersions(context.Context, *s3.ListObjectVersionsInput, ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	*b.calls = append(*b.calls, "ListObjectVersions")
	return &s3.ListObjectVersionsOutput{}, nil
}

// signer signs without AWS; a signature is recorded as a call.
type signer struct{ calls *[]string }

func (s signer) PresignGetObject(context.Context, *s3.GetObjectInput, ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
	*s.calls = append(*s.calls, "PresignGetObject")
	return &v4.PresignedHTTPRequest{URL: "https://x", Method: "GET"}, nil
}

func (s signer) PresignPutObject(context.Context, *s3.PutObjectInput, ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
	*s.calls = append(*s.calls, "PresignPutObject")
	return &v4.PresignedHTTPRequest{URL: "https://x", Method: "PUT"}, nil
}

func kv(pairs ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, types.Tag{Key: aws.String(pairs[i]), Value: aws.String(pairs[i+1])})
	}
	return out
}

// Object commands act only in buckets commander made or the stage lists;
// writes refuse a protected bucket; nothing is read, written or signed
// before the refusal.
func TestObjectsOutOfBounds(t *testing.T) {
	state := map[string][]types.Tag{
		"ours":           kv(tags.ManagedBy, tags.ManagedByValue),
		"ours-protected": kv(tags.ManagedBy, tags.ManagedByValue, "Commander:Protect", "true"),
		"foreign":        kv("team", "payments"),
		"untagged":       nil,
		"listed":         nil,
		"listed-guarded": kv(tags.Protect, "TRUE"),
		"fake-managed":   kv(tags.ManagedBy, "someone"),
	}
	b := deputy.Bounds{ObjectBuckets: []string{"listed", "listed-guarded"}}
	obj := func(bucket string, extra ...any) api.Params {
		p := api.Params{"bucket": bucket, "key": "k", "contentBase64": "YQ==", "contentType": "text/plain", "method": "GET", "expiresSeconds": int64(60), "maxKeys": int64(10)}
		for i := 0; i+1 < len(extra); i += 2 {
			p[extra[i].(string)] = extra[i+1]
		}
		return p
	}
	cases := []struct {
		name   string
		action string
		params api.Params
		status int // 0: allowed
		want   string
	}{
		{"get from a foreign bucket", "s3.getObject", obj("foreign"), 403, "not created by commander"},
		{"get from an untagged bucket", "s3.getObject", obj("untagged"), 403, "not created by commander"},
		{"get from a bucket tagged managed-by someone else", "s3.getObject", obj("fake-managed"), 403, "not created by commander"},
		{"list a foreign bucket", "s3.listObjects", obj("foreign"), 403, "not created by commander"},
		{"presign a GET in a foreign bucket", "s3.presign", obj("foreign"), 403, "not created by commander"},
		{"presign a PUT in a protected bucket", "s3.presign", obj("ours-protected", "method", "PUT"), 409, "protect"},
		{"put into a foreign bucket", "s3.putObject", obj("foreign"), 403, "not created by commander"},
		{"put into a protected bucket (other case)", "s3.putObject", obj("ours-protected"), 409, "protect"},
		{"put into a listed protected bucket", "s3.putObject", obj("listed-guarded"), 409, "protect"},
		{"delete from a foreign bucket", "s3.deleteObject", obj("foreign"), 403, "not created by commander"},
		{"delete from a protected bucket", "s3.deleteObject", obj("ours-protected"), 409, "protect"},
		{"empty a foreign bucket", "s3.deleteBucket", api.Params{"bucket": "foreign", "empty": true}, 403, "not created by commander"},
		{"create a bucket with protection written off", "s3.createBucket", api.Params{"bucket": "new", "encryption": "AES256", "noncurrentDays": int64(30),
			"tags": map[string]string{" Commander:Protect": "false"}}, 400, "does not protect"},
		{"get from its own bucket", "s3.getObject", obj("ours"), 0, ""},
		{"get from a protected bucket (reading is fine)", "s3.getObject", obj("ours-protected"), 0, ""},
		{"get from a listed bucket", "s3.getObject", obj("listed"), 0, ""},
		{"put into its own bucket", "s3.putObject", obj("ours"), 0, ""},
		{"put into a listed bucket", "s3.putObject", obj("listed"), 0, ""},
		{"presign a GET in a listed protected bucket", "s3.presign", obj("listed-guarded"), 0, ""},
		{"list its own bucket", "s3.listObjects", obj("ours"), 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			d := Deps{S3: buckets{tags: state, calls: &calls}, Presign: signer{&calls}, Settings: settings.Settings{ProtectTag: tags.Protect}, Bounds: b}
			var cmd *api.Command
			for _, c := range Commands(d) {
				if c.Action == tc.action {
					cmd = &c
				}
			}
			_, err := cmd.Run(context.Background(), &api.Call{Action: tc.action, Params: tc.params, Caller: "test", Now: time.Now()})
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if len(calls) == 0 {
					t.Error("allowed, but nothing was called")
				}
				return
			}
			var e *api.Error
			if !errors.As(err, &e) || e.Status != tc.status || (tc.status == 403 && e.Field != "bucket") || !strings.Contains(e.Message, tc.want) {
				t.Fatalf("err = %v, want %d with %q", err, tc.status, tc.want)
			}
			if len(calls) > 0 {
				t.Errorf("called %v before refusing", calls)
			}
		})
	}
}

// A presigned URL lives at most an hour.
func TestPresignExpiryBound(t *testing.T) {
	for _, c := range Commands(Deps{}) {
		if c.Action != "s3.presign" {
			continue
		}
		for _, p := range c.Params {
			if p.Name == "expiresSeconds" && (p.Max != 3600 || p.Default != int64(900)) {
				t.Errorf("expiresSeconds max %d default %v, want 3600 and 900", p.Max, p.Default)
			}
		}
	}
}
