package backup

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws-commander/commander/shared/testkit/emulator/faultproxy"
)

// Through a proxy that throttles a quarter of EC2's mutating calls and
// loses the answer of a tenth (the call took effect), one run and one
// redelivery of the same scheduled event leave exactly one snapshot per
// tagged volume for that time: no duplicate, none missing, and the
// decisions name that snapshot.
func TestLostAnswersMakeNoDuplicate(t *testing.T) {
	lostCreates := 0 // over the seeds: the runs are concurrent, so a seed's draws may fall on other calls
	for _, seed := range []uint64{1, 2, 5, 8} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			faulty, direct, proxy := emulatortest.Faulty(t, faultproxy.Options{ThrottleMutates: 0.25, LoseAnswers: 0.10, Seed: seed}, 5)
			e := &env{t: t, cfg: direct, ec2: ec2client.New(direct), s3: s3client.New(direct)}
			var vols []string
			for range 6 {
				vols = append(vols, e.volume(tags.Backup, "daily"))
			}
			for range 2 {
				_, iv := e.instance(tags.Backup, "daily")
				vols = append(vols, iv...)
			}
			j := e.job(nil)
			j.Regions = []Region{{Name: "us-east-1", EC2: ec2client.New(faulty), S3: s3client.New(faulty)}}

			first := e.run(j, scheduled(day(0)))
			again := e.run(j, scheduled(day(0)))
			lostCreates += proxy.LostOn("CreateSnapshot", "CreateSnapshots")
			t.Logf("seed %d: %v, passed %d; first run %v, redelivery %v", seed, proxy.ByCall, proxy.Passed, first.Counts, again.Counts)

			snaps := e.snapshots()
			for _, v := range vols {
				var ids []string
				for _, s := range snaps[v] {
					if tags.EC2(s.Tags)[tags.CreatedAt] == day(0) {
						ids = append(ids, *s.SnapshotId)
					}
				}
				if len(ids) != 1 {
					t.Errorf("volume %s has %d snapshots for %s, want 1: %v", v, len(ids), day(0), ids)
					continue
				}
				// The decisions agree: done once (by the run or its redelivery), naming it.
				d1, d2 := decision(first, v), decision(again, v)
				switch {
				case d1.Outcome == report.Done:
					if !strings.HasSuffix(d1.Reason, ": "+ids[0]) || d2.Outcome != report.Skipped || !strings.Contains(d2.Reason, ids[0]) {
						t.Errorf("%s: first %+v, redelivery %+v; want done naming %s, then skipped as already backed up", v, d1, d2, ids[0])
					}
				case d1.Outcome == report.Failed:
					// Failed: the snapshot was not made, or made and not fully
					// tagged (CreateSnapshots' per-volume CreateTags); the
					// redelivery makes it, or finds it by the run key.
					made := d2.Outcome == report.Done && strings.HasSuffix(d2.Reason, ": "+ids[0])
					found := d2.Outcome == report.Skipped && strings.Contains(d2.Reason, "already backed up by this run ("+ids[0]+")")
					if !made && !found {
						t.Errorf("%s: failed first (%s), then %+v; want the redelivery to make or find %s", v, d1.Error, d2, ids[0])
					}
				default:
					t.Errorf("%s: first run decided %+v", v, d1)
				}
			}
		})
	}
	if lostCreates == 0 {
		t.Fatal("no create's answer was lost under any seed; the test proves nothing")
	}
}

func decision(r *report.Report, volume string) report.Decision {
	for _, d := range r.Resources {
		if d.Resource == volume && d.Action == ActionSnapshot {
			return d
		}
	}
	return report.Decision{}
}
