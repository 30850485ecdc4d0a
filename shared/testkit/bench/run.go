package bench

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
)

// Now is the simulated moment every benchmark estate is seen from.
var Now = time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)

// Estate is the synthetic account of size n: n snapshots, a tenth as many
// volumes, a fortieth as many instances (two volumes each while volumes
// last, so half the volumes are attached), an image per 2 000 snapshots,
// an Elastic IP per 200 snapshots and ten buckets — roughly the shape of
// an account that keeps ten snapshots per volume.
func Estate(n int, maxAge time.Duration) inventory.Spec {
	return inventory.Spec{
		Snapshots: n, Volumes: n / 10, Instances: n / 40, Images: max(1, n/2000),
		Addresses: n / 200, Buckets: 10, Now: Now, MaxAge: maxAge,
	}
}

// Caps are the resources of each listed type in the estate: no listing
// needs to return more (see Minimum).
func Caps(sp inventory.Spec) map[string]int64 {
	return map[string]int64{
		"EC2.DescribeSnapshots": int64(sp.Snapshots),
		"EC2.DescribeVolumes":   int64(sp.Volumes + sp.Scheduled),
		"EC2.DescribeInstances": int64(sp.Instances + sp.Scheduled),
		"EC2.DescribeImages":    int64(sp.Images),
		"EC2.DescribeAddresses": int64(sp.Addresses),
		"S3.ListBuckets":        int64(sp.Buckets),
		"S3.ListObjectsV2":      int64(sp.Buckets * sp.Objects),
	}
}

// AuditSink stands in for EventBridge, which the inventory server does not
// serve: it accepts every audit event and counts them.
type AuditSink struct{ Events atomic.Int64 }

// PutEvents accepts the entries.
func (a *AuditSink) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	a.Events.Add(int64(len(in.Entries)))
	return &eventbridge.PutEventsOutput{}, nil
}

// RealAccount is the inventory server's options for a benchmark that runs
// at an account's pace rather than at loopback speed: AWS's documented EC2
// token buckets (inventory.AWSLimits), a plausible in-region latency drawn
// from seed (inventory.TypicalLatency) and snapshots that stay pending
// (inventory.TypicalPending), on the real clock; now stamps what the
// server creates. Opt in per benchmark: inventory.Start(bench.RealAccount(bench.Now, 1)).
// The default inventory.Options{} keeps all of it off.
func RealAccount(now time.Time, seed uint64) inventory.Options {
	return inventory.Options{
		Now:     func() time.Time { return now },
		Limits:  inventory.AWSLimits(),
		Latency: inventory.TypicalLatency(seed),
		Pending: inventory.TypicalPending(),
	}
}
