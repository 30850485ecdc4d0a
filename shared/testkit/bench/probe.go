// Package bench measures the backup and cleanup jobs at scale: it runs them
// in process against the inventory server and reports API calls, the
// minimum the APIs allow, time per listed resource and heap. The benchmarks
// are in bench_test.go; this file holds the measuring parts they share.
package bench

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
)

// Probe records, per operation, the logical calls a job makes (retries not
// included), the items listing calls return, and the ids batchable calls
// carry per distinct tag set. It is an SDK middleware added to the job's
// aws.Config, so the job itself is unchanged.
type Probe struct {
	mu      sync.Mutex
	calls   map[string]int64            // "EC2.DescribeSnapshots" -> logical calls
	items   map[string]int64            // listing op -> items returned
	batched map[string]map[string]int64 // batchable op -> signature -> ids
	acted   map[string]map[string]int   // changing op -> id -> successful calls naming it
}

// NewProbe returns an empty Probe.
func NewProbe() *Probe {
	p := &Probe{}
	p.Reset()
	return p
}

// Reset forgets everything recorded.
func (p *Probe) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls, p.items, p.batched, p.acted = map[string]int64{}, map[string]int64{}, map[string]map[string]int64{}, map[string]map[string]int{}
}

// Middleware is the APIOptions entry to append to the job's aws.Config.
func (p *Probe) Middleware(stack *middleware.Stack) error {
	// Initialize is the outermost step: it sees each logical call once
	// (retries happen inside) and the decoded result.
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("benchProbeCall",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			op := opName(ctx)
			sig, ids := batch(in.Parameters)
			p.mu.Lock()
			p.calls[op]++
			if ids > 0 {
				if p.batched[op] == nil {
					p.batched[op] = map[string]int64{}
				}
				p.batched[op][sig] += int64(ids)
			}
			p.mu.Unlock()
			out, md, err := next.HandleInitialize(ctx, in)
			if err == nil {
				p.mu.Lock()
				if n, ok := listed(out.Result); ok {
					p.items[op] += int64(n)
				}
				for _, id := range actedOn(in.Parameters) {
					if p.acted[op] == nil {
						p.acted[op] = map[string]int{}
					}
					p.acted[op][id]++
				}
				p.mu.Unlock()
			}
			return out, md, err
		}), middleware.After)
}

func opName(ctx context.Context) string {
	return awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
}

// listed is how many resources one listing answer carries.
func listed(result any) (int, bool) {
	switch o := result.(type) {
	case *ec2.DescribeSnapshotsOutput:
		return len(o.Snapshots), true
	case *ec2.DescribeVolumesOutput:
		return len(o.Volumes), true
	case *ec2.DescribeInstancesOutput:
		n := 0
		for _, r := range o.Reservations {
			n += len(r.Instances)
		}
		return n, true
	case *ec2.DescribeImagesOutput:
		return len(o.Images), true
	case *ec2.DescribeAddressesOutput:
		return len(o.Addresses), true
	case *s3.ListBucketsOutput:
		return len(o.Buckets), true
	case *s3.ListObjectsV2Output:
		return len(o.Contents), true
	}
	return 0, false
}

// actedOn are the resources a call that creates, stops or deletes acts
// on: the same one twice in a run, both answered, is a duplicated action.
// (Tags are not counted: a mark is legitimately written again.)
func actedOn(params any) []string {
	switch in := params.(type) {
	case *ec2.CreateSnapshotInput:
		return []string{deref(in.VolumeId)}
	case *ec2.CreateSnapshotsInput:
		if in.InstanceSpecification != nil {
			return []string{deref(in.InstanceSpecification.InstanceId)}
		}
	case *ec2.CopySnapshotInput:
		return []string{deref(in.SourceSnapshotId)}
	case *ec2.DeleteSnapshotInput:
		return []string{deref(in.SnapshotId)}
	case *ec2.DeleteVolumeInput:
		return []string{deref(in.VolumeId)}
	case *ec2.ReleaseAddressInput:
		return []string{deref(in.AllocationId)}
	case *ec2.TerminateInstancesInput:
		return in.InstanceIds
	case *ec2.StopInstancesInput:
		return in.InstanceIds
	}
	return nil
}

// batch returns, for a batchable call, the signature of what it does to its
// ids (calls with the same signature could share a batch) and the id count.
func batch(params any) (string, int) {
	switch in := params.(type) {
	case *ec2.CreateTagsInput:
		var kv []string
		for _, t := range in.Tags {
			kv = append(kv, deref(t.Key)+"="+deref(t.Value))
		}
		slices.Sort(kv)
		return strings.Join(kv, ","), len(in.Resources)
	case *ec2.DeleteTagsInput:
		var kv []string
		for _, t := range in.Tags {
			kv = append(kv, deref(t.Key)+"="+deref(t.Value))
		}
		slices.Sort(kv)
		return strings.Join(kv, ","), len(in.Resources)
	case *ec2.TerminateInstancesInput:
		return "", len(in.InstanceIds)
	case *ec2.StopInstancesInput:
		return "", len(in.InstanceIds)
	case *ec2.StartInstancesInput:
		return "", len(in.InstanceIds)
	case *cloudwatch.GetMetricDataInput:
		// Queries of one window could share a call; a page after the first
		// (NextToken) carries the same queries again, so it adds none.
		if in.NextToken != nil {
			return "", 0
		}
		return stamp(in.StartTime) + "/" + stamp(in.EndTime), len(in.MetricDataQueries)
	case *s3.DeleteObjectsInput:
		if in.Delete != nil {
			return deref(in.Bucket), len(in.Delete.Objects)
		}
	}
	return "", 0
}

func stamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Snapshot is what the probe recorded, copied.
type Snapshot struct {
	Calls   map[string]int64
	Items   map[string]int64
	Batched map[string]map[string]int64
	// Repeated counts, per op, the answered calls that acted again on a
	// resource an earlier answered call of the same op had acted on.
	Repeated map[string]int64
}

// IDs are the ids op's calls carried, over every tag set.
func (s Snapshot) IDs(op string) int64 {
	var n int64
	for _, v := range s.Batched[op] {
		n += v
	}
	return n
}

// Snapshot copies the records.
func (p *Probe) Snapshot() Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Snapshot{Calls: map[string]int64{}, Items: map[string]int64{}, Batched: map[string]map[string]int64{}, Repeated: map[string]int64{}}
	for op, ids := range p.acted {
		for _, n := range ids {
			if n > 1 {
				s.Repeated[op] += int64(n - 1)
			}
		}
	}
	for k, v := range p.calls {
		s.Calls[k] = v
	}
	for k, v := range p.items {
		s.Items[k] = v
	}
	for k, m := range p.batched {
		s.Batched[k] = map[string]int64{}
		for sig, v := range m {
			s.Batched[k][sig] = v
		}
	}
	return s
}

// HeapPeak samples runtime.MemStats.HeapInuse every interval until Stop,
// keeping the peak. ReadMemStats stops the world briefly; at 20 ms the
// sampling costs well under 1 % of a run.
type HeapPeak struct {
	stop chan struct{}
	done chan uint64
}

// StartHeapPeak starts sampling. With profile set, it also writes a heap
// profile there each time the peak grows by a quarter, so the file ends up
// describing (to the last GC) what was live near the peak.
func StartHeapPeak(interval time.Duration, profile string) *HeapPeak {
	h := &HeapPeak{stop: make(chan struct{}), done: make(chan uint64, 1)}
	go func() {
		var peak, written uint64
		var m runtime.MemStats
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			if profile != "" && peak > written+written/4 {
				written = peak
				writeHeapProfile(profile)
			}
			select {
			case <-h.stop:
				h.done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		return // a measuring aid: the benchmark's figures do not depend on it
	}
	defer f.Close()
	_ = pprof.WriteHeapProfile(f)
}

// Stop ends sampling and returns the peak HeapInuse in bytes.
func (h *HeapPeak) Stop() uint64 {
	close(h.stop)
	return <-h.done
}
