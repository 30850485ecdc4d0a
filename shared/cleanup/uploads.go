package cleanup

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/batch"
	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tagger"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

// UploadMarkPrefix starts the bucket tags that hold its uploads' marks.
// Uploads cannot be tagged and their ids are longer than a tag key, so a
// bucket carries one tag per due time,
// commander:cleanup-uploads:<due as 20060102T150405Z> = <initiated-by as 20060102T150405Z>:
// every upload initiated at or before that time is marked, due then. As an
// upload only gets older and the other filters are the bucket's, what
// matched at the mark still matches later, unless the bucket or the policy
// changed: then its marks are removed and the uploads marked again, with a
// full grace. The action is always abort.
const UploadMarkPrefix = "commander:cleanup-uploads:"

type uploadMark struct{ due, cutoff time.Time }

// listUploads yields the incomplete multipart uploads of the region's
// buckets this system created, with the bucket's tags and the upload's
// mark read from them. Uploads are listed one bucket at a time, page by page.
func listUploads(ctx context.Context, _ *run, c Clients, region string, _ []policy.Policy, yield func(plan.Resource)) error {
	api := c.S3
	p := s3.NewListBucketsPaginator(api, &s3.ListBucketsInput{BucketRegion: aws.String(region), MaxBuckets: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list buckets: %w", err)
		}
		managed := make([]map[string]string, len(page.Buckets))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(8)
		for i, b := range page.Buckets {
			if br := aws.ToString(b.BucketRegion); br != "" && br != region {
				continue
			}
			g.Go(func() error {
				tg, err := bucketTags(gctx, api, aws.ToString(b.Name))
				if awserr.Is(err, awserr.NotFound) {
					return nil
				}
				if err != nil {
					return fmt.Errorf("bucket %s tags: %w", aws.ToString(b.Name), err)
				}
				if tg[tags.ManagedBy] == tags.ManagedByValue {
					managed[i] = tg
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		for i, tg := range managed {
			if tg == nil {
				continue
			}
			if err := bucketUploads(ctx, api, aws.ToString(page.Buckets[i].Name), region, tg, yield); err != nil {
				return err
			}
		}
	}
	return nil
}

func bucketUploads(ctx context.Context, api S3API, bucket, region string, bucketTg map[string]string, yield func(plan.Resource)) error {
	marks := parseUploadMarks(bucketTg)
	base := maps.Clone(bucketTg)
	// The bucket's own marks (s3:bucket) are not its uploads'.
	delete(base, tags.CleanupAction)
	delete(base, tags.CleanupDue)
	maps.DeleteFunc(base, func(k, _ string) bool { return strings.HasPrefix(k, UploadMarkPrefix) })
	return eachUpload(ctx, api, bucket, func(u s3types.MultipartUpload) {
		tg := maps.Clone(base)
		initiated := aws.ToTime(u.Initiated)
		if due, ok := uploadDue(marks, initiated); ok {
			tg[tags.CleanupAction], tg[tags.CleanupDue] = "abort", due.Format(time.RFC3339)
		}
		yield(plan.Resource{
			Type: policy.S3MultipartUpload, ID: uploadID(bucket, aws.ToString(u.Key), aws.ToString(u.UploadId)),
			Region: region, Name: bucket, Created: initiated, Tags: tg,
		})
	})
}

// eachUpload calls fn for every incomplete upload of bucket (gone: none).
func eachUpload(ctx context.Context, api S3API, bucket string, fn func(s3types.MultipartUpload)) error {
	p := s3.NewListMultipartUploadsPaginator(api, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), MaxUploads: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if awserr.Is(err, awserr.NotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("bucket %s multipart uploads: %w", bucket, err)
		}
		for _, u := range page.Uploads {
			fn(u)
		}
	}
	return nil
}

const uploadIDSep = "?uploadId="

// uploadID names an upload in reports: bucket/key?uploadId=id.
func uploadID(bucket, key, id string) string { return bucket + "/" + key + uploadIDSep + id }

// uploadOf reads bucket, key and upload id back from a resource.
func uploadOf(res plan.Resource) (bucket, key, id string, err error) {
	rest, ok := strings.CutPrefix(res.ID, res.Name+"/")
	i := strings.LastIndex(rest, uploadIDSep)
	if !ok || i < 0 || res.Name == "" {
		return "", "", "", fmt.Errorf("%s is not an upload of bucket %q", res.ID, res.Name)
	}
	return res.Name, rest[:i], rest[i+len(uploadIDSep):], nil
}

func parseUploadMarks(tg map[string]string) []uploadMark {
	var out []uploadMark
	for k, v := range tg {
		if !strings.HasPrefix(k, UploadMarkPrefix) {
			continue
		}
		due, err1 := time.Parse(markTime, strings.TrimPrefix(k, UploadMarkPrefix))
		cutoff, err2 := time.Parse(markTime, v)
		if err1 == nil && err2 == nil {
			out = append(out, uploadMark{due, cutoff})
		}
	}
	slices.SortFunc(out, func(a, b uploadMark) int { return a.due.Compare(b.due) })
	return out
}

// uploadDue is the earliest due of the marks that cover an upload initiated then.
func uploadDue(marks []uploadMark, initiated time.Time) (time.Time, bool) {
	at := initiated.UTC().Truncate(time.Second)
	for _, m := range marks { // sorted by due
		if !at.After(m.cutoff) {
			return m.due, true
		}
	}
	return time.Time{}, false
}

// byBucket groups upload items by bucket, in a stable order.
func byBucket(items []item) ([][]item, map[string]error) {
	groups := map[string][]item{}
	bad := map[string]error{}
	for _, it := range items {
		if _, _, _, err := uploadOf(it.res); err != nil {
			bad[it.res.ID] = err
			continue
		}
		groups[it.res.Name] = append(groups[it.res.Name], it)
	}
	out := make([][]item, 0, len(groups))
	for _, k := range slices.Sorted(maps.Keys(groups)) {
		out = append(out, groups[k])
	}
	return out, bad
}

// retagUploads edits each bucket's upload marks with change, then drops
// the marks that no longer decide for any upload still in the bucket (the
// uploads were completed or aborted), and has the tagger write the marks
// that changed (S3 rewrites the whole tag set, read again just before).
// One bucket at a time per goroutine: S3 replaces a tag set as a whole.
func retagUploads(ctx context.Context, r *run, api S3API, items []item, change func([]uploadMark, []item) []uploadMark) map[string]error {
	groups, out := byBucket(items)
	var mu sync.Mutex
	g := errgroup.Group{}
	g.SetLimit(r.job.Settings.Concurrency)
	for _, group := range groups {
		g.Go(func() error {
			if err := retagBucketUploads(ctx, api, group[0].res.Name, group, change); err != nil {
				mu.Lock()
				for _, it := range group {
					out[it.res.ID] = err
				}
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	return out
}

func retagBucketUploads(ctx context.Context, api S3API, bucket string, group []item, change func([]uploadMark, []item) []uploadMark) error {
	tg, err := bucketTags(ctx, api, bucket)
	if awserr.Is(err, awserr.NotFound) {
		// No tag set (then not ours any more) or no bucket: nothing to mark.
		return nil
	}
	if err != nil {
		return fmt.Errorf("bucket tags: %w", err)
	}
	marks := change(parseUploadMarks(tg), group)
	slices.SortFunc(marks, func(a, b uploadMark) int { return a.due.Compare(b.due) })
	used := map[time.Time]bool{}
	if err := eachUpload(ctx, api, bucket, func(u s3types.MultipartUpload) {
		if due, ok := uploadDue(marks, aws.ToTime(u.Initiated)); ok {
			used[due] = true
		}
	}); err != nil {
		return err
	}
	want := map[string]string{}
	for _, m := range marks {
		if used[m.due] {
			want[UploadMarkPrefix+m.due.UTC().Format(markTime)] = m.cutoff.UTC().Format(markTime)
		}
	}
	return changeMarks(ctx, tagger.Tagger{S3: api}, tagger.BucketARN(group[0].res.Region, bucket), UploadMarkPrefix, tg, want)
}

// uploadTag marks uploads: the bucket's mark for the due time is extended
// to cover the newest of them.
func uploadTag(ctx context.Context, r *run, c Clients, items []item, set map[string]string) map[string]error {
	api := c.S3
	due, err := time.Parse(time.RFC3339, set[tags.CleanupDue])
	if err != nil {
		return batch.Errors(ids(items), fmt.Errorf("mark: %w", err))
	}
	due = due.UTC().Truncate(time.Second)
	return retagUploads(ctx, r, api, items, func(marks []uploadMark, group []item) []uploadMark {
		return addUploadMark(marks, due, initiated(group)...)
	})
}

func initiated(group []item) []time.Time {
	out := make([]time.Time, len(group))
	for i, it := range group {
		out[i] = it.res.Created
	}
	return out
}

// addUploadMark marks uploads initiated at these times due then: the mark
// of that due time is created or extended to the newest of them.
func addUploadMark(marks []uploadMark, due time.Time, initiated ...time.Time) []uploadMark {
	due = due.UTC().Truncate(time.Second)
	cutoff := time.Time{}
	for _, at := range initiated {
		if at = at.UTC().Truncate(time.Second); at.After(cutoff) {
			cutoff = at
		}
	}
	out := slices.Clone(marks)
	for i, m := range out {
		if m.due.Equal(due) {
			if cutoff.After(m.cutoff) {
				out[i].cutoff = cutoff
			}
			return out
		}
	}
	return append(out, uploadMark{due, cutoff})
}

// dropUploadMarks removes every mark that covers an upload initiated at one
// of these times.
func dropUploadMarks(marks []uploadMark, initiated ...time.Time) []uploadMark {
	return slices.DeleteFunc(slices.Clone(marks), func(m uploadMark) bool {
		return slices.ContainsFunc(initiated, func(at time.Time) bool { return !at.UTC().Truncate(time.Second).After(m.cutoff) })
	})
}

// uploadUntag removes every mark that covers one of the items. Other
// uploads those marks covered are marked again by the next run, with a full
// grace: an unmark may delay an abort, never hasten one.
func uploadUntag(ctx context.Context, r *run, c Clients, items []item, _ ...string) map[string]error {
	api := c.S3
	return retagUploads(ctx, r, api, items, func(marks []uploadMark, group []item) []uploadMark {
		return dropUploadMarks(marks, initiated(group)...)
	})
}

// actByParent acts on items that live under a parent (a bucket's uploads, a
// function's versions): one parent at a time per goroutine, at most
// COMMANDER_CONCURRENCY at once. Items groupBy refuses fail.
func actByParent(r *run, p policy.Policy, items []item, groupBy func([]item) ([][]item, map[string]error), act func(group []item)) {
	groups, bad := groupBy(items)
	for _, it := range items {
		if e := bad[it.res.ID]; e != nil {
			r.add(failed(it, p.Action, e))
		}
	}
	g := errgroup.Group{}
	g.SetLimit(r.job.Settings.Concurrency)
	for _, group := range groups {
		g.Go(func() error {
			act(group)
			return nil
		})
	}
	_ = g.Wait()
}

// actUploads aborts uploads, one bucket at a time per goroutine, then
// drops the bucket's marks that cover nothing any more.
func actUploads(ctx context.Context, r *run, c Clients, p policy.Policy, items []item) {
	api := c.S3
	actByParent(r, p, items, byBucket, func(group []item) {
		var done []item
		for _, it := range group {
			if err := ctx.Err(); err != nil {
				r.add(failed(it, p.Action, err))
				continue
			}
			bucket, key, id, _ := uploadOf(it.res)
			_, err := api.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
			if err := ignoreGone(err); err != nil {
				r.add(failed(it, p.Action, fmt.Errorf("abort upload: %w", err)))
				continue
			}
			done = append(done, it)
		}
		if len(done) == 0 {
			return
		}
		note := ""
		if err := retagBucketUploads(ctx, api, group[0].res.Name, done, func(m []uploadMark, _ []item) []uploadMark { return m }); err != nil {
			note = "; the bucket keeps its mark: " + err.Error()
		}
		for _, it := range done {
			r.add(decision(it, p.Action, report.Done, it.dec.Reason+note))
		}
	})
}
