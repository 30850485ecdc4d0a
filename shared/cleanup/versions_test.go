package cleanup

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

const versionsDoc = `
policies:
  - name: old-versions
    resource: lambda:version
    action: delete
    keep: 2
    filters: [{age: 1d}]
`

// versions publishes n versions of a function, changing its code before
// each (moto, like Lambda, publishes only a changed function).
func (f *fixture) versions(name string, n int) {
	f.t.Helper()
	api := lambdaclient.New(f.cfg)
	for i := range n {
		var code bytes.Buffer
		zw := zip.NewWriter(&code)
		w, _ := zw.Create("bootstrap")
		fmt.Fprintf(w, "#!/bin/sh\n# %d\n", i)
		zw.Close()
		if _, err := api.UpdateFunctionCode(context.Background(), &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), ZipFile: code.Bytes()}); err != nil {
			f.t.Fatal(err)
		}
		if _, err := api.PublishVersion(context.Background(), &lambda.PublishVersionInput{FunctionName: aws.String(name), Description: aws.String(strings.Repeat("v", i+1))}); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fixture) alias(function, name, version string, weights map[string]float64) {
	f.t.Helper()
	in := &lambda.CreateAliasInput{FunctionName: aws.String(function), Name: aws.String(name), FunctionVersion: aws.String(version)}
	if weights != nil {
		in.RoutingConfig = &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: weights}
	}
	if _, err := lambdaclient.New(f.cfg).CreateAlias(context.Background(), in); err != nil {
		f.t.Fatal(err)
	}
}

// versionsLeft lists a function's versions, $LATEST included.
func (f *fixture) versionsLeft(name string) string {
	f.t.Helper()
	var out []string
	p := lambda.NewListVersionsByFunctionPaginator(lambdaclient.New(f.cfg), &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			f.t.Fatal(err)
		}
		for _, v := range page.Versions {
			out = append(out, aws.ToString(v.Version))
		}
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

func (f *fixture) functionTags(name string) map[string]string {
	f.t.Helper()
	api := lambdaclient.New(f.cfg)
	fn, err := api.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if err != nil {
		f.t.Fatal(err)
	}
	out, err := api.ListTags(context.Background(), &lambda.ListTagsInput{Resource: fn.Configuration.FunctionArn})
	if err != nil {
		f.t.Fatal(err)
	}
	return out.Tags
}

// Old versions of a function this system made are marked on the function,
// then deleted past the grace; the newest K and every version an alias
// routes to (main or weighted) stay; a version an alias moves to during
// the grace loses its mark, one the alias leaves is marked afresh.
func TestLambdaVersions(t *testing.T) {
	f := newFixture(t)
	managed := map[string]string{tags.ManagedBy: tags.ManagedByValue, "team": "app"}
	f.function("app", managed)
	f.versions("app", 7)
	f.alias("app", "canary", "1", map[string]float64{"3": 0.1})
	f.alias("app", "live", "2", nil)
	f.function("guarded", map[string]string{tags.ManagedBy: tags.ManagedByValue, "commander:protect": "true"})
	f.versions("guarded", 5)
	f.function("users", nil)
	f.versions("users", 5)
	now := time.Now().UTC().Add(40 * day)

	// Dry run: the plan, and no change.
	dry := f.job(versionsDoc, map[string]string{"COMMANDER_DRY_RUN": ""})
	rep := f.run(dry, now, "")
	for _, id := range []string{"app:4", "app:5"} {
		if d := decisionFor(rep, id); d.Action != "mark" || d.Outcome != report.Planned {
			t.Errorf("dry run %s: %+v", id, d)
		}
	}
	if f.versionsLeft("app") != "$LATEST,1,2,3,4,5,6,7" || len(f.functionTags("app")) != 2 || rep.APICalls["Lambda.TagResource"] != 0 {
		t.Fatalf("dry run changed state: %s %v %v", f.versionsLeft("app"), f.functionTags("app"), rep.APICalls)
	}

	j := f.job(versionsDoc, map[string]string{"COMMANDER_CLEANUP_GRACE": "7d"})
	rep = f.run(j, now, "")
	if rep.Count("mark", report.Done) != 2 || rep.Status != report.StatusOK {
		t.Fatalf("mark run: %s %v %v", rep.Status, rep.Counts, rep.Errors)
	}
	due := now.Add(7 * day).UTC().Truncate(time.Second)
	key := VersionMarkPrefix + due.Format(markTime)
	if tg := f.functionTags("app"); tg[key] != "4-5" || tg["team"] != "app" || tg[tags.CleanupAction] != "" {
		t.Fatalf("function tags after mark: %v (want %s=4-5)", tg, key)
	}
	for _, id := range []string{"app:1", "app:2", "app:3", "app:6", "app:7", "app:$LATEST"} {
		if d := decisionFor(rep, id); d.Resource != "" {
			t.Errorf("%s must not be a candidate: %+v", id, d)
		}
	}
	if d := decisionFor(rep, "guarded:1"); d.Outcome != report.Skipped || !strings.Contains(d.Reason, "commander:protect=true") {
		t.Errorf("protected function's version: %+v", d)
	}
	if d := decisionFor(rep, "users:1"); d.Resource != "" {
		t.Errorf("a version of a function this system did not create is never a candidate: %+v", d)
	}
	// Re-delivery: nothing new, the due unchanged.
	if rep = f.run(j, now, ""); rep.Count("mark", report.Done) != 0 || rep.Count("wait", report.Skipped) != 2 {
		t.Errorf("re-delivered run: %v", rep.Counts)
	}

	// During the grace, live moves from 2 to 5: 5 is unmarked, 2 marked afresh.
	if _, err := lambdaclient.New(f.cfg).UpdateAlias(context.Background(), &lambda.UpdateAliasInput{
		FunctionName: aws.String("app"), Name: aws.String("live"), FunctionVersion: aws.String("5"),
	}); err != nil {
		t.Fatal(err)
	}
	rep = f.run(j, now.Add(2*day), "")
	if decisionFor(rep, "app:5").Action != "unmark" || decisionFor(rep, "app:2").Action != "mark" {
		t.Fatalf("after the alias moved: 5 %+v, 2 %+v", decisionFor(rep, "app:5"), decisionFor(rep, "app:2"))
	}
	later := VersionMarkPrefix + now.Add(9*day).UTC().Truncate(time.Second).Format(markTime)
	if tg := f.functionTags("app"); tg[key] != "4" || tg[later] != "2" {
		t.Fatalf("function tags after the alias moved: %v", tg)
	}

	// Past the first due: 4 goes, 2 waits for its own due.
	rep = f.run(j, now.Add(8*day), "")
	if rep.Count("delete", report.Done) != 1 || decisionFor(rep, "app:2").Action != "wait" || rep.Status != report.StatusOK {
		t.Fatalf("act run: %s %v %v", rep.Status, rep.Counts, rep.Errors)
	}
	if got := f.versionsLeft("app"); got != "$LATEST,1,2,3,5,6,7" {
		t.Errorf("versions left: %s", got)
	}
	if tg := f.functionTags("app"); tg[key] != "" || tg[later] != "2" {
		t.Errorf("the deleted version's mark stays: %v", tg)
	}
	if got := f.versionsLeft("guarded") + " " + f.versionsLeft("users"); got != "$LATEST,1,2,3,4,5 $LATEST,1,2,3,4,5" {
		t.Errorf("other functions' versions: %s", got)
	}
	// Re-delivered act run: nothing fails.
	if rep = f.run(j, now.Add(8*day), ""); rep.Status != report.StatusOK || rep.Count("delete", report.Failed) != 0 {
		t.Errorf("re-delivered act run: %s %v", rep.Status, rep.Errors)
	}
}

// The breaker counts version deletions against the versions listed.
func TestLambdaVersionsBreaker(t *testing.T) {
	f := newFixture(t)
	f.function("app", map[string]string{tags.ManagedBy: tags.ManagedByValue})
	f.versions("app", 6)
	now := time.Now().UTC().Add(40 * day)
	j := f.job(versionsDoc, map[string]string{"COMMANDER_BREAKER_MAX_COUNT": "3", "COMMANDER_CLEANUP_GRACE": "1d"})
	f.run(j, now, "")
	rep := f.run(j, now.Add(2*day), "")
	if rep.Status != report.StatusPartial || !strings.Contains(rep.Reason, "policy old-versions") || rep.APICalls["Lambda.DeleteFunction"] != 0 {
		t.Errorf("report: %s %q %v", rep.Status, rep.Reason, rep.APICalls)
	}
	if got := f.versionsLeft("app"); got != "$LATEST,1,2,3,4,5,6" {
		t.Errorf("versions left although the breaker tripped: %s", got)
	}
}

func TestVersionMarks(t *testing.T) {
	d1 := time.Date(2035, 1, 8, 4, 0, 0, 0, time.UTC)
	d2 := d1.Add(day)
	cases := []struct {
		name  string
		marks map[int]time.Time
		want  map[string]string
		err   string
	}{
		{"ranges", map[int]time.Time{1: d1, 2: d1, 3: d1, 5: d1, 7: d1, 8: d1}, map[string]string{VersionMarkPrefix + "20350108T040000Z": "1-3 5 7-8"}, ""},
		{"one tag per due", map[int]time.Time{4: d1, 9: d2}, map[string]string{VersionMarkPrefix + "20350108T040000Z": "4", VersionMarkPrefix + "20350109T040000Z": "9"}, ""},
		{"none", map[int]time.Time{}, map[string]string{}, ""},
		{"too long for a tag", func() map[int]time.Time {
			m := map[int]time.Time{}
			for n := 1000; n < 1200; n += 2 {
				m[n] = d1
			}
			return m
		}(), nil, "more than a tag value holds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := formatVersionMarks(c.marks)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || len(got) != len(c.want) {
				t.Fatalf("format = %v, %v; want %v", got, err, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			back := parseVersionMarks(got)
			if len(back) != len(c.marks) {
				t.Errorf("round trip: %v, want %v", back, c.marks)
			}
			for n, due := range c.marks {
				if !back[n].Equal(due) {
					t.Errorf("version %d due %v, want %v", n, back[n], due)
				}
			}
		})
	}
	// Unreadable entries are ignored (the version is then marked again); the earliest due wins.
	got := parseVersionMarks(map[string]string{
		VersionMarkPrefix + "tomorrow": "1", VersionMarkPrefix + "20350109T040000Z": "2 x 5-3 0", VersionMarkPrefix + "20350108T040000Z": "2", "team": "3",
	})
	if len(got) != 1 || !got[2].Equal(d1) {
		t.Errorf("parse = %v", got)
	}
}

// racingLambda is moto's client with a hook on the run's second ListAliases
// call for a function: the re-read just before the deletes.
type racingLambda struct {
	*lambda.Client
	calls  int
	before func()
}

func (l *racingLambda) ListAliases(ctx context.Context, in *lambda.ListAliasesInput, opts ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error) {
	if l.calls++; l.calls == 2 && l.before != nil {
		l.before()
	}
	return l.Client.ListAliases(ctx, in, opts...)
}

// Between the listing and the deletes an alias starts pointing to a due
// version (it is kept, and unmarked by the next run) and another version
// is deleted by someone else (done, not failed).
func TestLambdaVersionChangesBeforeDelete(t *testing.T) {
	f := newFixture(t)
	f.function("app", map[string]string{tags.ManagedBy: tags.ManagedByValue})
	f.versions("app", 5)
	now := time.Now().UTC().Add(40 * day)
	j := f.job(versionsDoc, map[string]string{"COMMANDER_CLEANUP_GRACE": "1d"})
	if rep := f.run(j, now, ""); rep.Count("mark", report.Done) != 3 {
		t.Fatalf("mark run: %v %v", rep.Counts, rep.Errors)
	}
	real := lambdaclient.New(f.cfg)
	racing := &racingLambda{Client: real, before: func() {
		f.alias("app", "late", "3", nil)
		if _, err := real.DeleteFunction(context.Background(), &lambda.DeleteFunctionInput{FunctionName: aws.String("app"), Qualifier: aws.String("1")}); err != nil {
			t.Fatal(err)
		}
	}}
	clients := j.Clients
	j.Clients = func(region string) Clients { c := clients(region); c.Lambda = racing; return c }
	rep := f.run(j, now.Add(2*day), "")
	if d := decisionFor(rep, "app:3"); d.Outcome != report.Skipped || !strings.Contains(d.Reason, "alias late") {
		t.Errorf("version aliased just before the delete: %+v", d)
	}
	for _, id := range []string{"app:1", "app:2"} {
		if d := decisionFor(rep, id); d.Action != "delete" || d.Outcome != report.Done {
			t.Errorf("%s: %+v", id, d)
		}
	}
	if got := f.versionsLeft("app"); got != "$LATEST,3,4,5" {
		t.Errorf("versions left: %s", got)
	}
	j.Clients = clients
	if rep = f.run(j, now.Add(3*day), ""); decisionFor(rep, "app:3").Action != "unmark" {
		t.Errorf("next run: %+v", decisionFor(rep, "app:3"))
	}
	for k := range f.functionTags("app") {
		if strings.HasPrefix(k, VersionMarkPrefix) {
			t.Errorf("marks left on the function: %v", f.functionTags("app"))
		}
	}
}

func TestParseLambdaTime(t *testing.T) {
	cases := []struct {
		name, in string
		want     time.Time
	}{
		{"lambda", "2026-01-31T02:00:00.000+0000", time.Date(2026, 1, 31, 2, 0, 0, 0, time.UTC)},
		{"lambda, offset", "2026-01-31T03:00:00.000+0100", time.Date(2026, 1, 31, 2, 0, 0, 0, time.UTC)},
		{"moto", "2026-01-31T02:00:00.500000000Z", time.Date(2026, 1, 31, 2, 0, 0, 500_000_000, time.UTC)},
		{"unreadable", "yesterday", time.Time{}},
		{"empty", "", time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := parseLambdaTime(c.in); !got.Equal(c.want) {
				t.Errorf("parseLambdaTime(%q) = %v, want %v", c.in, got, c.want)
			}
		})
	}
}
