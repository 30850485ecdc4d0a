package alarm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/alarm"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws-commander/commander/shared/testkit/emulator/faultproxy"
	"github.com/aws/aws-sdk-go-v2/aws"
)

// Through a proxy that throttles a quarter of the mutating calls and loses
// the answer of a tenth (the call took effect), each alarm event and its
// redelivery leave exactly one snapshot per target volume tagged with the
// event: no duplicate, none missing, and the decision names them.
func TestLostAnswersOneSnapshotPerEvent(t *testing.T) {
	lostCreates := 0 // over the seeds: the runs are concurrent, so a seed's draws may fall on other calls
	for _, seed := range []uint64{1, 3, 4} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			faulty, direct, proxy := emulatortest.Faulty(t, faultproxy.Options{ThrottleMutates: 0.25, LoseAnswers: 0.10, Seed: seed}, 5)
			e := setupWith(t, nil, direct)
			e.h.Clients = alarm.RegionClients(faulty)
			type target struct {
				event string
				raw   []byte
				vols  []string
			}
			var targets []target
			for i := range 6 {
				name, ev := fmt.Sprintf("commander-lost-%d", i), fmt.Sprintf("ev-lost-%d", i)
				var raw []byte
				var vols []string
				if i == 0 { // an instance: CreateSnapshots
					id := e.f.Instance(nil)
					vols = e.f.InstanceVolumes(id)
					e.f.MetricAlarm(name, map[string]string{tags.OnAlarm: "snapshot"}, map[string]string{"InstanceId": id})
					raw = sample(t, single, placeholder, id, singleAlarm, name)
				} else {
					vol := e.f.Volume(nil)
					vols = []string{vol}
					e.f.MetricAlarm(name, map[string]string{tags.OnAlarm: "snapshot"}, map[string]string{"VolumeId": vol})
					raw = sample(t, single, `{"InstanceId": "`+placeholder+`"}`, `{"VolumeId": "`+vol+`"}`, singleAlarm, name)
				}
				targets = append(targets, target{ev, withID(t, raw, ev), vols})
			}
			for _, tg := range targets {
				e.f.Agree(tg.raw)
				first, err1 := e.h.Handle(context.Background(), tg.raw)
				again, err2 := e.h.Handle(context.Background(), tg.raw) // the redelivery
				var ids []string
				for _, s := range e.f.Snapshots(tg.vols...) {
					for _, kv := range s.Tags {
						if aws.ToString(kv.Key) == tags.RunKey && aws.ToString(kv.Value) == tg.event {
							ids = append(ids, aws.ToString(s.SnapshotId))
						}
					}
				}
				if len(ids) != len(tg.vols) {
					t.Errorf("event %s: %d snapshots %v of %d volumes; want one each (errors %v, %v)", tg.event, len(ids), ids, len(tg.vols), err1, err2)
					continue
				}
				// Done once, by the delivery or its redelivery, naming every snapshot.
				var done *report.Decision
				for _, r := range []*report.Report{first, again} {
					for i, d := range r.Resources {
						if d.Action == "snapshot" && d.Outcome == report.Done && done == nil {
							done = &r.Resources[i]
						}
					}
				}
				if done == nil {
					t.Errorf("event %s: no snapshot done in %+v then %+v (errors %v, %v)", tg.event, first.Resources, again.Resources, err1, err2)
					continue
				}
				for _, id := range ids {
					if !strings.Contains(done.Reason, id) {
						t.Errorf("event %s: decision %q does not name snapshot %s", tg.event, done.Reason, id)
					}
				}
			}
			lostCreates += proxy.LostOn("CreateSnapshot", "CreateSnapshots")
			t.Logf("seed %d: %v, passed %d", seed, proxy.ByCall, proxy.Passed)
		})
	}
	if lostCreates == 0 {
		t.Fatal("no create's answer was lost under any seed; the test proves nothing")
	}
}
