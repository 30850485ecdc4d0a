package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/pricing"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

// testPolicy is the shipped default with the snapshot policy narrowed to
// the test's own snapshots (moto ships a thousand of its own).
const testPolicy = `
policies:
  - name: stopped-instances
    resource: ec2:instance
    action: terminate
    filters: [{state: [stopped]}, {stoppedFor: 30d}]
  - name: unattached-volumes
    resource: ec2:volume
    action: delete
    filters: [{state: [available]}, {age: 14d}]
  - name: idle-addresses
    resource: ec2:address
    action: release
    filters: [{state: [unassociated]}]
`

type account struct {
	t   *testing.T
	ec2 *ec2.Client
}

func (a account) must(err error) {
	a.t.Helper()
	if err != nil {
		a.t.Fatal(err)
	}
}

func (a account) instance() string {
	out, err := a.ec2.RunInstances(context.Background(), &ec2.RunInstancesInput{ImageId: aws.String("ami-12345678"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	a.must(err)
	id := aws.ToString(out.Instances[0].InstanceId)
	_, err = a.ec2.StopInstances(context.Background(), &ec2.StopInstancesInput{InstanceIds: []string{id}})
	a.must(err)
	return id
}

func (a account) state(id string) string {
	out, err := a.ec2.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	a.must(err)
	return string(out.Reservations[0].Instances[0].State.Name)
}

func (a account) tags(id string) map[string]string {
	out, err := a.ec2.DescribeTags(context.Background(), &ec2.DescribeTagsInput{Filters: []types.Filter{{Name: aws.String("resource-id"), Values: []string{id}}}})
	a.must(err)
	m := map[string]string{}
	for _, t := range out.Tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func (a account) volumes() int {
	out, err := a.ec2.DescribeVolumes(context.Background(), &ec2.DescribeVolumesInput{Filters: []types.Filter{{Name: aws.String("status"), Values: []string{"available"}}}})
	a.must(err)
	return len(out.Volumes)
}

func (a account) addresses() int {
	out, err := a.ec2.DescribeAddresses(context.Background(), &ec2.DescribeAddressesInput{})
	a.must(err)
	return len(out.Addresses)
}

func invoke(t *testing.T, fn interface {
	Invoke(context.Context, []byte) ([]byte, error)
}, body []byte) *report.Report {
	t.Helper()
	out, err := fn.Invoke(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	r := &report.Report{}
	if err := json.Unmarshal(out, r); err != nil || r.Function != "cleanup" {
		t.Fatalf("answer is not a cleanup report: %s", out)
	}
	return r
}

// The real bootstrap under the RIE handles every sample, in order, against
// moto: dry-run changes nothing, the mark run tags, the act run acts on
// what still matches and unmarks what stopped matching, the real-time
// schedule finds nothing due.
func TestBootstrapAnswersSamples(t *testing.T) {
	emulatortest.Moto(t)
	cfg := emulatortest.Config(t)
	a := account{t: t, ec2: ec2client.New(cfg)}
	old, restarted := a.instance(), a.instance()
	_, err := a.ec2.CreateVolume(context.Background(), &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(100), VolumeType: types.VolumeTypeGp3})
	a.must(err)
	_, err = a.ec2.AllocateAddress(context.Background(), &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc})
	a.must(err)

	fn := emulatortest.Function(t, "cleanup", map[string]string{
		"COMMANDER_DRY_RUN": "false", "COMMANDER_ALLOW_SIMULATED_TIME": "true", "COMMANDER_CLEANUP_POLICY": testPolicy,
	})
	samples, err := events.Samples("cleanup")
	if err != nil || len(samples) != 4 {
		t.Fatalf("samples: %v (%d)", err, len(samples))
	}
	checks := map[string]func(t *testing.T, r *report.Report){
		"1-dry-run-direct.json": func(t *testing.T, r *report.Report) {
			// Real now: nothing is old enough; a dry run in any case.
			if !r.DryRun || r.Trigger != "direct" || r.Count("mark", report.Planned) != 1 {
				t.Errorf("report: dryRun %v trigger %s counts %v", r.DryRun, r.Trigger, r.Counts)
			}
			if tg := a.tags(old); tg[tags.CleanupAction] != "" || a.volumes() != 1 || a.addresses() != 1 {
				t.Errorf("dry run changed state: tags %v", tg)
			}
		},
		"2-mark-simulated-now.json": func(t *testing.T, r *report.Report) {
			if r.DryRun || r.Count("mark", report.Done) != 4 {
				t.Errorf("report: dryRun %v counts %v", r.DryRun, r.Counts)
			}
			for _, id := range []string{old, restarted} {
				if tg := a.tags(id); tg[tags.CleanupAction] != "terminate" || tg[tags.CleanupDue] != "2035-01-08T04:00:00Z" {
					t.Errorf("%s tags %v", id, tg)
				}
			}
			// During the grace, one instance comes back into use.
			_, err := a.ec2.StartInstances(context.Background(), &ec2.StartInstancesInput{InstanceIds: []string{restarted}})
			a.must(err)
		},
		"3-act-simulated-now.json": func(t *testing.T, r *report.Report) {
			if r.Status != report.StatusOK || r.Count("terminate", report.Done) != 1 || r.Count("delete", report.Done) != 1 ||
				r.Count("release", report.Done) != 1 || r.Count("unmark", report.Done) != 1 {
				t.Errorf("report: %s %s counts %v errors %v", r.Status, r.Reason, r.Counts, r.Errors)
			}
			if s := a.state(old); s != "terminated" && s != "shutting-down" {
				t.Errorf("old instance is %s", s)
			}
			if tg := a.tags(restarted); a.state(restarted) != "running" || tg[tags.CleanupAction] != "" {
				t.Errorf("restarted instance: %s %v", a.state(restarted), tg)
			}
			if a.volumes() != 0 || a.addresses() != 0 {
				t.Errorf("volumes %d addresses %d left", a.volumes(), a.addresses())
			}
			// What the deletion and the release save, against the shipped table;
			// the stopped instance's termination has no estimate.
			table := pricing.Default()
			gp3, _ := table.Volume("us-east-1", "gp3", 100, 3000, 125)
			ip, _ := table.PublicIPv4("us-east-1")
			for _, d := range r.Resources {
				var want *float64
				switch d.Action {
				case "delete":
					want = &gp3.MonthlyUSD
				case "release":
					want = &ip.MonthlyUSD
				}
				if (want == nil) != (d.Saving == nil) || want != nil && *want != *d.Saving {
					t.Errorf("%s %s: saving %v, want %v (%s)", d.Action, d.Resource, d.Saving, want, d.Reason)
				}
			}
			if total := pricing.Round(gp3.MonthlyUSD + ip.MonthlyUSD); r.SavingsUSD != total {
				t.Errorf("report total %.2f, want %.2f", r.SavingsUSD, total)
			}
		},
		"scheduled.json": func(t *testing.T, r *report.Report) {
			if r.Status != report.StatusOK || r.Trigger != "schedule" || r.IdempotencyKey == "" || len(r.Resources) != 0 {
				t.Errorf("report: %s trigger %s key %q resources %v", r.Status, r.Trigger, r.IdempotencyKey, r.Resources)
			}
		},
	}
	for _, s := range samples {
		t.Run(s.Name, func(t *testing.T) {
			check, ok := checks[s.Name]
			if !ok {
				t.Fatalf("no state check for sample %s", s.Name)
			}
			check(t, invoke(t, fn, s.Body))
		})
	}
}

// With no policy variable the shipped default runs, and a deployment that
// did not opt in is a dry run.
func TestBootstrapDefaultsToDryRun(t *testing.T) {
	emulatortest.Moto(t)
	a := account{t: t, ec2: ec2client.New(emulatortest.Config(t))}
	id := a.instance()
	fn := emulatortest.Function(t, "cleanup", map[string]string{"COMMANDER_ALLOW_SIMULATED_TIME": "true"})
	r := invoke(t, fn, []byte(`{"now":"2035-01-01T00:00:00Z"}`))
	if !r.DryRun || r.Count("mark", report.Planned) == 0 {
		t.Errorf("report: dryRun %v counts %v", r.DryRun, r.Counts)
	}
	if tg := a.tags(id); tg[tags.CleanupAction] != "" || a.state(id) != "stopped" {
		t.Errorf("default dry run changed %s: %v", id, tg)
	}
}

// A bad policy document stops the start with its path in the document.
func TestBootstrapRefusesBadPolicy(t *testing.T) {
	emulatortest.Moto(t)
	fn := emulatortest.Function(t, "cleanup", map[string]string{
		"COMMANDER_CLEANUP_POLICY": `{"policies":[{"name":"a","resource":"ec2:instance","action":"stop","filters":[{"tag":"env","regex":"("}]}]}`,
	})
	out, _ := fn.Invoke(context.Background(), []byte(`{"dryRun":true}`))
	if strings.Contains(string(out), `"function":"cleanup"`) {
		t.Fatalf("the handler ran despite a bad policy: %s", out)
	}
	if !fn.AwaitOutput(`policies[0].filters[0].regex: invalid regex \"(\"`, 5*time.Second) {
		t.Errorf("the log must name the path in the document; got %s", fn.Output())
	}
}
