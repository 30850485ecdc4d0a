package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/cleanup"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/bench"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
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

// metricsN is the running instances of BenchmarkCleanupMetrics; beside
// them metricsStopped stopped ones, which the policy's state filter drops
// before any query.
const (
	metricsN       = 1000
	metricsStopped = 100
	metricsIdle    = 5 // with 14 idle days of both metrics
	metricsBusy    = 5 // with 14 days of both, CPU at 80
	metricFilters  = 2
)

// metricsPolicy is an idle-instances policy with two metric filters.
const metricsPolicy = `
policies:
  - name: idle-instances
    resource: ec2:instance
    action: stop
    filters:
      - state: [running]
      - metric: {name: CPUUtilization, stat: Maximum, below: 5, for: 14d}
      - metric: {name: NetworkIn, stat: Sum, below: 1000, for: 14d}
`

// BenchmarkCleanupMetrics: cleanup's metric filter at N = 1 000 running
// instances (and 100 stopped) against moto, dry run: it must fetch
// GetMetricData for the running ones only, one query per instance and
// metric filter, 500 queries a call: ceil(1 000 × 2 ÷ 500) = 4 calls.
// Datapoints are seeded for a few instances only (moto's GetMetricData
// scans every stored datapoint per query); the others have none and are
// reported as not provable, which costs the same queries.
func BenchmarkCleanupMetrics(b *testing.B) {
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
		b.Setenv("COMMANDER_DRY_RUN", "true")
		b.Setenv(cleanup.PolicyVariable, metricsPolicy)
		now := time.Now().UTC().Truncate(time.Second)
		seeded := time.Now()
		running := seedMetrics(b, now)
		b.Logf("seeded moto with %d running and %d stopped instances, datapoints for %d, in %s",
			len(running), metricsStopped, metricsIdle+metricsBusy, time.Since(seeded).Round(time.Millisecond))
		probe, sink := bench.NewProbe(), &bench.AuditSink{}
		handle := cleanupJob(b, probe, sink)
		ev, _ := json.Marshal(map[string]any{"dryRun": true, "now": now.Format(time.RFC3339)})
		b.StartTimer()
		start := time.Now()
		rep, err := handle(context.Background(), ev)
		took := time.Since(start)
		b.StopTimer()
		if err != nil || rep == nil || rep.Status != report.StatusOK {
			b.Fatalf("run: %v; report %+v", err, rep)
		}
		s := probe.Snapshot()
		calls := s.Calls["CloudWatch.GetMetricData"]
		queries := s.Batched["CloudWatch.GetMetricData"]
		var q int64
		for _, v := range queries {
			q += v
		}
		bound := (int64(metricsN*metricFilters) + 499) / 500
		if calls > bound || calls == 0 {
			b.Fatalf("%d GetMetricData calls, want at most ceil(%d × %d ÷ 500) = %d", calls, metricsN, metricFilters, bound)
		}
		if q != metricsN*metricFilters || len(queries) != 1 {
			b.Fatalf("%d queries in %d windows, want %d (one per running instance and metric filter) in one", q, len(queries), metricsN*metricFilters)
		}
		if got, want := rep.Count("mark", report.Planned), metricsIdle; got != want {
			b.Fatalf("%d marks planned, want %d (the idle ones); counts %v", got, want, rep.Counts)
		}
		if got, want := rep.Count("stop", report.Skipped), metricsN-metricsIdle-metricsBusy; got != want {
			b.Fatalf("%d reported not provable, want %d; counts %v", got, want, rep.Counts)
		}
		min, lines := bench.Minimum(s, map[string]int64{"EC2.DescribeInstances": metricsN + metricsStopped})
		var total int64
		for _, l := range lines {
			total += l.Calls
			b.Logf("%-36s calls %6d  minimum %6d", l.Op, l.Calls, l.Minimum)
		}
		b.Logf("counts: %v; status %s %s; %d queries", rep.Counts, rep.Status, rep.Reason, q)
		b.ReportMetric(float64(calls), "GetMetricData-calls")
		b.ReportMetric(float64(bound), "GetMetricData-bound")
		b.ReportMetric(float64(q), "queries")
		b.ReportMetric(float64(total), "calls")
		b.ReportMetric(float64(min), "min-calls")
		b.ReportMetric(float64(took.Milliseconds()), "run-ms")
		b.StartTimer()
	}
}

// uncompressed sends PutMetricData's body as it is: the SDK gzips a body of
// 10 240 bytes or more, and moto 5.2.1's server decompresses it twice
// (BadGzipFile, an HTML 500); see shared/cleanup/metrics_test.go. Only
// the seeding calls PutMetricData, never the job.
func uncompressed(o *cloudwatch.Options) { o.DisableRequestCompression = true }

// seedMetrics runs metricsN + metricsStopped t3.micro instances in moto,
// stops the last metricsStopped, and puts 14 days of CPUUtilization and
// NetworkIn for the first metricsIdle (idle: CPU 1, 100 bytes a day) and
// the next metricsBusy (CPU 80) running ones. It answers the running ids.
func seedMetrics(b *testing.B, now time.Time) []string {
	ctx := context.Background()
	cfg, err := awsclient.Load(ctx, "us-east-1", 3)
	if err != nil {
		b.Fatal(err)
	}
	api := ec2client.New(cfg)
	var ids []string
	for len(ids) < metricsN+metricsStopped {
		out, err := api.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), InstanceType: types.InstanceTypeT3Micro,
			MinCount: aws.Int32(100), MaxCount: aws.Int32(100)})
		if err != nil {
			b.Fatal(err)
		}
		for _, in := range out.Instances {
			ids = append(ids, aws.ToString(in.InstanceId))
		}
	}
	if _, err := api.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: ids[metricsN:]}); err != nil {
		b.Fatal(err)
	}
	end := now.Truncate(24 * time.Hour) // plan.MetricWindowEnd: the run's UTC day
	var data []cwtypes.MetricDatum
	for k, id := range ids[:metricsIdle+metricsBusy] {
		cpu, netIn := 1.0, 100.0
		if k >= metricsIdle {
			cpu = 80
		}
		for d := range 14 {
			at := aws.Time(end.Add(-time.Duration(d+1)*24*time.Hour + time.Hour))
			dim := []cwtypes.Dimension{{Name: aws.String("InstanceId"), Value: aws.String(id)}}
			data = append(data,
				cwtypes.MetricDatum{MetricName: aws.String("CPUUtilization"), Value: aws.Float64(cpu), Unit: cwtypes.StandardUnitPercent, Timestamp: at, Dimensions: dim},
				cwtypes.MetricDatum{MetricName: aws.String("NetworkIn"), Value: aws.Float64(netIn), Unit: cwtypes.StandardUnitBytes, Timestamp: at, Dimensions: dim})
		}
	}
	if _, err := cloudwatchclient.New(cfg).PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/EC2"), MetricData: data}, uncompressed); err != nil {
		b.Fatal(err)
	}
	return ids[:metricsN]
}
