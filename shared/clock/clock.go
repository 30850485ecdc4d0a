// Package clock makes "now" injectable, so age-based decisions can be
// tested, and demonstrated, with a simulated time.
package clock

import (
	"errors"
	"fmt"
	"time"
)

// Clock tells the time.
type Clock interface{ Now() time.Time }

// Real is the system clock, in UTC.
type Real struct{}

func (Real) Now() time.Time { return time.Now().UTC() }

// Fixed always answers the same instant.
type Fixed time.Time

func (f Fixed) Now() time.Time { return time.Time(f).UTC() }

// ErrSimulatedTimeRefused is returned for an event that asks for a simulated
// now where it is not allowed: in production a forged "now" could age every
// resource past its grace period.
var ErrSimulatedTimeRefused = errors.New(`the event sets a simulated "now", which is refused unless COMMANDER_ALLOW_SIMULATED_TIME=true`)

// Resolve returns the clock for one event: the simulated now it carries
// (RFC 3339, empty for none) when allowed, otherwise real.
func Resolve(simulated string, allow bool, real Clock) (Clock, error) {
	if simulated == "" {
		return real, nil
	}
	if !allow {
		return nil, ErrSimulatedTimeRefused
	}
	t, err := time.Parse(time.RFC3339Nano, simulated)
	if err != nil {
		return nil, fmt.Errorf(`field "now" = %q: accepts an RFC 3339 time such as 2026-01-31T09:00:00Z`, simulated)
	}
	return Fixed(t), nil
}
