package cleanup

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
)

// A live run that marks emits "Commander Cleanup Planned" with the marked
// resources, and every run emits "Commander Cleanup Completed". moto never
// runs patterns through TestEventPattern, so a rule on a custom bus feeds
// a queue (emulatortest.NewRule), and the test reads the queue.
func TestAuditEvents(t *testing.T) {
	f := newFixture(t)
	pattern := `{"source":["commander"],"detail-type":["` + events.CleanupPlanned + `","` + events.CleanupCompleted + `"]}`
	rule := emulatortest.NewRule(t, f.cfg, "commander-audit", pattern)
	addr := f.address(nil)
	j := f.job(everything, map[string]string{"COMMANDER_EVENT_BUS": "commander-audit"})
	f.run(j, time.Now().UTC(), "")

	got := map[string]map[string]any{}
	for _, ev := range rule.Receive(t, 2) {
		var detail map[string]any
		if err := json.Unmarshal(ev.Detail, &detail); err != nil {
			t.Fatalf("%s detail: %v", ev.DetailType, err)
		}
		got[ev.DetailType] = detail
	}
	planned, ok := got[events.CleanupPlanned]
	if !ok {
		t.Fatalf("no %q event; got %v", events.CleanupPlanned, got)
	}
	if b, _ := json.Marshal(planned); !strings.Contains(string(b), addr) || planned["marked"] != float64(1) {
		t.Errorf("planned detail = %s", b)
	}
	done, ok := got[events.CleanupCompleted]
	if !ok || done["status"] != "ok" || done["dryRun"] != false {
		t.Errorf("completed detail = %v", done)
	}
}
