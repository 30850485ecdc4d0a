package cleanup

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const uploadsDoc = `
policies:
  - name: stale-uploads
    resource: s3:multipart-upload
    action: abort
    filters: [{age: 7d}]
    exclude: [{tag: keep, present: true}]
`

func (f *fixture) bucket(name string, tg map[string]string) {
	f.t.Helper()
	api := s3client.New(f.cfg)
	if _, err := api.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		f.t.Fatal(err)
	}
	if len(tg) > 0 {
		f.setBucketTags(name, tg)
	}
}

func (f *fixture) setBucketTags(name string, tg map[string]string) {
	f.t.Helper()
	var set []s3types.Tag
	for _, k := range sortedStrings(tg) {
		set = append(set, s3types.Tag{Key: aws.String(k), Value: aws.String(tg[k])})
	}
	if _, err := s3client.New(f.cfg).PutBucketTagging(context.Background(), &s3.PutBucketTaggingInput{Bucket: aws.String(name), Tagging: &s3types.Tagging{TagSet: set}}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) bucketTags(name string) map[string]string {
	f.t.Helper()
	tg, err := bucketTags(context.Background(), s3client.New(f.cfg), name)
	if err != nil {
		f.t.Fatal(err)
	}
	return tg
}

// upload starts a multipart upload and returns its report id.
func (f *fixture) upload(bucket, key string) string {
	f.t.Helper()
	out, err := s3client.New(f.cfg).CreateMultipartUpload(context.Background(), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		f.t.Fatal(err)
	}
	return uploadID(bucket, key, aws.ToString(out.UploadId))
}

// uploadsLeft lists the incomplete uploads of a bucket by report id.
func (f *fixture) uploadsLeft(bucket string) []string {
	f.t.Helper()
	var out []string
	api := s3client.New(f.cfg)
	if err := eachUpload(context.Background(), api, bucket, func(u s3types.MultipartUpload) {
		out = append(out, uploadID(bucket, aws.ToString(u.Key), aws.ToString(u.UploadId)))
	}); err != nil {
		f.t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string { slices.Sort(ids); return ids }

// Stale uploads in buckets this system made are marked on the bucket, then
// aborted past the grace; an upload started during the grace gets its own
// due; a bucket that stops matching loses its uploads' marks; the user's
// buckets and a protected one are never touched; dry-run changes nothing.
func TestMultipartUploads(t *testing.T) {
	f := newFixture(t)
	managed := map[string]string{tags.ManagedBy: tags.ManagedByValue, "team": "data"}
	f.bucket("managed", managed)
	a, b := f.upload("managed", "a.bin"), f.upload("managed", "dir/b?.bin")
	f.bucket("managed-kept-later", managed)
	kept := f.upload("managed-kept-later", "k")
	f.bucket("managed-protected", map[string]string{tags.ManagedBy: tags.ManagedByValue, "commander:protect": "true"})
	guarded := f.upload("managed-protected", "p")
	f.bucket("users", nil)
	users := f.upload("users", "u")
	now := time.Now().UTC().Add(40 * day)

	dry := f.job(uploadsDoc, map[string]string{"COMMANDER_DRY_RUN": ""})
	rep := f.run(dry, now, "")
	if d := decisionFor(rep, a); d.Action != "mark" || d.Outcome != report.Planned {
		t.Errorf("dry run %s: %+v", a, d)
	}
	if len(f.bucketTags("managed")) != 2 || len(f.uploadsLeft("managed")) != 2 || rep.APICalls["S3.PutBucketTagging"]+rep.APICalls["S3.AbortMultipartUpload"] != 0 {
		t.Fatalf("dry run changed state: %v %v %v", f.bucketTags("managed"), f.uploadsLeft("managed"), rep.APICalls)
	}

	j := f.job(uploadsDoc, map[string]string{"COMMANDER_CLEANUP_GRACE": "7d"})
	rep = f.run(j, now, "")
	if rep.Count("mark", report.Done) != 3 || rep.Status != report.StatusOK {
		t.Fatalf("mark run: %s %v %v", rep.Status, rep.Counts, rep.Errors)
	}
	due := now.Add(7 * day).UTC().Truncate(time.Second)
	key := UploadMarkPrefix + due.Format(markTime)
	tg := f.bucketTags("managed")
	if _, err := time.Parse(markTime, tg[key]); err != nil || tg["team"] != "data" || tg[tags.CleanupAction] != "" {
		t.Fatalf("bucket tags after mark: %v (want %s=<cutoff>)", tg, key)
	}
	if d := decisionFor(rep, guarded); d.Outcome != report.Skipped || !strings.Contains(d.Reason, "commander:protect=true") {
		t.Errorf("protected bucket's upload: %+v", d)
	}
	if d := decisionFor(rep, users); d.Resource != "" {
		t.Errorf("an upload in a bucket this system did not create is never a candidate: %+v", d)
	}
	if rep = f.run(j, now, ""); rep.Count("mark", report.Done) != 0 || rep.Count("wait", report.Skipped) != 3 {
		t.Errorf("re-delivered run: %v", rep.Counts)
	}

	// During the grace: a new upload, and a bucket tagged to keep. moto
	// reports one fixed initiation time for every upload, so the new one
	// falls under the existing mark's cutoff (TestUploadMarks covers an
	// upload initiated after it, which gets a mark of its own).
	c := f.upload("managed", "c")
	kt := f.bucketTags("managed-kept-later")
	kt["keep"] = "yes"
	f.setBucketTags("managed-kept-later", kt)
	rep = f.run(j, now.Add(2*day), "")
	if decisionFor(rep, c).Action != "wait" || decisionFor(rep, a).Action != "wait" || decisionFor(rep, kept).Action != "unmark" {
		t.Fatalf("during the grace: c %+v, a %+v, kept %+v", decisionFor(rep, c), decisionFor(rep, a), decisionFor(rep, kept))
	}
	if tg := f.bucketTags("managed-kept-later"); len(tg) != 3 || tg["keep"] != "yes" {
		t.Errorf("unmarked bucket's tags: %v", tg)
	}

	// Before due nothing is aborted; past due every marked upload is.
	if rep = f.run(j, now.Add(6*day), ""); rep.Count("abort", report.Done) != 0 || len(f.uploadsLeft("managed")) != 3 {
		t.Fatalf("acted before due: %v", rep.Counts)
	}
	rep = f.run(j, now.Add(8*day), "")
	if rep.Count("abort", report.Done) != 3 || rep.Status != report.StatusOK {
		t.Fatalf("act run: %s %v %v", rep.Status, rep.Counts, rep.Errors)
	}
	if got := f.uploadsLeft("managed"); len(got) != 0 {
		t.Errorf("uploads left: %v (aborted %s %s %s)", got, a, b, c)
	}
	if tg := f.bucketTags("managed"); len(tg) != 2 || tg["team"] != "data" {
		t.Errorf("bucket tags after the abort (the spent mark goes, the others stay): %v", tg)
	}
	for bucket, want := range map[string][]string{"managed-kept-later": {kept}, "managed-protected": {guarded}, "users": {users}} {
		if got := f.uploadsLeft(bucket); !slices.Equal(got, want) {
			t.Errorf("%s uploads: %v", bucket, got)
		}
	}
	if rep = f.run(j, now.Add(8*day), ""); rep.Status != report.StatusOK || rep.Count("abort", report.Failed) != 0 {
		t.Errorf("re-delivered act run: %s %v", rep.Status, rep.Errors)
	}
}

// The breaker counts aborts against the uploads listed.
func TestMultipartUploadsBreaker(t *testing.T) {
	f := newFixture(t)
	f.bucket("managed", map[string]string{tags.ManagedBy: tags.ManagedByValue})
	var ids []string
	for _, k := range []string{"1", "2", "3", "4"} {
		ids = append(ids, f.upload("managed", k))
	}
	now := time.Now().UTC().Add(40 * day)
	j := f.job(uploadsDoc, map[string]string{"COMMANDER_BREAKER_MAX_COUNT": "3", "COMMANDER_CLEANUP_GRACE": "1d"})
	f.run(j, now, "")
	rep := f.run(j, now.Add(2*day), "")
	if rep.Status != report.StatusPartial || !strings.Contains(rep.Reason, "policy stale-uploads") || rep.APICalls["S3.AbortMultipartUpload"] != 0 {
		t.Errorf("report: %s %q %v", rep.Status, rep.Reason, rep.APICalls)
	}
	if got := f.uploadsLeft("managed"); !slices.Equal(got, sorted(ids...)) {
		t.Errorf("uploads left although the breaker tripped: %v", got)
	}
}

func TestUploadMarks(t *testing.T) {
	d1 := time.Date(2035, 1, 8, 4, 0, 0, 0, time.UTC)
	c1 := time.Date(2034, 12, 1, 0, 0, 0, 0, time.UTC)
	marks := parseUploadMarks(map[string]string{
		UploadMarkPrefix + "20350109T040000Z": "20341215T000000Z",
		UploadMarkPrefix + "20350108T040000Z": "20341201T000000Z",
		UploadMarkPrefix + "someday":          "20341201T000000Z",
		UploadMarkPrefix + "20350110T040000Z": "yesterday",
		"team":                                "data",
	})
	cases := []struct {
		name      string
		initiated time.Time
		due       time.Time
		marked    bool
	}{
		{"covered by the earliest due", c1.Add(-time.Hour), d1, true},
		{"at the cutoff, to the second", c1.Add(999 * time.Millisecond), d1, true},
		{"after the first cutoff", c1.Add(time.Second), d1.Add(day), true},
		{"after every cutoff", c1.Add(15 * day).Add(time.Second), time.Time{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			due, ok := uploadDue(marks, c.initiated)
			if ok != c.marked || !due.Equal(c.due) {
				t.Errorf("uploadDue = %v %v, want %v %v", due, ok, c.due, c.marked)
			}
		})
	}
	// Marking and unmarking: one mark per due, extended to the newest upload;
	// an unmark drops every mark covering the upload.
	d2 := d1.Add(day)
	c2 := c1.Add(14 * day)
	edits := []struct {
		name string
		got  []uploadMark
		want []uploadMark
	}{
		{"first mark", addUploadMark(nil, d1, c1.Add(-day), c1), []uploadMark{{d1, c1}}},
		{"same due extends", addUploadMark([]uploadMark{{d1, c1}}, d1, c2), []uploadMark{{d1, c2}}},
		{"same due never shrinks", addUploadMark([]uploadMark{{d1, c2}}, d1, c1), []uploadMark{{d1, c2}}},
		{"a later upload gets its own due", addUploadMark([]uploadMark{{d1, c1}}, d2, c2), []uploadMark{{d1, c1}, {d2, c2}}},
		{"unmark the newer", dropUploadMarks([]uploadMark{{d1, c1}, {d2, c2}}, c2), []uploadMark{{d1, c1}}},
		{"unmark an old one drops both", dropUploadMarks([]uploadMark{{d1, c1}, {d2, c2}}, c1), []uploadMark{}},
	}
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			if !slices.Equal(e.got, e.want) && (len(e.got) != 0 || len(e.want) != 0) {
				t.Errorf("marks = %v, want %v", e.got, e.want)
			}
		})
	}
	for _, id := range []struct{ bucket, key, upload string }{{"b", "k", "u1"}, {"b", "dir/x?uploadId=y", "u2"}, {"b", "", "u3"}} {
		bucket, key, upload, err := uploadOf(plan.Resource{ID: uploadID(id.bucket, id.key, id.upload), Name: id.bucket})
		if err != nil || bucket != id.bucket || key != id.key || upload != id.upload {
			t.Errorf("uploadOf(%+v) = %s %s %s %v", id, bucket, key, upload, err)
		}
	}
}

// racingS3 is moto's client with a hook before the run's first abort.
type racingS3 struct {
	*s3.Client
	calls  int
	before func()
}

func (c *racingS3) AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, opts ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	if c.calls++; c.calls == 1 && c.before != nil {
		c.before()
	}
	return c.Client.AbortMultipartUpload(ctx, in, opts...)
}

// An upload completed or aborted by someone else between the listing and
// the abort counts as done.
func TestUploadGoneBeforeAbort(t *testing.T) {
	f := newFixture(t)
	f.bucket("managed", map[string]string{tags.ManagedBy: tags.ManagedByValue})
	a, b := f.upload("managed", "a"), f.upload("managed", "b")
	now := time.Now().UTC().Add(40 * day)
	j := f.job(uploadsDoc, map[string]string{"COMMANDER_CLEANUP_GRACE": "1d"})
	f.run(j, now, "")
	real := s3client.New(f.cfg)
	racing := &racingS3{Client: real, before: func() {
		for _, id := range []string{a, b} {
			bucket, key, upload, _ := uploadOf(plan.Resource{ID: id, Name: "managed"})
			if _, err := real.AbortMultipartUpload(context.Background(), &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(upload)}); err != nil {
				t.Fatal(err)
			}
		}
	}}
	clients := j.Clients
	j.Clients = func(region string) Clients { c := clients(region); c.S3 = racing; return c }
	rep := f.run(j, now.Add(2*day), "")
	if rep.Status != report.StatusOK || rep.Count("abort", report.Done) != 2 || racing.calls != 2 {
		t.Errorf("report: %s %v %v (aborts %d)", rep.Status, rep.Counts, rep.Errors, racing.calls)
	}
	if len(f.uploadsLeft("managed")) != 0 || len(f.bucketTags("managed")) != 1 {
		t.Errorf("uploads %v, tags %v", f.uploadsLeft("managed"), f.bucketTags("managed"))
	}
}
