package schedule

import (
	"fmt"
	"strings"
	"time"
)

// Override is what the tag commander:schedule-override holds: "running" or
// "stopped", optionally followed by " until <RFC 3339>", e.g.
// "stopped until 2026-12-24T08:00:00Z".
type Override struct {
	State State
	Until time.Time // zero: no end
}

// ParseOverride reads the tag's value; an error names what it accepts (the
// job reports a bad override and leaves the instance alone).
func ParseOverride(v string) (Override, error) {
	bad := fmt.Errorf(`override %q is invalid: accepts "running" or "stopped", optionally followed by " until <RFC 3339 time>", e.g. "stopped until 2026-12-24T08:00:00Z"`, v)
	f := strings.Fields(v)
	if len(f) != 1 && (len(f) != 3 || f[1] != "until") {
		return Override{}, bad
	}
	o := Override{State: State(f[0])}
	if o.State != Running && o.State != Stopped {
		return Override{}, bad
	}
	if len(f) == 3 {
		until, err := time.Parse(time.RFC3339, f[2])
		if err != nil {
			return Override{}, bad
		}
		o.Until = until
	}
	return o, nil
}

// Active reports whether o holds at t (no end, or t before its end).
func (o Override) Active(t time.Time) bool {
	return o.Until.IsZero() || t.Before(o.Until)
}

func (o Override) String() string {
	if o.Until.IsZero() {
		return string(o.State)
	}
	return string(o.State) + " until " + o.Until.UTC().Format(time.RFC3339)
}

// Enforced is what the scheduler remembers on the instance in the tag
// commander:schedule-state, so it acts only when the schedule's state
// changes: the state it enforced and the transition instant that asked for
// it, formatted "running@2026-12-01T07:00:00Z" (UTC, RFC 3339 seconds).
type Enforced struct {
	State State
	Since time.Time
}

func (e Enforced) String() string {
	return string(e.State) + "@" + e.Since.UTC().Format(time.RFC3339)
}

// ParseEnforced reads the tag; false for empty or malformed (treated as
// never acted on).
func ParseEnforced(v string) (Enforced, bool) {
	state, at, ok := strings.Cut(v, "@")
	since, err := time.Parse(time.RFC3339, at)
	if !ok || err != nil || (State(state) != Running && State(state) != Stopped) {
		return Enforced{}, false
	}
	return Enforced{State(state), since}, true
}

// Decision is what the job does with one instance.
type Decision struct {
	Want   State     // None: nothing to do
	Since  time.Time // the transition (or override start) that asks for Want; what the job records in the tag
	Act    bool      // true: a start/stop call is needed (the instance is not already there)
	Reason string
}

// Decide is the pure rule the job applies per instance at t. current is the
// instance's EC2 state name; remembered is the parsed commander:schedule-state
// tag (known=false when absent or malformed); override is the parsed
// commander:schedule-override tag, or nil. In order:
//   - an active override wins; an expired one is ignored (and named in the
//     reason when nothing else is done);
//   - no opinion from the schedule: nothing;
//   - never acted on: act at once ("first seen"), even mid-period;
//   - a transition newer than the remembered one, or another state: act;
//   - otherwise only an enforcing schedule acts; others leave a manual
//     change alone.
//
// When the instance is already in (or heading to) the wanted state, Want is
// still set, with Act false, so the job records the tag without an API call.
// A terminated or shutting-down instance is left alone: it cannot be started.
func Decide(s Schedule, t time.Time, current string, remembered Enforced, known bool, override *Override) Decision {
	if current == "terminated" || current == "shutting-down" {
		return Decision{Reason: "instance is " + current + "; nothing to schedule"}
	}
	expired := ""
	if override != nil {
		if override.Active(t) {
			// The override starts when a run first sees it: keep that instant
			// while it holds, so the tag is not rewritten at every run.
			since := t.UTC().Truncate(time.Second)
			if known && remembered.State == override.State && !remembered.Since.After(t) {
				since = remembered.Since
			}
			return act(override.State, since, current, "override "+override.String())
		}
		expired = fmt.Sprintf("override %q expired at %s, ignored; ", override.String(), override.Until.UTC().Format(time.RFC3339))
	}
	want, since := s.Wanted(t)
	if want == None {
		return Decision{Reason: expired + "no period of " + s.Name + " covers now"}
	}
	why := fmt.Sprintf("%s: %s since %s %s", s.Name, want, since.Format("Mon 2 Jan 15:04"), s.Timezone)
	switch {
	case !known:
		return act(want, since, current, "first seen: "+why)
	case since.After(remembered.Since) || remembered.State != want:
		return act(want, since, current, why)
	case s.Enforce:
		return act(want, since, current, "enforce: "+why)
	}
	done := fmt.Sprintf("already enforced %s at %s; ", remembered.State, remembered.Since.UTC().Format(time.RFC3339))
	if already(want, current) {
		return Decision{Reason: expired + done + "instance " + current}
	}
	return Decision{Reason: expired + done + "instance " + current + ": not fighting a manual change"}
}

func act(want State, since time.Time, current, reason string) Decision {
	if already(want, current) {
		return Decision{Want: want, Since: since, Reason: reason + "; instance already " + current}
	}
	return Decision{Want: want, Since: since, Act: true, Reason: reason}
}

// already: the instance is in the wanted state or on its way there.
func already(want State, current string) bool {
	switch want {
	case Running:
		return current == "running" || current == "pending"
	case Stopped:
		return current == "stopped" || current == "stopping"
	}
	return false
}
