package cleanup

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"

	"github.com/aws-commander/commander/shared/cleanup/policy"
)

// Every type a policy may name is run, once, and has what a run needs:
// a policy on a type the job skipped would silently do nothing.
func TestEveryTypeIsRun(t *testing.T) {
	for typ := range policy.Types {
		t.Run(typ, func(t *testing.T) {
			k, ok := kinds[typ]
			if !ok || k.list == nil || k.act == nil || k.tag == nil || k.untag == nil {
				t.Errorf("kind for %s incomplete: %+v", typ, ok)
			}
			if n := len(slices.DeleteFunc(slices.Clone(typeOrder), func(s string) bool { return s != typ })); n != 1 {
				t.Errorf("%s appears %d times in typeOrder", typ, n)
			}
		})
	}
	if len(typeOrder) != len(policy.Types) {
		t.Errorf("typeOrder has %d types, policy.Types %d", len(typeOrder), len(policy.Types))
	}
	if _, err := dependencyOrder(kinds); err != nil {
		t.Error(err)
	}
	for typ, k := range kinds {
		for _, u := range k.after {
			if slices.Index(typeOrder, u) > slices.Index(typeOrder, typ) {
				t.Errorf("%s runs before %s, which uses it", typ, u)
			}
		}
	}
}

// The order is derived from the kinds' after lists, and refuses what cannot
// be ordered.
func TestDependencyOrder(t *testing.T) {
	cases := []struct {
		name  string
		kinds map[string]kind
		want  []string
		err   string
	}{
		{"users first, ties by name", map[string]kind{"c": {after: []string{"a"}}, "b": {}, "a": {}, "d": {after: []string{"c", "b"}}}, []string{"a", "b", "c", "d"}, ""},
		{"a chain", map[string]kind{"x": {after: []string{"y"}}, "y": {after: []string{"z"}}, "z": {}}, []string{"z", "y", "x"}, ""},
		{"a cycle", map[string]kind{"x": {after: []string{"y"}}, "y": {after: []string{"x"}}}, nil, "cycle"},
		{"an unknown type", map[string]kind{"x": {after: []string{"nope"}}}, nil, "which is no kind"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := dependencyOrder(c.kinds)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, c.want) {
				t.Errorf("order = %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

// Close to the Lambda deadline a run stops before the next type and says
// so; what it did not reach waits for the next run (every step is idempotent).
func TestStopsBeforeDeadline(t *testing.T) {
	f := newFixture(t)
	id := f.instance("stopped", nil, nil)
	j := f.job(everything, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rep, err := j.Handle(ctx, json.RawMessage(`{"now":"`+time.Now().UTC().Add(40*day).Format(time.RFC3339)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != report.StatusPartial || !strings.Contains(rep.Reason, "before the Lambda deadline") {
		t.Errorf("report: %s %q", rep.Status, rep.Reason)
	}
	if tg := f.tags(id); tg[tags.CleanupAction] != "" || rep.APICallsTotal > 1 {
		t.Errorf("work started past the margin: tags %v calls %v", tg, rep.APICalls)
	}
}

// A run that stops before its deadline hands over to a follow-up invocation
// (Lambda Invoke, asynchronous) carrying where to resume; the follow-up
// resumes there and finishes the work.
func TestHandOverToFollowUp(t *testing.T) {
	f := newFixture(t)
	f.function("commander-cleanup", nil)
	id := f.instance("stopped", nil, nil)
	addr := f.address(nil)
	j := f.job(everything, nil)
	var payload []byte
	invoke := InvokeSelf(lambdaclient.New(f.cfg), "commander-cleanup")
	j.FollowUp = func(ctx context.Context, p []byte) error { payload = p; return invoke(ctx, p) }
	now := time.Now().UTC().Add(40 * day).Format(time.RFC3339)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rep, err := j.Handle(ctx, json.RawMessage(`{"now":"`+now+`","policies":["stopped-instances","idle-addresses"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Reason, "handed over to a follow-up invocation (hop 1)") || rep.APICalls["Lambda.Invoke"] != 1 {
		t.Fatalf("report: %q calls %v", rep.Reason, rep.APICalls)
	}
	want := `{"dryRun":false,"policies":["stopped-instances","idle-addresses"],"now":"` + now + `","resume":{"hop":1,"regions":[{"region":"us-east-1","type":"ec2:instance"}]}}`
	if string(payload) != want {
		t.Fatalf("payload = %s\nwant      %s", payload, want)
	}
	rep, err = j.Handle(context.Background(), payload)
	if err != nil || rep.Status != report.StatusOK {
		t.Fatalf("follow-up: %v %+v", err, rep)
	}
	for _, r := range []string{id, addr} {
		if f.tags(r)[tags.CleanupAction] == "" {
			t.Errorf("the follow-up did not finish %s", r)
		}
	}
}
