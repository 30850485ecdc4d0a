package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/bench"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"golang.org/x/sync/errgroup"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

// motoN is the moto estate: moto's DescribeSnapshots grows quadratically,
// so it serves the correctness-sized estate only.
const motoN = 1000

// BenchmarkMoto runs cleanup (dry run) and backup (with retention) against
// moto at N = 1 000, seeded through the SDK with the inventory estate's
// shape and tag rules. moto ignores MaxResults (one page per listing) and
// stamps creation times with the real clock, so the runs use the real now;
// its figures are the jobs' call counts at moderate size, not speed.
func BenchmarkMoto(b *testing.B) {
	for _, c := range []struct {
		name string
		env  map[string]string
		job  func(testing.TB, *bench.Probe, *bench.AuditSink) handler
		ev   func(now time.Time) string
	}{
		{"CleanupDryRun", map[string]string{"COMMANDER_DRY_RUN": "true"}, cleanupJob, func(now time.Time) string {
			e, _ := json.Marshal(map[string]any{"dryRun": true, "now": now.Format(time.RFC3339), "policies": ec2Policies})
			return string(e)
		}},
		{"Backup", map[string]string{"COMMANDER_BREAKER_MAX_COUNT": "100000", "COMMANDER_BACKUP_S3": "false"}, backupJob, func(now time.Time) string {
			e, _ := json.Marshal(map[string]any{"now": now.Format(time.RFC3339), "runId": "bench"})
			return string(e)
		}},
	} {
		b.Run(fmt.Sprintf("%s/N=%d", c.name, motoN), func(b *testing.B) {
			// Without moto's built-in AMIs: moto lists their snapshots as the
			// caller's own, which AWS never does (see motoWithoutAMIs).
			m := motoWithoutAMIs(b)
			for b.Loop() {
				b.StopTimer()
				if err := m.Reset(context.Background()); err != nil {
					b.Fatal(err)
				}
				for k, v := range m.Env() {
					b.Setenv(k, v)
				}
				for k, v := range common {
					b.Setenv(k, v)
				}
				for k, v := range c.env {
					b.Setenv(k, v)
				}
				now := time.Now().UTC().Truncate(time.Second)
				seeded := time.Now()
				spec := seedMoto(b, now)
				b.Logf("seeded moto with %d snapshots, %d volumes, %d instances in %s", spec.Snapshots, spec.Volumes, spec.Instances, time.Since(seeded).Round(time.Millisecond))
				probe, sink := bench.NewProbe(), &bench.AuditSink{}
				handle := c.job(b, probe, sink)
				b.StartTimer()
				start := time.Now()
				rep, err := handle(context.Background(), json.RawMessage(c.ev(now)))
				took := time.Since(start)
				b.StopTimer()
				if err != nil && rep == nil {
					b.Fatal(err)
				}
				if rep.Status == report.StatusFailed {
					b.Fatalf("run failed: %s", rep.Reason)
				}
				s := probe.Snapshot()
				var calls int64
				for _, v := range s.Calls {
					calls += v
				}
				min, lines := bench.Minimum(s, bench.Caps(spec))
				for _, l := range lines {
					b.Logf("%-36s calls %6d  minimum %6d", l.Op, l.Calls, l.Minimum)
				}
				b.Logf("counts: %v; status %s %s", rep.Counts, rep.Status, rep.Reason)
				b.ReportMetric(float64(calls), "calls")
				b.ReportMetric(float64(min), "min-calls")
				b.ReportMetric(float64(calls)/float64(max(min, 1)), "x-minimum")
				b.ReportMetric(float64(took.Milliseconds()), "run-ms")
				b.StartTimer()
			}
		})
	}
}

// seedMoto creates bench.Estate(motoN)'s volumes, instances and snapshots
// in moto with the inventory server's tag rules (docs/inventory-server.md).
func seedMoto(b *testing.B, now time.Time) inventory.Spec {
	ctx := context.Background()
	cfg, err := awsclient.Load(ctx, "us-east-1", 3)
	if err != nil {
		b.Fatal(err)
	}
	api := ec2client.New(cfg)
	est := bench.Estate(motoN, 35*24*time.Hour)
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	expired := now.Add(-48 * time.Hour).Format(time.RFC3339)

	vols := make([]string, est.Volumes)
	g := errgroup.Group{}
	g.SetLimit(8)
	for i := range est.Volumes {
		g.Go(func() error {
			tl := []types.Tag{tag("Name", fmt.Sprintf("bench-vol-%06d", i)), tag(tags.Backup, []string{"daily", "weekly", "daily"}[i%3])}
			if i%3 == 2 {
				tl = tl[:1]
			}
			if i%20 == 0 {
				tl = append(tl, tag(tags.Protect, "true"))
			}
			if i%5 == 0 {
				tl = append(tl, tag(tags.ExpiresAt, expired))
			}
			out, err := api.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(8), VolumeType: types.VolumeTypeGp3,
				TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVolume, Tags: tl}}})
			if err != nil {
				return err
			}
			vols[i] = aws.ToString(out.VolumeId)
			return nil
		})
	}
	for i := range est.Instances {
		g.Go(func() error {
			tl := []types.Tag{tag("Name", fmt.Sprintf("bench-i-%06d", i))}
			if i%2 == 0 {
				tl = append(tl, tag(tags.Backup, "daily"))
			}
			if i%10 == 0 {
				tl = append(tl, tag(tags.Protect, "true"))
			}
			if i%8 == 7 {
				tl = append(tl, tag(tags.ExpiresAt, expired))
			}
			out, err := api.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), InstanceType: types.InstanceTypeT2Micro,
				MinCount: aws.Int32(1), MaxCount: aws.Int32(1), TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: tl}}})
			if err != nil {
				return err
			}
			if i%4 == 3 {
				_, err = api.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{aws.ToString(out.Instances[0].InstanceId)}})
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	for i := range est.Snapshots {
		g.Go(func() error {
			created := now.Add(-time.Duration(i) * est.MaxAge / time.Duration(est.Snapshots)).Truncate(24 * time.Hour)
			tl := []types.Tag{tag("Name", fmt.Sprintf("bench-snap-%06d", i))}
			if i%4 != 3 {
				policy := "daily"
				if i%8 == 5 {
					policy = "weekly"
				}
				tl = append(tl, tag(tags.ManagedBy, tags.ManagedByValue), tag(tags.BackupPolicy, policy), tag(tags.CreatedBy, "backup"),
					tag(tags.CreatedAt, created.Format(time.RFC3339)))
			}
			if i%25 == 0 {
				tl = append(tl, tag(tags.Protect, "true"))
			}
			if i%10 == 6 {
				tl = append(tl, tag(tags.ExpiresAt, expired))
			}
			_, err := api.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: aws.String(vols[i%len(vols)]), Description: aws.String("Created by commander backup"),
				TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSnapshot, Tags: tl}}})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	est.Volumes += est.Instances // moto gives every instance its own root volume
	est.Images, est.Addresses = 0, 0
	return est
}
