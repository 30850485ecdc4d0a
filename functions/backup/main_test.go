package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

type answer struct {
	report.Report
	ErrorMessage string `json:"errorMessage"`
}

// The real bootstrap, under the Lambda Runtime Interface Emulator, handles
// every backup sample event against moto, in file order, with the account
// checked after each.
func TestBootstrapHandlesSamples(t *testing.T) {
	ctx := context.Background()
	cfg := emulatortest.Config(t)
	api := ec2client.New(cfg)
	vol, err := api.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(8),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVolume, Tags: []types.Tag{{Key: aws.String(tags.Backup), Value: aws.String("daily")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(8)}); err != nil {
		t.Fatal(err)
	}
	fn := emulatortest.Function(t, "backup", map[string]string{"COMMANDER_ALLOW_SIMULATED_TIME": "true"})

	// What each sample must do: its report, and the snapshots of the tagged volume after it.
	want := map[string]struct {
		dryRun    bool
		counts    map[string]int
		snapshots int
	}{
		"dry-run-direct.json":  {dryRun: true, counts: map[string]int{"snapshot.planned": 1}, snapshots: 0},
		"requested-event.json": {dryRun: true, counts: map[string]int{"snapshot.planned": 1}, snapshots: 0},
		"scheduled.json":       {counts: map[string]int{"snapshot.done": 1}, snapshots: 1},
		"simulated-now.json":   {counts: map[string]int{"snapshot.done": 1, "keep.skipped": 2}, snapshots: 2},
	}
	samples, err := events.Samples("backup")
	if err != nil || len(samples) == 0 {
		t.Fatalf("samples: %v (%d)", err, len(samples))
	}
	for _, s := range samples {
		t.Run(s.Name, func(t *testing.T) {
			w, ok := want[s.Name]
			if !ok {
				t.Fatalf("no expectation for sample %s: add one to this test", s.Name)
			}
			out, err := fn.Invoke(ctx, s.Body)
			if err != nil {
				t.Fatal(err)
			}
			var a answer
			if err := json.Unmarshal(out, &a); err != nil || a.ErrorMessage != "" {
				t.Fatalf("answer: %v %s", err, out)
			}
			if a.Function != "backup" || a.Status != report.StatusOK || a.DryRun != w.dryRun {
				t.Errorf("report: function %q status %q (%s) dryRun %v", a.Function, a.Status, a.Reason, a.DryRun)
			}
			for k, n := range w.counts {
				if a.Counts[k] != n {
					t.Errorf("count %s = %d, want %d (all %v)", k, a.Counts[k], n, a.Counts)
				}
			}
			// moto lists its built-in AMIs' snapshots as the account's own: look at ours only.
			snaps, err := api.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"},
				Filters: []types.Filter{{Name: aws.String("tag:" + tags.ManagedBy), Values: []string{tags.ManagedByValue}}}})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, sn := range snaps.Snapshots {
				if aws.ToString(sn.VolumeId) != aws.ToString(vol.VolumeId) {
					t.Errorf("snapshot %s of an untagged volume", aws.ToString(sn.SnapshotId))
				}
				n++
			}
			if n != w.snapshots {
				t.Errorf("%d snapshots after %s, want %d", n, s.Name, w.snapshots)
			}
		})
	}
}

// A bad setting stops the start with a message naming the variable.
func TestBootstrapRefusesBadSettings(t *testing.T) {
	cases := []struct{ name, variable, value string }{
		{"shared setting", "COMMANDER_ROOT_VOLUME_SIZE_GB", "0"},
		{"backup policies", "COMMANDER_BACKUP_POLICIES", "x=keep:1"},
		{"backup time zone", "COMMANDER_BACKUP_TIME_ZONE", "Mars/Olympus"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			emulatortest.Moto(t)
			fn := emulatortest.Function(t, "backup", map[string]string{c.variable: c.value})
			out, _ := fn.Invoke(context.Background(), []byte(`{"dryRun":true}`))
			if strings.Contains(string(out), `"function":"backup"`) {
				t.Fatalf("the handler ran despite a bad setting: %s", out)
			}
			if !fn.AwaitOutput(c.variable+`=\"`+c.value+`\" is invalid`, 5*time.Second) {
				t.Errorf("the function's log must name the variable and value; got %s", fn.Output())
			}
		})
	}
}
