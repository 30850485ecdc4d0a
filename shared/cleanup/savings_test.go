package cleanup

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/pricing"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

const priced = `
policies:
  - name: unattached-volumes
    resource: ec2:volume
    action: delete
    filters: [{state: available}]
  - name: idle-addresses
    resource: ec2:address
    action: release
    filters: [{state: unassociated}]
  - name: dev-nights
    resource: ec2:instance
    action: stop
    filters: [{state: running}, {tag: env, equals: dev}]
  - name: stopped-instances
    resource: ec2:instance
    action: terminate
    filters: [{state: stopped}]
`

// Every action that stops billing carries its saving, checked against the
// shipped table, in the mark run (what acting will save) and in the act
// run; a stopped instance's termination has no estimate (never a zero).
func TestSavingsReported(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	out, err := f.ec2.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(100), VolumeType: types.VolumeTypeGp3})
	if err != nil {
		t.Fatal(err)
	}
	vol := aws.ToString(out.VolumeId)
	addr := f.address(nil)
	dev := f.instance("running", map[string]string{"env": "dev"}, nil)
	stopped := f.instance("stopped", nil, nil)

	table := pricing.Default()
	want := map[string]float64{}
	for id, e := range map[string]func() (pricing.Estimate, bool){
		vol:  func() (pricing.Estimate, bool) { return table.Volume("us-east-1", "gp3", 100, 3000, 125) },
		addr: func() (pricing.Estimate, bool) { return table.PublicIPv4("us-east-1") },
		dev:  func() (pricing.Estimate, bool) { return table.Instance("us-east-1", "t2.micro") },
	} {
		est, ok := e()
		if !ok {
			t.Fatalf("the table prices none of %s", id)
		}
		want[id] = est.MonthlyUSD
	}
	total := pricing.Round(want[vol] + want[addr] + want[dev])

	j := f.job(priced, map[string]string{"COMMANDER_CLEANUP_GRACE": "1d"})
	j.Prices = table
	now := time.Now().UTC()
	for _, run := range []struct {
		name   string
		at     time.Time
		action map[string]string
	}{
		{"mark", now, map[string]string{vol: "mark", addr: "mark", dev: "mark", stopped: "mark"}},
		{"act", now.Add(2 * day), map[string]string{vol: "delete", addr: "release", dev: "stop", stopped: "terminate"}},
	} {
		t.Run(run.name, func(t *testing.T) {
			rep := f.run(j, run.at, "")
			for id, action := range run.action {
				d := decisionFor(rep, id)
				if d.Action != action || d.Outcome != report.Done {
					t.Fatalf("%s: %+v, want %s done", id, d, action)
				}
				w, priced := want[id]
				switch {
				case !priced && d.Saving != nil:
					t.Errorf("%s: saving %v, want no estimate", id, *d.Saving)
				case priced && (d.Saving == nil || *d.Saving != w):
					t.Errorf("%s: saving %v, want %.2f (%s)", id, d.Saving, w, d.Reason)
				case priced && !strings.Contains(d.Reason, "price table "+table.Date):
					t.Errorf("%s: the reason does not give the basis: %s", id, d.Reason)
				}
			}
			if math.Abs(rep.SavingsUSD-total) > 0.001 || !strings.Contains(rep.Prices, table.Date) {
				t.Errorf("report total %.2f (%q), want %.2f", rep.SavingsUSD, rep.Prices, total)
			}
		})
	}
	if f.exists("volume", vol) || f.exists("address", addr) || f.instanceState(dev) != "stopped" {
		t.Error("the act run did not act")
	}
}
