package cleanup

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
)

// fakeKind records what the engine asks of a kind, for the engine's own
// tests: how many resources were listed when each call came, and the
// size of each batch.
type fakeKind struct {
	resources []plan.Resource
	grouped   bool

	mu     sync.Mutex
	listed int
	tags   []fakeCall
	untags []fakeCall
	acts   []fakeCall
	acted  []item
}

type fakeCall struct {
	size     int
	duringOf int // resources listed when the call came (len: after the listing)
	key      string
}

func (f *fakeKind) kind() kind {
	k := kind{
		grouped: f.grouped,
		list: func(_ context.Context, _ *run, _ Clients, _ string, _ []policy.Policy, yield func(plan.Resource)) error {
			for _, res := range f.resources {
				f.mu.Lock()
				f.listed++
				f.mu.Unlock()
				yield(res)
			}
			return nil
		},
		tag: func(_ context.Context, _ *run, _ Clients, items []item, set map[string]string) map[string]error {
			f.record(&f.tags, len(items), set[tags.CleanupAction]+" "+set[tags.CleanupDue])
			return nil
		},
		untag: func(_ context.Context, _ *run, _ Clients, items []item, _ ...string) map[string]error {
			f.record(&f.untags, len(items), "")
			return nil
		},
		act: func(_ context.Context, r *run, _ Clients, p policy.Policy, items []item) {
			f.record(&f.acts, len(items), p.Name)
			f.mu.Lock()
			f.acted = append(f.acted, items...)
			f.mu.Unlock()
			for _, it := range items {
				r.add(decision(it, p.Action, report.Done, it.dec.Reason))
			}
		},
	}
	return k
}

func (f *fakeKind) record(calls *[]fakeCall, size int, key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	*calls = append(*calls, fakeCall{size: size, duringOf: f.listed, key: key})
}

// The engine on a type with thousands of resources to change: new
// candidates are marked while the type is listed, a full batch per group
// (action and due time) at a time, so memory holds a batch, not the
// candidates; what must wait for the listing's end (acts, which the breaker
// weighs against the whole inventory, and unmarks) is kept as ids and acted
// on a batch at a time, or at once for a kind that groups. Either way the
// calls are those of one list of every resource: ceil(n/1000) per group.
func TestEngineAtScale(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	pols := []policy.Policy{
		{Name: "short", Resource: "test:thing", Action: "delete", Grace: time.Hour, GraceSet: true,
			Filters: []policy.Filter{{Kind: policy.Tag, Key: "env", Test: policy.Equals, Value: "a"}}},
		{Name: "long", Resource: "test:thing", Action: "delete", Grace: 48 * time.Hour, GraceSet: true,
			Filters: []policy.Filter{{Kind: policy.Tag, Key: "env", Test: policy.Equals, Value: "b"}}},
	}
	past := now.Add(-time.Hour).Format(time.RFC3339)
	dueShort, dueLong := now.Add(time.Hour).Format(time.RFC3339), now.Add(48*time.Hour).Format(time.RFC3339)
	// thing makes resource i: env a or b (policy short or long); marked
	// (and past due) or not; or marked, and matching no policy.
	thing := func(i int, env string, marked bool) plan.Resource {
		tg := map[string]string{"env": env}
		if marked {
			tg[tags.CleanupAction], tg[tags.CleanupDue] = "delete", past
		}
		return plan.Resource{Type: "test:thing", ID: fmt.Sprintf("t-%05d", i), Region: "r-1", Tags: tg}
	}
	estate := func(newA, newB, actA, unmark int) []plan.Resource {
		var out []plan.Resource
		for i, total := 0, newA+newB+actA+unmark; len(out) < total; i++ {
			// Interleaved, as a listing would return them.
			switch {
			case i%4 == 0 && newA > 0:
				newA--
				out = append(out, thing(i, "a", false))
			case i%4 == 1 && newB > 0:
				newB--
				out = append(out, thing(i, "b", false))
			case i%4 == 2 && actA > 0:
				actA--
				out = append(out, thing(i, "a", true))
			case i%4 == 3 && unmark > 0:
				unmark--
				out = append(out, thing(i, "c", true))
			}
		}
		return out
	}
	type sized struct {
		key  string
		size int
	}
	cases := []struct {
		name       string
		f          *fakeKind
		dryRun     bool
		wantTags   []sized // in any order
		wantUntags []int
		wantActs   []int
		wantCounts map[string]int
		markDuring bool // the first full batch is tagged while the type is listed
	}{
		{name: "marks a full batch per group during the listing, the rest after it",
			f:          &fakeKind{resources: estate(2500, 1200, 0, 0)},
			wantTags:   []sized{{"delete " + dueShort, 1000}, {"delete " + dueShort, 1000}, {"delete " + dueShort, 500}, {"delete " + dueLong, 1000}, {"delete " + dueLong, 200}},
			wantCounts: map[string]int{"mark.done": 3700}, markDuring: true},
		{name: "acts and unmarks after the listing, a batch at a time",
			f:          &fakeKind{resources: estate(10, 0, 2300, 1300)},
			wantTags:   []sized{{"delete " + dueShort, 10}},
			wantUntags: []int{1000, 300},
			wantActs:   []int{1000, 1000, 300},
			wantCounts: map[string]int{"mark.done": 10, "unmark.done": 1300, "delete.done": 2300}},
		{name: "a kind that groups gets every act at once",
			f:          &fakeKind{resources: estate(0, 0, 2300, 0), grouped: true},
			wantActs:   []int{2300},
			wantCounts: map[string]int{"delete.done": 2300}},
		{name: "a dry run makes no change and plans every resource",
			f:          &fakeKind{resources: estate(1500, 20, 2300, 5)},
			dryRun:     true,
			wantCounts: map[string]int{"mark.planned": 1520, "delete.planned": 2300, "unmark.planned": 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := settings.Settings{ProtectTag: "protect", CleanupGrace: 24 * time.Hour, Concurrency: 4, MaxReportedResources: 100}
			r := &run{job: &Job{Settings: s}, now: now, dryRun: c.dryRun, measure: func(string, float64) {},
				rep:     report.New("cleanup", "direct", c.dryRun, now, s.MaxReportedResources),
				breaker: guard.NewLedger(guard.Breaker{MaxCount: 100000, MaxPercent: 100}, guard.LedgerState{})}
			if err := r.resources(context.Background(), c.f.kind(), Clients{}, "r-1", "test:thing", pols); err != nil {
				t.Fatal(err)
			}
			n := len(c.f.resources)
			var gotTags []sized
			for _, call := range c.f.tags {
				gotTags = append(gotTags, sized{call.key, call.size})
			}
			if c.markDuring && (len(c.f.tags) == 0 || c.f.tags[0].duringOf >= n) {
				t.Errorf("no batch of marks was tagged during the listing")
			}
			cmpSized := func(a, b sized) int { return cmp.Or(strings.Compare(a.key, b.key), b.size-a.size) }
			slices.SortFunc(gotTags, cmpSized)
			slices.SortFunc(c.wantTags, cmpSized)
			if !slices.Equal(gotTags, c.wantTags) {
				t.Errorf("tag calls %v, want %v", gotTags, c.wantTags)
			}
			sizes := func(calls []fakeCall) []int {
				var out []int
				for _, call := range calls {
					out = append(out, call.size)
					if call.duringOf != n {
						t.Errorf("a %d-resource unmark or act came before the listing ended", call.size)
					}
				}
				return out
			}
			if got := sizes(c.f.untags); !slices.Equal(got, c.wantUntags) {
				t.Errorf("untag calls %v, want %v", got, c.wantUntags)
			}
			if got := sizes(c.f.acts); !slices.Equal(got, c.wantActs) {
				t.Errorf("act calls %v, want %v", got, c.wantActs)
			}
			for k, v := range c.wantCounts {
				if r.rep.Counts[k] != v {
					t.Errorf("count %s = %d, want %d (all: %v)", k, r.rep.Counts[k], v, r.rep.Counts)
				}
			}
			if len(r.rep.Counts) != len(c.wantCounts) {
				t.Errorf("counts %v, want %v", r.rep.Counts, c.wantCounts)
			}
			for _, it := range c.f.acted {
				if it.res.Type != "test:thing" || it.res.Region != "r-1" || !strings.HasPrefix(it.res.ID, "t-") ||
					it.dec.Step != plan.Act || it.dec.Policy != "short" || it.dec.Action != "delete" {
					t.Fatalf("acted on %+v", it)
				}
			}
			if actions := r.breaker.State().Actions; !c.dryRun && actions["short"] != r.rep.Counts["delete.done"] {
				t.Errorf("breaker counted %d actions, want %d", actions["short"], r.rep.Counts["delete.done"])
			}
		})
	}
}

// A resource kept for after the listing keeps the reason a report line
// shows, until the report lists no more; and the rest of its identity only
// for kinds that read it, or when it is not of the list's type or region.
func TestHeldList(t *testing.T) {
	res := plan.Resource{Type: "test:thing", ID: "t-1", Region: "r-1", Name: "n", ARN: "arn", Created: time.Unix(1, 0),
		Dependents: []string{"d"}, Tags: map[string]string{"a": "b"}, State: "s"}
	slimmed := plan.Resource{Type: "test:thing", ID: "t-1", Region: "r-1", Name: "n", ARN: "arn", Created: time.Unix(1, 0), Dependents: []string{"d"}}
	elsewhere := res
	elsewhere.Region = "r-2"
	cases := []struct {
		name       string
		res        plan.Resource
		ref        bool
		reported   int // decisions the report took before
		wantRes    plan.Resource
		wantReason string
	}{
		{"the id and reason", res, false, 0, plan.Resource{Type: "test:thing", ID: "t-1", Region: "r-1"}, "why"},
		{"no reason once the report is full", res, false, 2, plan.Resource{Type: "test:thing", ID: "t-1", Region: "r-1"}, ""},
		{"the identity for a kind that reads it", res, true, 1, slimmed, "why"},
		{"the identity when of another region", elsewhere, false, 0, func() plan.Resource { r := slimmed; r.Region = "r-2"; return r }(), "why"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &run{job: &Job{Settings: settings.Settings{MaxReportedResources: 2}}, reported: c.reported}
			l := &heldList{typ: "test:thing", region: "r-1"}
			l.add(r, kind{ref: c.ref}, item{res: c.res, dec: plan.Decision{Step: plan.Act, Reason: "why"}})
			var got []item
			l.each(plan.Decision{Step: plan.Act, Policy: "p", Action: "delete"}, heldChunk, func(b []item) { got = append(got, b...) })
			want := item{res: c.wantRes, dec: plan.Decision{Step: plan.Act, Policy: "p", Action: "delete", Reason: c.wantReason}}
			if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

// Acting a held chunk at a time makes the calls acting on the whole list
// would: a chunk is a whole number of every batch an act makes.
func TestHeldChunkHoldsWholeBatches(t *testing.T) {
	for _, c := range []struct {
		name  string
		batch int
	}{{"terminate", terminateBatch}, {"stop", stopBatch}, {"alarms", alarmBatch}, {"tags", tagBatch}} {
		t.Run(c.name, func(t *testing.T) {
			if heldChunk%c.batch != 0 {
				t.Errorf("heldChunk %d is not a multiple of the %s batch %d", heldChunk, c.name, c.batch)
			}
		})
	}
}

// The run keeps the marked resources the "Cleanup Planned" event lists
// (the first MaxPlannedInAudit in region, type, id order) and counts the
// rest, whatever order they are marked in.
func TestMarkedKeepsTheListedOnes(t *testing.T) {
	for _, n := range []int{1, MaxPlannedInAudit, 2*MaxPlannedInAudit + 1, 7 * MaxPlannedInAudit} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := &run{}
			var all []markedResource
			for i := range n {
				// A scrambled order across two regions.
				m := markedResource{Resource: fmt.Sprintf("id-%06d", (i*7919)%n), Type: "ec2:snapshot", Region: []string{"r-b", "r-a"}[i%2]}
				all = append(all, m)
				r.noteMarked(m)
				if len(r.marked) >= 2*MaxPlannedInAudit {
					t.Fatalf("keeps %d marked resources", len(r.marked))
				}
			}
			want := firstMarked(all)
			if got := firstMarked(r.marked); r.markedCount != n || !slices.Equal(got, want) {
				t.Errorf("count %d, first %d listed; want %d and %d, the same", r.markedCount, len(got), n, len(want))
			}
		})
	}
}
