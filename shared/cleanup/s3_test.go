package cleanup

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Only empty buckets this system made are deleted, after mark and grace;
// a bucket that gets an object during the grace loses its marks; the
// user's own buckets are never candidates; marking keeps the other tags.
func TestBuckets(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	api := s3client.New(f.cfg)
	bucket := func(name string, tg map[string]string, object bool) {
		if _, err := api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		if len(tg) > 0 {
			var set []s3types.Tag
			for _, k := range sortedStrings(tg) {
				set = append(set, s3types.Tag{Key: aws.String(k), Value: aws.String(tg[k])})
			}
			if _, err := api.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(name), Tagging: &s3types.Tagging{TagSet: set}}); err != nil {
				t.Fatal(err)
			}
		}
		if object {
			put(t, api, name)
		}
	}
	managed := map[string]string{tags.ManagedBy: tags.ManagedByValue, "team": "data"}
	bucket("managed-empty", managed, false)
	bucket("managed-full", managed, true)
	bucket("managed-filled-later", managed, false)
	bucket("managed-protected", map[string]string{tags.ManagedBy: tags.ManagedByValue, "commander:protect": "true"}, false)
	bucket("users-empty", nil, false)

	j := f.job(`
policies:
  - name: empty-buckets
    resource: s3:bucket
    action: delete
    filters: [{state: empty}, {age: 30d}]
`, nil)
	now := time.Now().UTC().Add(40 * day)
	rep := f.run(j, now, "")
	if rep.Count("mark", report.Done) != 2 {
		t.Fatalf("mark run: %v %v", rep.Counts, rep.Errors)
	}
	if d := decisionFor(rep, "users-empty"); d.Resource != "" {
		t.Errorf("a bucket this system did not create is never a candidate: %+v", d)
	}
	if d := decisionFor(rep, "managed-protected"); d.Outcome != report.Skipped {
		t.Errorf("protected: %+v", d)
	}
	tg, err := bucketTags(ctx, api, "managed-empty")
	if err != nil || tg[tags.CleanupAction] != "delete" || tg["team"] != "data" || tg[tags.ManagedBy] == "" {
		t.Fatalf("marked tags %v (other tags must stay): %v", tg, err)
	}
	put(t, api, "managed-filled-later")

	rep = f.run(j, now.Add(8*day), "")
	if rep.Status != report.StatusOK || rep.Count("delete", report.Done) != 1 || rep.Count("unmark", report.Done) != 1 {
		t.Fatalf("act run: %s %v %v", rep.Status, rep.Counts, rep.Errors)
	}
	out, err := api.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	slices.Sort(names)
	if strings.Join(names, ",") != "managed-filled-later,managed-full,managed-protected,users-empty" {
		t.Errorf("buckets left: %v", names)
	}
	tg, _ = bucketTags(ctx, api, "managed-filled-later")
	if tg[tags.CleanupAction] != "" || tg["team"] != "data" {
		t.Errorf("managed-filled-later tags after unmark: %v", tg)
	}
}

func put(t *testing.T, api *s3.Client, bucket string) {
	t.Helper()
	if _, err := api.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: bytes.NewReader([]byte("x"))}); err != nil {
		t.Fatal(err)
	}
}
