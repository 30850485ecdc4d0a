package alarm

import (
	"fmt"
	"time"

	"github.com/aws-commander/commander/shared/alarm/alarmevent"
)

// Transition is one StateUpdate item of an alarm's history.
type Transition struct {
	From, To string
	At       time.Time
}

// HistoryTolerance is how far a history item's time may be from the
// event's state timestamp and still be the transition the event reports:
// CloudWatch stamps both within milliseconds of each other.
const HistoryTolerance = 2 * time.Second

// Truth is what CloudWatch's current state says about an event's claim.
type Truth int

const (
	Confirmed    Truth = iota // CloudWatch is in the state the event reports
	Contradicted              // CloudWatch has been in another state since before the event's time
	AskHistory                // CloudWatch left the state since: only its history can tell
)

// CheckState compares the state an event reports (the new state and its
// timestamp) with the alarm's current state. A contradiction comes with the
// reason for the report.
func CheckState(claim alarmevent.State, d Definition) (Truth, string) {
	if claim.Value == d.State {
		return Confirmed, ""
	}
	if !d.Since.IsZero() && claim.Timestamp.After(d.Since) {
		// The alarm has been in another state since before the claimed transition.
		return Contradicted, fmt.Sprintf("%s, before the event's time", mismatch(claim, d))
	}
	return AskHistory, ""
}

// CheckHistory looks for the event's transition in the alarm's history
// (StateUpdate items around the event's time): a transition into the
// event's state within HistoryTolerance of its timestamp confirms it.
// It returns the reason for the report when none does.
func CheckHistory(claim alarmevent.State, d Definition, history []Transition) string {
	for _, h := range history {
		if h.To == claim.Value && absDuration(h.At.Sub(claim.Timestamp)) <= HistoryTolerance {
			return ""
		}
	}
	return mismatch(claim, d) + ", and its history has no such transition"
}

func mismatch(claim alarmevent.State, d Definition) string {
	since := ""
	if !d.Since.IsZero() {
		since = " since " + stamp(d.Since)
	}
	return fmt.Sprintf("event says %s at %s; CloudWatch says %s%s", claim.Value, stamp(claim.Timestamp), d.State, since)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
