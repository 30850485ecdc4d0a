package cleanup

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/settings"
)

// Acts go largest saving first, across chunks, those without an estimate
// last, listing order among equals; nothing is lost or repeated.
func TestHeldBySaving(t *testing.T) {
	r := &run{job: &Job{Settings: settings.Settings{MaxReportedResources: 10}}, rep: report.New("cleanup", "direct", false, time.Now(), 10)}
	l := &heldList{typ: "test:thing", region: "r-1"}
	const n = 2*heldChunk + 300
	for i := range n {
		it := item{res: plan.Resource{Type: "test:thing", ID: fmt.Sprintf("t-%04d", i), Region: "r-1"}}
		if i%3 != 0 { // a third have no estimate
			c := float64(i % 7)
			it.cost = &c
		}
		l.add(r, kind{}, it)
	}
	l.bySaving()
	var prev *item
	seen := map[string]bool{}
	l.each(plan.Decision{}, heldChunk, func(batch []item) {
		for _, it := range batch {
			if seen[it.res.ID] {
				t.Fatalf("%s twice", it.res.ID)
			}
			seen[it.res.ID] = true
			if prev != nil {
				a, b := prev.cost, it.cost
				switch {
				case a == nil && b != nil:
					t.Fatalf("%s without an estimate before %s with one", prev.res.ID, it.res.ID)
				case a != nil && b != nil && *b > *a:
					t.Fatalf("%s ($%v) before %s ($%v)", prev.res.ID, *a, it.res.ID, *b)
				case (a == nil) == (b == nil) && (a == nil || *a == *b) && it.res.ID < prev.res.ID:
					t.Fatalf("equals out of listing order: %s before %s", prev.res.ID, it.res.ID)
				}
			}
			p := it
			prev = &p
		}
	})
	if len(seen) != n {
		t.Fatalf("%d of %d kept", len(seen), n)
	}
}
