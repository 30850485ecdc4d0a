package inventory

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// Dist is a latency distribution. Its terms add up: Base, plus a uniform
// jitter in [0, Jitter), plus (when Median > 0) a lognormal draw with that
// median and 99th percentile, plus PerItem for every item the call lists
// or names. The zero Dist is no delay. Fixed, Uniform and LogNormal build
// the common shapes.
type Dist struct {
	Base   time.Duration
	Jitter time.Duration
	// Median and P99 of the lognormal term; P99 ≥ Median (equal: no spread).
	Median, P99 time.Duration
	// PerItem is added per resource an EC2 Describe answers or a batch call
	// names (CreateTags' resources, TerminateInstances' instances, the
	// snapshots CreateSnapshots makes). S3 calls take no per-item term.
	PerItem time.Duration
}

// Fixed is always d.
func Fixed(d time.Duration) Dist { return Dist{Base: d} }

// Uniform is base plus a uniform jitter in [0, jitter).
func Uniform(base, jitter time.Duration) Dist { return Dist{Base: base, Jitter: jitter} }

// LogNormal has the given median and 99th percentile: the long right tail
// of a service's answer times.
func LogNormal(median, p99 time.Duration) Dist { return Dist{Median: median, P99: p99} }

// z99 is the standard normal's 99th percentile: P99 = Median·e^(σ·z99).
const z99 = 2.3263478740408408

// Sample draws one delay (without the PerItem term) from r.
func (d Dist) Sample(r *rand.Rand) time.Duration {
	v := d.Base
	if d.Jitter > 0 {
		v += time.Duration(r.Int64N(int64(d.Jitter)))
	}
	if d.Median > 0 {
		sigma := math.Log(float64(d.P99)/float64(d.Median)) / z99
		v += time.Duration(float64(d.Median) * math.Exp(sigma*r.NormFloat64()))
	}
	return v
}

// Mean is the mean of one sample, without PerItem: Base, half the Jitter
// and the lognormal term's Median·e^(σ²/2).
func (d Dist) Mean() time.Duration {
	m := float64(d.Base) + float64(d.Jitter)/2
	if d.Median > 0 {
		sigma := math.Log(float64(d.P99)/float64(d.Median)) / z99
		m += float64(d.Median) * math.Exp(sigma*sigma/2)
	}
	return time.Duration(m)
}

func (d Dist) validate(name string) error {
	switch {
	case d.Base < 0 || d.Jitter < 0 || d.Median < 0 || d.P99 < 0 || d.PerItem < 0:
		return fmt.Errorf("inventory: Latency.%s=%+v is invalid: accepts durations of 0 or more", name, d)
	case d.Median == 0 && d.P99 != 0:
		return fmt.Errorf("inventory: Latency.%s.P99=%s is invalid: a lognormal term needs its Median too", name, d.P99)
	case d.Median > 0 && d.P99 < d.Median:
		return fmt.Errorf("inventory: Latency.%s.P99=%s is invalid: accepts a value of at least Median (%s)", name, d.P99, d.Median)
	}
	return nil
}

// Latency delays the server's answers by the kind of call, as a real
// region does (the server itself answers in microseconds). The delay is
// slept on Options.Clock after the call is handled and before it is
// answered, errors and throttled calls included; concurrent calls wait
// concurrently.
type Latency struct {
	// Describe: a page of a listing or a read (EC2 Describe*; S3 List*,
	// Get*, HeadBucket).
	Describe Dist
	// Mutation: a call that changes one resource (CreateSnapshot,
	// DeleteSnapshot, DeleteVolume, ReleaseAddress; S3 Put*/Delete* of a
	// bucket's configuration).
	Mutation Dist
	// Batch: a call that names many resources (CreateTags, DeleteTags,
	// CreateSnapshots, TerminateInstances, StopInstances, StartInstances;
	// S3 DeleteObjects).
	Batch Dist
	// Seed seeds the one random source every draw comes from: the same seed
	// gives the same sequence of delays (in the order the calls arrive).
	Seed uint64
}

// TypicalLatency is a plausible in-region latency for benchmarks that want
// one. AWS publishes no latency figures: these are chosen, not measured —
// Describe pages lognormal, median 80 ms, p99 400 ms, plus 0.5 ms per item
// listed (a page of 1 000 snapshots ≈ 0.6 s); single mutations median
// 120 ms, p99 600 ms; batch calls median 150 ms, p99 800 ms, plus 1 ms per
// resource named.
func TypicalLatency(seed uint64) *Latency {
	return &Latency{
		Describe: Dist{Median: 80 * time.Millisecond, P99: 400 * time.Millisecond, PerItem: 500 * time.Microsecond},
		Mutation: LogNormal(120*time.Millisecond, 600*time.Millisecond),
		Batch:    Dist{Median: 150 * time.Millisecond, P99: 800 * time.Millisecond, PerItem: time.Millisecond},
		Seed:     seed,
	}
}

func (l *Latency) validate() error {
	for _, d := range []struct {
		name string
		d    Dist
	}{{"Describe", l.Describe}, {"Mutation", l.Mutation}, {"Batch", l.Batch}} {
		if err := d.d.validate(d.name); err != nil {
			return err
		}
	}
	return nil
}

// callKind sorts calls for Latency.
type callKind uint8

const (
	kindNone callKind = iota
	kindDescribe
	kindMutation
	kindBatch
)

// ec2Kind is an EC2 action's kind (the served actions only).
func ec2Kind(action string) callKind {
	switch action {
	case "CreateTags", "DeleteTags", "CreateSnapshots", "TerminateInstances", "StopInstances", "StartInstances":
		return kindBatch
	case "CreateSnapshot", "DeleteSnapshot", "DeleteVolume", "ReleaseAddress":
		return kindMutation
	}
	if strings.HasPrefix(action, "Describe") {
		return kindDescribe
	}
	return kindNone
}

// s3Kind is an S3 operation's kind (as s3Operation names it).
func s3Kind(op string) callKind {
	switch {
	case op == "DeleteObjects":
		return kindBatch
	case strings.HasPrefix(op, "List"), strings.HasPrefix(op, "Get"), op == "HeadBucket":
		return kindDescribe
	case strings.HasPrefix(op, "Put"), strings.HasPrefix(op, "Delete"):
		return kindMutation
	}
	return kindNone
}

// delayer draws delays from one seeded source.
type delayer struct {
	lat *Latency
	mu  sync.Mutex
	rng *rand.Rand
}

func newDelayer(l *Latency) *delayer {
	return &delayer{lat: l, rng: rand.New(rand.NewPCG(l.Seed, l.Seed^0x9E3779B97F4A7C15))}
}

// delay is the wait for one call of kind that listed or named items.
func (d *delayer) delay(kind callKind, items int) time.Duration {
	var dist Dist
	switch kind {
	case kindDescribe:
		dist = d.lat.Describe
	case kindMutation:
		dist = d.lat.Mutation
	case kindBatch:
		dist = d.lat.Batch
	default:
		return 0
	}
	d.mu.Lock()
	v := dist.Sample(d.rng)
	d.mu.Unlock()
	return v + time.Duration(items)*dist.PerItem
}
