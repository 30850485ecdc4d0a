package cleanup

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws-commander/commander/shared/batch"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/tagger"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"golang.org/x/sync/errgroup"
)

// VersionMarkPrefix starts the function tags that hold its versions' marks:
// versions cannot be tagged, so a function carries one tag per due time,
// commander:cleanup-versions:<due as 20060102T150405Z> = "3-7 9" (the
// version numbers, as ranges). The action is always delete.
const VersionMarkPrefix = "commander:cleanup-versions:"

const markTime = "20060102T150405Z"

// maxTagValue is the longest tag value Lambda (and S3) accept.
const maxTagValue = 256

// parseVersionMarks reads the version marks of a function's tags: version ->
// due (the earliest, should a version be listed twice). Unreadable entries
// are ignored: the version is then marked again, with a full grace.
func parseVersionMarks(tg map[string]string) map[int]time.Time {
	out := map[int]time.Time{}
	for k, v := range tg {
		if !strings.HasPrefix(k, VersionMarkPrefix) {
			continue
		}
		due, err := time.Parse(markTime, strings.TrimPrefix(k, VersionMarkPrefix))
		if err != nil {
			continue
		}
		for _, part := range strings.Fields(v) {
			lo, hi, isRange := strings.Cut(part, "-")
			a, err1 := strconv.Atoi(lo)
			b, err2 := a, error(nil)
			if isRange {
				b, err2 = strconv.Atoi(hi)
			}
			if err1 != nil || err2 != nil || a < 1 || b < a || b-a > policy.MaxKeep*10 {
				continue
			}
			for n := a; n <= b; n++ {
				if old, ok := out[n]; !ok || due.Before(old) {
					out[n] = due
				}
			}
		}
	}
	return out
}

// formatVersionMarks writes marks as tags, one per due time; a value longer
// than a tag accepts is an error naming the function's marks.
func formatVersionMarks(marks map[int]time.Time) (map[string]string, error) {
	byDue := map[string][]int{}
	for n, due := range marks {
		k := VersionMarkPrefix + due.UTC().Format(markTime)
		byDue[k] = append(byDue[k], n)
	}
	out := map[string]string{}
	for k, list := range byDue {
		slices.Sort(list)
		var parts []string
		for i := 0; i < len(list); {
			j := i
			for j+1 < len(list) && list[j+1] == list[j]+1 {
				j++
			}
			if j > i {
				parts = append(parts, fmt.Sprintf("%d-%d", list[i], list[j]))
			} else {
				parts = append(parts, strconv.Itoa(list[i]))
			}
			i = j + 1
		}
		v := strings.Join(parts, " ")
		if len(v) > maxTagValue {
			return nil, fmt.Errorf("the marks due %s need %d characters, more than a tag value holds (%d); the next run marks the rest", strings.TrimPrefix(k, VersionMarkPrefix), len(v), maxTagValue)
		}
		out[k] = v
	}
	return out, nil
}

// retagVersions reads each function's marks, lets change edit them, and
// writes back only the tags that changed (one function at a time, so
// concurrent edits of one function's tags cannot interleave).
func retagVersions(ctx context.Context, r *run, c Clients, items []item, change func(marks map[int]time.Time, n int)) map[string]error {
	groups, out := byFunction(items)
	var mu sync.Mutex
	g := errgroup.Group{}
	g.SetLimit(r.job.Settings.Concurrency)
	for _, group := range groups {
		g.Go(func() error {
			err := retagFunction(ctx, c.Lambda, group, change)
			if err != nil {
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

func retagFunction(ctx context.Context, api LambdaAPI, group []item, change func(map[int]time.Time, int)) error {
	_, fnARN, _, _ := versionOf(group[0].res)
	cur, err := api.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(fnARN)})
	if err != nil {
		return ignoreGone(err) // the function, and its versions, are gone
	}
	marks := parseVersionMarks(cur.Tags)
	for _, it := range group {
		_, _, n, _ := versionOf(it.res)
		change(marks, n)
	}
	want, err := formatVersionMarks(marks)
	if err != nil {
		return err
	}
	return changeMarks(ctx, tagger.Tagger{Lambda: api}, fnARN, VersionMarkPrefix, cur.Tags, want)
}

// versionTag marks versions: set carries the due time (the action is delete).
func versionTag(ctx context.Context, r *run, c Clients, items []item, set map[string]string) map[string]error {
	due, err := time.Parse(time.RFC3339, set[tags.CleanupDue])
	if err != nil {
		return batch.Errors(ids(items), fmt.Errorf("mark: due %q: %w", set[tags.CleanupDue], err))
	}
	return retagVersions(ctx, r, c, items, func(marks map[int]time.Time, n int) { marks[n] = due })
}

// versionUntag removes versions' marks (whatever keys are asked: a version
// has only the one mark).
func versionUntag(ctx context.Context, r *run, c Clients, items []item, _ ...string) map[string]error {
	return retagVersions(ctx, r, c, items, func(marks map[int]time.Time, n int) { delete(marks, n) })
}
