package inventory

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// PendingSnapshots keep the snapshots CreateSnapshot and CreateSnapshots
// make pending, as AWS does, instead of completing them at once: a new
// snapshot is "pending" with its progress growing evenly from 0% for
// Base plus its volume's size at GiBPerSecond, then "completed" at 100%
// (measured on Options.Clock). While a volume has snapshots in progress,
// AWS's two per-volume limits hold for its next CreateSnapshot(s):
//   - at most PerVolume in progress (PerHDDVolume for st1/sc1), else
//     ConcurrentSnapshotLimitExceeded; a snapshot deleted while in progress
//     still counts until it would have completed, as AWS documents
//     ("the snapshot must complete before the deletion takes effect");
//   - at least Interval after the last one started, else
//     SnapshotCreationPerVolumeRateExceeded ("Wait at least 15 seconds
//     between concurrent volume snapshots").
//
// AWS publishes no snapshot speed (it depends on the changed blocks, not
// the size alone): choose one for what the benchmark needs.
type PendingSnapshots struct {
	Base         time.Duration // time every snapshot takes, whatever its size
	GiBPerSecond float64       // 0: Base alone
	// PerVolume is how many snapshots of one volume may be in progress at
	// once; 0 means AWS's 5.
	PerVolume int
	// PerHDDVolume is the same for st1 and sc1 volumes (Spec.HDDVolumes);
	// 0 means AWS's 1.
	PerHDDVolume int
	// Interval is the least time between two snapshots of one volume while
	// the earlier is in progress; 0 means AWS's 15 s, a negative value turns
	// the check off.
	Interval time.Duration
	// FailEvery makes every FailEvery-th snapshot created of each volume
	// (counted per volume from the server's start: 2 fails the 2nd, 4th,
	// ...) end in state "error" instead of "completed" once its time has
	// passed, with a statusMessage, as AWS does when a snapshot cannot be
	// completed. It counts toward the volume's limits while pending, not
	// after. 0: none fails.
	FailEvery int
}

// failMessage is the statusMessage of a snapshot FailEvery failed.
const failMessage = "The snapshot could not be completed (inventory: PendingSnapshots.FailEvery)"

// TypicalPending is a plausible snapshot pace for benchmarks that want
// one. AWS publishes none (a first snapshot copies every written block, a
// later one only the changed ones): chosen, not measured — 30 s plus
// 0.25 GiB a second (an 8 GiB volume's snapshot ≈ 1 min, 64 GiB ≈ 5 min),
// with AWS's limits on snapshots in progress.
func TypicalPending() *PendingSnapshots {
	return &PendingSnapshots{Base: 30 * time.Second, GiBPerSecond: 0.25}
}

// AWS's limits on snapshots in progress: "a limit of five pending
// snapshots for a single gp2, io1, or Magnetic volume, and one pending
// snapshot for a single st1 or sc1 volume" (EC2 user guide; the EBS quotas
// give 5 for gp3 and io2 too), ConcurrentSnapshotLimitExceeded past it;
// SnapshotCreationPerVolumeRateExceeded: "The rate limit for creating
// concurrent snapshots of an EBS volume has been exceeded. Wait at least 15
// seconds between concurrent volume snapshots" (EC2 error codes).
const (
	awsPendingPerVolume    = 5
	awsPendingPerHDDVolume = 1
	awsSnapshotInterval    = 15 * time.Second
)

func (p *PendingSnapshots) validate() error {
	switch {
	case p.Base < 0:
		return fmt.Errorf("inventory: Pending.Base=%s is invalid: accepts a duration of 0 or more", p.Base)
	case !(p.GiBPerSecond >= 0) || math.IsInf(p.GiBPerSecond, 0):
		return fmt.Errorf("inventory: Pending.GiBPerSecond=%v is invalid: accepts a finite rate of 0 or more", p.GiBPerSecond)
	case p.Base == 0 && p.GiBPerSecond == 0:
		return fmt.Errorf("inventory: Pending has neither Base nor GiBPerSecond: accepts a duration or a rate (leave Pending nil for snapshots that complete at once)")
	case p.FailEvery < 0:
		return fmt.Errorf("inventory: Pending.FailEvery=%d is invalid: accepts 0 (none fails) or more", p.FailEvery)
	case p.PerVolume < 0 || p.PerHDDVolume < 0:
		return fmt.Errorf("inventory: Pending.PerVolume=%d, PerHDDVolume=%d are invalid: accept 0 (AWS's limit) or more", p.PerVolume, p.PerHDDVolume)
	}
	return nil
}

// duration is how long a snapshot of size GiB stays pending.
func (p *PendingSnapshots) duration(size int32) time.Duration {
	d := p.Base
	if p.GiBPerSecond > 0 {
		d += time.Duration(float64(size) / p.GiBPerSecond * float64(time.Second))
	}
	return max(d, time.Nanosecond)
}

func (p *PendingSnapshots) limit(hdd bool) int {
	if hdd {
		if p.PerHDDVolume > 0 {
			return p.PerHDDVolume
		}
		return awsPendingPerHDDVolume
	}
	if p.PerVolume > 0 {
		return p.PerVolume
	}
	return awsPendingPerVolume
}

// inProgress is a pending snapshot's timing (ec2Store.pending).
type inProgress struct {
	volume  int32
	started time.Time // on Options.Clock
	dur     time.Duration
	fail    bool // ends in error (FailEvery)
}

// end is the state a snapshot in progress reaches when its time is up.
func (p inProgress) end() uint8 {
	if p.fail {
		return snapError
	}
	return snapCompleted
}

// snapState is snapshot i's state and progress (0–100) at now (the
// server's Clock): a pending one completes once its time has passed.
func (st *ec2Store) snapState(i int, now time.Time) (uint8, int) {
	sn := &st.snapshots[i]
	switch sn.state {
	case snapError:
		return snapError, 0
	case snapPending:
	default:
		return sn.state, 100
	}
	p, ok := st.pending[int32(i)]
	if !ok {
		return snapCompleted, 100
	}
	el := now.Sub(p.started)
	if el >= p.dur {
		if p.fail {
			return snapError, 0 // AWS gives a failed snapshot's progress no meaning; 0 here
		}
		return snapCompleted, 100
	}
	return snapPending, int(100 * el / p.dur)
}

// settle stores as completed (or failed) what has ended by now; under
// st.mu held for writing.
func (st *ec2Store) settle(now time.Time) {
	for i, p := range st.pending {
		if now.Sub(p.started) >= p.dur {
			if st.snapshots[i].state == snapPending {
				st.snapshots[i].state = p.end()
			}
			delete(st.pending, i)
		}
	}
}

// pendingOf counts the snapshots of volume v still in progress (after
// settle), deleted ones included, and when the last of them started.
func (st *ec2Store) pendingOf(v int) (n int, last time.Time) {
	for _, p := range st.pending {
		if p.volume == int32(v) {
			n++
			if p.started.After(last) {
				last = p.started
			}
		}
	}
	return n, last
}

func (p *PendingSnapshots) interval() time.Duration {
	if p.Interval == 0 {
		return awsSnapshotInterval
	}
	return p.Interval
}

// admitSnapshots refuses a create call that one of vols' limits forbids
// (see PendingSnapshots), with EC2's codes (HTTP 400). The whole call is
// refused before any snapshot is made (for CreateSnapshots AWS does not
// say; this is the stricter reading).
func (c *ec2Call) admitSnapshots(vols []int) error {
	p := c.s.opts.Pending
	if p == nil {
		return nil
	}
	c.st.settle(c.clock)
	for _, v := range vols {
		n, last := c.st.pendingOf(v)
		if n == 0 {
			continue
		}
		if n >= p.limit(c.st.volumes[v].hdd) {
			// The message EC2 sends with it.
			return &apiError{code: "ConcurrentSnapshotLimitExceeded", status: http.StatusBadRequest,
				msg: "Maximum allowed in-progress snapshots for a single volume exceeded."}
		}
		if d := p.interval(); d > 0 && c.clock.Sub(last) < d {
			return &apiError{code: "SnapshotCreationPerVolumeRateExceeded", status: http.StatusBadRequest,
				msg: fmt.Sprintf("The maximum per volume CreateSnapshot request rate has been exceeded for %s. Wait at least %s between concurrent volume snapshots.", formatID("vol", v), d)}
		}
	}
	return nil
}

// startPending marks new snapshot i pending (when Options.Pending is set).
func (c *ec2Call) startPending(i int) {
	p := c.s.opts.Pending
	if p == nil {
		return
	}
	sn := &c.st.snapshots[i]
	sn.state = snapPending
	c.st.made[sn.volume]++
	fail := p.FailEvery > 0 && c.st.made[sn.volume]%p.FailEvery == 0
	c.st.pending[int32(i)] = inProgress{volume: sn.volume, started: c.clock, dur: p.duration(sn.size), fail: fail}
}

func progressText(p int) string { return strconv.Itoa(p) + "%" }
