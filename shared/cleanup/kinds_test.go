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
	"github.com/aws-commander/commander/shared/runner"
	"github.com/aws-commander/commander/shared/tags"

	"github.com/aws-commander/commander/shared/cleanup/policy"
)

// Every type a policy may name is run, once, and has what a run needs:
// a policy on a type the job skipped would silently do nothing. Every kind
// is declared: one no policy could name would never run.
func TestEveryTypeIsRun(t *testing.T) {
	if err := checkKinds(kinds, policy.Types); err != nil {
		t.Error(err)
	}
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
	if _, err := dependencyOrder(policy.Types); err != nil {
		t.Error(err)
	}
	for typ, d := range policy.Types {
		for _, u := range d.After {
			if slices.Index(typeOrder, u) > slices.Index(typeOrder, typ) {
				t.Errorf("%s runs before %s, which uses it", typ, u)
			}
		}
	}
	// IAM is global, the rest regional (the declaration says which).
	for typ := range policy.Types {
		if want := strings.HasPrefix(typ, "iam:"); isGlobal(typ) != want {
			t.Errorf("%s: global = %v, want %v", typ, isGlobal(typ), want)
		}
	}
}

// A declared type without a kind, and a kind without a declaration, are
// both named.
func TestCheckKinds(t *testing.T) {
	err := checkKinds(map[string]kind{"a": {}, "stray": {}}, map[string]policy.Type{"a": {}, "missing": {}})
	for _, want := range []string{"resource type missing is declared in policy.Types but has no kind", "kind stray has no declaration in policy.Types"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
	if err := checkKinds(map[string]kind{"a": {}}, map[string]policy.Type{"a": {}}); err != nil {
		t.Error(err)
	}
}

// The order is derived from the declarations' After lists, and refuses what
// cannot be ordered.
func TestDependencyOrder(t *testing.T) {
	after := func(types ...string) policy.Type { return policy.Type{After: types} }
	cases := []struct {
		name  string
		types map[string]policy.Type
		want  []string
		err   string
	}{
		{"users first, ties by name", map[string]policy.Type{"c": after("a"), "b": {}, "a": {}, "d": after("c", "b")}, []string{"a", "b", "c", "d"}, ""},
		{"a chain", map[string]policy.Type{"x": after("y"), "y": after("z"), "z": {}}, []string{"z", "y", "x"}, ""},
		{"a cycle", map[string]policy.Type{"x": after("y"), "y": after("x")}, nil, "cycle"},
		{"an unknown type", map[string]policy.Type{"x": after("nope")}, nil, "After names nope, which is no declared type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := dependencyOrder(c.types)
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

// The run order as the docs describe it (docs/CLEANUP.md, "Dependent
// resources in a safe order").
func TestTypeOrder(t *testing.T) {
	want := []string{policy.EC2Instance, policy.CloudWatchAlarm, policy.EC2Address, policy.EC2Image, policy.EC2Volume, policy.EC2Snapshot,
		policy.IAMInstanceProfile, policy.LambdaFunction, policy.IAMRole, policy.LambdaVersion, policy.S3MultipartUpload, policy.S3Bucket}
	if !slices.Equal(typeOrder, want) {
		t.Errorf("typeOrder = %v, want %v", typeOrder, want)
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
	invoke := runner.InvokeSelf(lambdaclient.New(f.cfg), "commander-cleanup")
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
