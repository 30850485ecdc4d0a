package guard

import (
	"fmt"
	"time"
)

// Memory is what a resource remembers (in a tag, not a database) of the
// last action taken on it: for what (an alarm), when, and for which event.
type Memory struct {
	Key     string
	At      time.Time
	EventID string
}

// Again says why an action for key, caused by eventID, must not run now
// ("" when it may): the same event was handled already (at-least-once
// delivery), or the same key acted within cooldown.
func Again(last Memory, key, eventID string, now time.Time, cooldown time.Duration) string {
	switch {
	case last.At.IsZero():
		return ""
	case last.EventID == eventID:
		return fmt.Sprintf("duplicate: event %s was handled at %s", eventID, last.At.Format(time.RFC3339))
	case last.Key == key && now.Sub(last.At) < cooldown:
		return fmt.Sprintf("cooldown: reacted to this alarm at %s, within %s (COMMANDER_ALARM_COOLDOWN)", last.At.Format(time.RFC3339), cooldown)
	}
	return ""
}
