package inventory

import (
	"context"
	"sync"
	"time"
)

// Clock is the time that passes inside the server: it refills the token
// buckets (Options.Limits), measures the progress of pending snapshots
// (Options.Pending) and sleeps out the latency (Options.Latency). It is
// not Options.Now, which only stamps what the server creates and is often
// a fixed, simulated moment.
type Clock interface {
	Now() time.Time
	// Sleep returns after d, or sooner when ctx ends.
	Sleep(ctx context.Context, d time.Duration)
}

// RealClock is the machine's clock: Options.Clock's default.
func RealClock() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// FakeClock is a Clock that moves only when told: tests refill buckets and
// finish snapshots in microseconds, and get the same answers every run.
// Its Sleep returns at once after moving the clock on by d, so a latency
// costs simulated time, not wall time (with one caller at a time that is
// exactly the time that caller would have waited).
type FakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept time.Duration
	naps  int
}

// NewFakeClock starts a FakeClock at t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{now: t} }

// Now is the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Sleep moves the clock on by d and returns at once.
func (c *FakeClock) Sleep(_ context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.slept += d
	c.naps++
	c.mu.Unlock()
}

// Slept is the total of every Sleep so far, and how many there were.
func (c *FakeClock) Slept() (time.Duration, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.slept, c.naps
}
