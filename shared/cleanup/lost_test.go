package cleanup

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws-commander/commander/shared/testkit/emulator/faultproxy"
)

// Through a proxy that throttles a quarter of EC2's mutating calls and
// loses the answer of a tenth (the call took effect), a run and its
// redelivery delete every due volume with exactly one final snapshot: no
// duplicate, none deleted without one, and the decisions name it.
func TestLostAnswersOneFinalSnapshot(t *testing.T) {
	lostCreates := 0 // over the seeds: the runs are concurrent, so a seed's draws may fall on other calls
	for _, seed := range []uint64{1, 2, 5, 9} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			faulty, direct, proxy := emulatortest.Faulty(t, faultproxy.Options{ThrottleMutates: 0.25, LoseAnswers: 0.10, Seed: seed}, 5)
			f := &fixture{t: t, ec2: ec2client.New(direct), cfg: direct}
			now := time.Now().UTC().Add(40 * day)
			due := map[string]string{tags.CleanupAction: "delete", tags.CleanupDue: now.Add(-day).Format(time.RFC3339)}
			var vols []string
			for range 8 {
				vols = append(vols, f.volume(due))
			}
			j := f.job(volumesOnly, map[string]string{"COMMANDER_BREAKER_MAX_PERCENT": "100"})
			clients := j.Clients
			j.Clients = func(region string) Clients {
				c := clients(region)
				c.EC2 = ec2client.New(faulty)
				return c
			}
			first := f.run(j, now, "")
			again := f.run(j, now, "")
			lostCreates += proxy.LostOn("CreateSnapshot")
			t.Logf("seed %d: %v, passed %d; first run %v, redelivery %v", seed, proxy.ByCall, proxy.Passed, first.Counts, again.Counts)
			for _, v := range vols {
				finals := f.finals(v)
				switch {
				case len(finals) > 1:
					t.Errorf("%s has %d final snapshots %v; want 1", v, len(finals), finals)
					continue
				case len(finals) == 0 && !f.exists("volume", v):
					t.Errorf("%s was deleted without a final snapshot", v)
					continue
				case f.exists("volume", v):
					t.Errorf("%s was not deleted by the run or its redelivery", v)
					continue
				}
				// Done once, naming the snapshot; a delete whose answer was lost
				// and whose blind retries were throttled reads as failed although
				// the volume is gone (its final snapshot was taken first).
				d := decisionFor(first, v)
				if d.Outcome != report.Done {
					d = decisionFor(again, v)
				}
				lostDelete := decisionFor(first, v).Outcome == report.Failed && strings.Contains(decisionFor(first, v).Error, "delete volume") && proxy.LostOn("DeleteVolume") > 0
				if !lostDelete && (d.Outcome != report.Done || !strings.Contains(d.Reason, "final snapshot "+finals[0])) {
					t.Errorf("%s: decisions %+v then %+v; want one done naming final snapshot %s", v, decisionFor(first, v), decisionFor(again, v), finals[0])
				}
			}
		})
	}
	if lostCreates == 0 {
		t.Fatal("no create's answer was lost under any seed; the test proves nothing")
	}
}
