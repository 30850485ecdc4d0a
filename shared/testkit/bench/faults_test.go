package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/testkit/bench"
	"github.com/aws-commander/commander/shared/testkit/emulator/faultproxy"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Through a proxy that throttles 20 % of mutating calls and fails 5 % of all
// calls with 503, the jobs reach exactly the end state they reach without
// faults, with their retries bounded (COMMANDER_MAX_ATTEMPTS) and counted in
// the report.
func TestJobsSameEndStateUnderFaults(t *testing.T) {
	backupEvent, _ := json.Marshal(map[string]any{"now": bench.Now.Format(time.RFC3339), "runId": "faults"})
	cleanupAt := func(now time.Time) string {
		e, _ := json.Marshal(map[string]any{"dryRun": false, "now": now.Format(time.RFC3339), "policies": ec2Policies})
		return string(e)
	}
	cases := []struct {
		name   string
		env    map[string]string
		maxAge time.Duration
		events []string
		job    func(testing.TB, *bench.Probe, *bench.AuditSink) handler
	}{
		{"cleanup mark then act", map[string]string{"COMMANDER_DRY_RUN": "false", "COMMANDER_BREAKER_MAX_COUNT": "100000", "COMMANDER_BREAKER_MAX_PERCENT": "100"},
			120 * 24 * time.Hour, []string{cleanupAt(bench.Now), cleanupAt(bench.Now.Add(8 * 24 * time.Hour))}, cleanupJob},
		{"backup with retention", map[string]string{"COMMANDER_BREAKER_MAX_COUNT": "100000"},
			35 * 24 * time.Hour, []string{string(backupEvent)}, backupJob},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, clean, _ := runJob(t, c.env, c.maxAge, c.events, c.job, nil)
			if slices.Equal(before, clean) {
				t.Fatal("the job changed nothing without faults; the comparison would prove nothing")
			}
			faults := &faultproxy.Options{ThrottleMutates: 0.20, Unavailable: 0.05, Seed: 11}
			_, faulty, retries := runJob(t, c.env, c.maxAge, c.events, c.job, faults)
			if retries == 0 {
				t.Fatal("no retry was counted: the faults never reached the job, so the test proves nothing")
			}
			if !slices.Equal(clean, faulty) {
				t.Errorf("end state under faults differs from the end state without:\n%s", diff(clean, faulty))
			}
			t.Logf("%d resources in the end state; %d retries under faults", len(clean), retries)
		})
	}
}

// runJob seeds a fresh inventory server with 200 snapshots (and volumes,
// instances, images and addresses in proportion), runs events through the
// job, optionally behind a fault proxy, and returns the state before and
// after, and the retries the reports counted.
func runJob(t *testing.T, env map[string]string, maxAge time.Duration, events []string,
	build func(testing.TB, *bench.Probe, *bench.AuditSink) handler, faults *faultproxy.Options) (before, after []string, retries int64) {
	t.Helper()
	srv, err := inventory.Start(inventory.Options{Now: func() time.Time { return bench.Now }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if err := srv.Seed(bench.Estate(200, maxAge)); err != nil {
		t.Fatal(err)
	}
	for k, v := range srv.Env() {
		t.Setenv(k, v)
	}
	for k, v := range common {
		t.Setenv(k, v)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	t.Setenv("COMMANDER_MAX_ATTEMPTS", "10")
	before = endState(t)
	if faults != nil {
		faults.Target = srv.URL
		p, err := faultproxy.Start(*faults)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Stop()
		t.Setenv("AWS_ENDPOINT_URL", p.URL)
	}
	handle := build(t, bench.NewProbe(), &bench.AuditSink{})
	for _, ev := range events {
		rep, err := handle(context.Background(), json.RawMessage(ev))
		if err != nil || rep.Status != report.StatusOK {
			t.Fatalf("run %s: status %v, err %v, errors %v", ev, rep.Status, err, rep.Errors)
		}
		retries += rep.Retries
	}
	t.Setenv("AWS_ENDPOINT_URL", srv.URL) // read the end state directly
	return before, endState(t), retries
}

// endState lists every EC2 resource with what the jobs may change on it:
// state and tags. Snapshots are named by volume and tags, not by id, since
// concurrent creations may take their ids in another order.
func endState(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	cfg, err := awsclient.Load(ctx, "us-east-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	api := ec2client.New(cfg)
	var out []string
	snaps := ec2.NewDescribeSnapshotsPaginator(api, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: aws.Int32(1000)})
	for snaps.HasMorePages() {
		page, err := snaps.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Snapshots {
			out = append(out, fmt.Sprintf("snapshot of %s %s", aws.ToString(s.VolumeId), tagString(s.Tags)))
		}
	}
	vols := ec2.NewDescribeVolumesPaginator(api, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(500)})
	for vols.HasMorePages() {
		page, err := vols.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Volumes {
			out = append(out, fmt.Sprintf("volume %s %s %s", aws.ToString(v.VolumeId), v.State, tagString(v.Tags)))
		}
	}
	insts := ec2.NewDescribeInstancesPaginator(api, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000)})
	for insts.HasMorePages() {
		page, err := insts.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Reservations {
			for _, i := range r.Instances {
				out = append(out, fmt.Sprintf("instance %s %s %s", aws.ToString(i.InstanceId), i.State.Name, tagString(i.Tags)))
			}
		}
	}
	addrs, err := api.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{}) // not paged in AWS
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs.Addresses {
		out = append(out, fmt.Sprintf("address %s %s", aws.ToString(a.AllocationId), tagString(a.Tags)))
	}
	sort.Strings(out)
	return out
}

func tagString(list []types.Tag) string {
	kv := make([]string, 0, len(list))
	for _, tg := range list {
		kv = append(kv, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

// diff shows the first lines that differ.
func diff(a, b []string) string {
	var out []string
	for _, l := range a {
		if !slices.Contains(b, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			out = append(out, "+ "+l)
		}
	}
	if len(out) > 20 {
		out = append(out[:20], fmt.Sprintf("... %d more", len(out)-20))
	}
	return strings.Join(out, "\n")
}
