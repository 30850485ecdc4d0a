package inventory_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestLatencyDistributions: the shapes keep to their bounds, a lognormal
// has the median and 99th percentile it was given, and the same seed draws
// the same delays.
func TestLatencyDistributions(t *testing.T) {
	const n = 20_000
	draw := func(d inventory.Dist, seed uint64) []time.Duration {
		r := rand.New(rand.NewPCG(seed, 1))
		out := make([]time.Duration, n)
		for i := range out {
			out[i] = d.Sample(r)
		}
		return out
	}
	quantile := func(s []time.Duration, q float64) time.Duration {
		s = slices.Clone(s)
		slices.Sort(s)
		return s[int(q*float64(len(s)-1))]
	}
	within := func(got, want time.Duration, tol float64) bool {
		return float64(got) >= float64(want)*(1-tol) && float64(got) <= float64(want)*(1+tol)
	}
	ms := time.Millisecond
	tests := []struct {
		name     string
		d        inventory.Dist
		min, max time.Duration // every draw in [min, max)
		median   time.Duration // when set, within 5 %
		p99      time.Duration // when set, within 10 %
	}{
		{"zero", inventory.Dist{}, 0, 1, 0, 0},
		{"fixed", inventory.Fixed(40 * ms), 40 * ms, 40*ms + 1, 40 * ms, 40 * ms},
		{"uniform", inventory.Uniform(20*ms, 10*ms), 20 * ms, 30 * ms, 25 * ms, 0},
		{"lognormal", inventory.LogNormal(100*ms, 500*ms), 1, time.Hour, 100 * ms, 500 * ms},
		{"lognormal without spread", inventory.LogNormal(70*ms, 70*ms), 70*ms - 1, 70*ms + 1, 70 * ms, 70 * ms},
		{"base plus lognormal", inventory.Dist{Base: 50 * ms, Median: 10 * ms, P99: 30 * ms}, 50 * ms, time.Hour, 60 * ms, 80 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := draw(tt.d, 7)
			lo, hi := slices.Min(s), slices.Max(s)
			if lo < tt.min || hi >= tt.max {
				t.Errorf("draws in [%s, %s], want within [%s, %s)", lo, hi, tt.min, tt.max)
			}
			if tt.median > 0 {
				if m := quantile(s, 0.5); !within(m, tt.median, 0.05) {
					t.Errorf("median %s, want %s ± 5%%", m, tt.median)
				}
			}
			if tt.p99 > 0 {
				if p := quantile(s, 0.99); !within(p, tt.p99, 0.10) {
					t.Errorf("p99 %s, want %s ± 10%%", p, tt.p99)
				}
			}
			if again := draw(tt.d, 7); !slices.Equal(s, again) {
				t.Errorf("the same seed drew other delays")
			}
		})
	}
	if a, b := draw(inventory.LogNormal(ms, 5*ms), 1), draw(inventory.LogNormal(ms, 5*ms), 2); slices.Equal(a, b) {
		t.Errorf("two seeds drew the same delays")
	}
}

// TestLatencyPerCallKind: the server waits, on its clock, the delay of each
// call's kind plus PerItem per resource listed or named.
func TestLatencyPerCallKind(t *testing.T) {
	clock := inventory.NewFakeClock(now)
	ms := time.Millisecond
	lat := &inventory.Latency{
		Describe: inventory.Dist{Base: 50 * ms, PerItem: ms},
		Mutation: inventory.Fixed(20 * ms),
		Batch:    inventory.Dist{Base: 100 * ms, PerItem: 2 * ms},
	}
	_, c, s3c, ctx, _ := startWith(t, inventory.Options{Clock: clock, Latency: lat}, inventory.Spec{Snapshots: 30, Volumes: 3, Buckets: 1})
	var snaps []string
	steps := []struct {
		name string
		call func() error
		want time.Duration
	}{
		{"a Describe page of 5", func() error {
			out, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(5)})
			for _, s := range out.Snapshots {
				snaps = append(snaps, aws.ToString(s.SnapshotId))
			}
			return err
		}, 55 * ms},
		{"CreateTags on 3", func() error {
			_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: snaps[:3], Tags: []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}, 106 * ms},
		{"a single deletion", func() error {
			_, err := c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(snaps[4])})
			return err
		}, 20 * ms},
		{"an error answer is delayed too", func() error {
			_, err := c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(snaps[4])})
			if code(err) != "InvalidSnapshot.NotFound" {
				t.Errorf("second delete: %v", err)
			}
			return nil
		}, 20 * ms},
		{"an S3 listing", func() error {
			_, err := s3c.ListBuckets(ctx, &s3.ListBucketsInput{})
			return err
		}, 50 * ms},
		{"an S3 object listing", func() error {
			_, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bench-bucket-0000")})
			return err
		}, 50 * ms},
		{"an S3 batch (no per-item term)", func() error {
			_, err := s3c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("bench-bucket-0000"),
				Delete: &s3types.Delete{Objects: []s3types.ObjectIdentifier{{Key: aws.String("obj/00000000")}, {Key: aws.String("obj/00000001")}}}})
			return err
		}, 100 * ms},
		{"an S3 configuration change", func() error {
			_, err := s3c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: aws.String("bench-bucket-0000")})
			return err
		}, 20 * ms},
	}
	for _, st := range steps {
		before, _ := clock.Slept()
		if err := st.call(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got, _ := clock.Slept(); got-before != st.want {
			t.Errorf("%s: waited %s, want %s", st.name, got-before, st.want)
		}
	}
}

// TestLatencyOnTheRealClock: with the default clock the answer really comes
// that much later.
func TestLatencyOnTheRealClock(t *testing.T) {
	_, c, _, ctx, _ := startWith(t, inventory.Options{Latency: &inventory.Latency{Describe: inventory.Fixed(30 * time.Millisecond)}}, inventory.Spec{Volumes: 2})
	begin := time.Now()
	if _, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begin); took < 30*time.Millisecond {
		t.Errorf("answered in %s, want at least 30ms", took)
	}
}

func TestLatencyValidation(t *testing.T) {
	tests := []struct {
		name string
		lat  inventory.Latency
		want string
	}{
		{"p99 below the median", inventory.Latency{Batch: inventory.LogNormal(time.Second, time.Millisecond)}, "Latency.Batch.P99=1ms is invalid"},
		{"p99 without a median", inventory.Latency{Describe: inventory.Dist{P99: time.Second}}, "Latency.Describe.P99=1s is invalid"},
		{"negative", inventory.Latency{Mutation: inventory.Fixed(-time.Second)}, "Latency.Mutation="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inventory.Start(inventory.Options{Latency: &tt.lat})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	srv, err := inventory.Start(inventory.Options{Latency: inventory.TypicalLatency(1)})
	if err != nil {
		t.Fatalf("TypicalLatency refused: %v", err)
	}
	_ = srv.Stop()
}
