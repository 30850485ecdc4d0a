// Package schedule reads the office-hours schedules document
// (COMMANDER_SCHEDULES) and says what state a schedule wants an instance in
// at a given time, and what the scheduler job should do about it (Decide).
//
// Semantics:
//   - Times are wall-clock times in the schedule's IANA timezone. Each period,
//     on each of its days, makes a start transition (wants running) at start
//     and a stop transition (wants stopped) at stop. When stop < start the
//     period crosses midnight: the stop is on the next day (days name the day
//     the period starts).
//   - A period with start and stop wants running inside [start, stop) and
//     stopped outside: the state of its latest transition (looked for up to
//     about 8 days back).
//   - A period with only stop (a "stop at night" safety net) wants stopped
//     from stop until the end of that local day and has no opinion otherwise;
//     a period with only start wants running from start until midnight. A
//     schedule of such periods alone has no opinion (None) most of the day.
//   - Periods are combined: running wins over stopped (a stop never cuts into
//     another period's running time), stopped wins over no opinion.
//   - Wanted also says since when: the instant of the latest transition that
//     agrees with the combined state, or the instant the combined state last
//     changed (e.g. midnight, when a start-only period ends and an earlier
//     stop takes over). A new start or stop transition renews it even when
//     the state stays the same, so the job re-applies it once (a Saturday
//     20:00 safety stop catches an instance started by hand that morning).
//     Next reports each instant that answer changes, including to None.
//   - DST: a wall time that does not exist that day (spring forward) happens
//     at the first instant after the gap; one that occurs twice (fall back)
//     at its first occurrence. time.Date alone gives neither (see wallClock).
package schedule

import (
	"slices"
	"time"
	_ "time/tzdata" // Lambda's runtime has no zoneinfo
)

// State is what a schedule wants of an instance.
type State string

const (
	Running State = "running"
	Stopped State = "stopped"
	None    State = "" // the schedule has no opinion now
)

// Document is a parsed, valid schedules document.
type Document struct{ Schedules []Schedule }

// Schedule is one named schedule; instances follow it through the tag
// commander:schedule=<Name>.
type Schedule struct {
	Name     string
	Timezone string
	Enforce  bool // re-apply the wanted state at every run, even over a manual change
	Periods  []Period
	loc      *time.Location
}

// Period is a start and/or a stop on some days of the week.
type Period struct {
	Days  []time.Weekday
	Start string // "HH:MM" or ""
	Stop  string // "HH:MM" or ""
}

// Find returns the schedule named name.
func (d Document) Find(name string) (Schedule, bool) {
	for _, s := range d.Schedules {
		if s.Name == name {
			return s, true
		}
	}
	return Schedule{}, false
}

// Names lists the schedules' names in document order.
func (d Document) Names() []string {
	names := make([]string, len(d.Schedules))
	for i, s := range d.Schedules {
		names[i] = s.Name
	}
	return names
}

// horizon bounds the search for transitions either side of t: every period
// with start and stop has one at least weekly (plus a DST hour).
const horizon = 8 * 24 * time.Hour

// Wanted is the state s wants at t, and since when it has wanted it (the
// instant of the transition that decided it; zero when None).
func (s Schedule) Wanted(t time.Time) (State, time.Time) {
	st, since := None, time.Time{}
	for _, c := range s.changes(t) {
		if c.at.After(t) {
			break
		}
		st, since = c.state, c.at
	}
	if st == None {
		return None, time.Time{}
	}
	return st, since
}

// Next is the first instant strictly after t at which what Wanted returns
// changes, and the state wanted from then (None: the schedule stops having
// an opinion then, e.g. at the midnight that ends a stop-only period); zero
// time when nothing changes within 8 days.
func (s Schedule) Next(t time.Time) (State, time.Time) {
	for _, c := range s.changes(t) {
		if c.at.After(t) && !c.at.After(t.Add(horizon)) {
			return c.state, c.at
		}
	}
	return None, time.Time{}
}

// event is one period's own state changing: a start or stop transition, or
// the midnight that ends a start-only or stop-only period's day.
type event struct {
	at     time.Time
	period int
	state  State
	order  int // at one instant: midnight ends first, then starts, then stops
}

// change is the combined state from at on.
type change struct {
	at    time.Time
	state State
}

// changes is the schedule's combined timeline around t (about ±8 days): each
// instant where the wanted state or its since changes.
func (s Schedule) changes(t time.Time) []change {
	loc := s.location()
	if loc == nil {
		return nil
	}
	events := s.events(t.Add(-horizon).In(loc), t.Add(horizon).In(loc), loc)
	slices.SortStableFunc(events, func(a, b event) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.order - b.order
	})
	own := make([]State, len(s.Periods)) // each period's state; None until its first event
	var out []change
	prev := None
	for i := 0; i < len(events); {
		j := i
		for at := events[i].at; j < len(events) && events[j].at.Equal(at); j++ {
			own[events[j].period] = events[j].state
		}
		now, decided := combine(own), false
		for _, e := range events[i:j] {
			// A start or stop at this instant that agrees with the outcome renews since.
			decided = decided || (e.order > 0 && e.state == now)
		}
		if now != prev || decided {
			out = append(out, change{events[i].at, now})
		}
		prev, i = now, j
	}
	return out
}

// location is the parsed zone, or for a Schedule built by hand rather than
// by Parse, its Timezone loaded now (nil when that is not a fixed zone).
func (s Schedule) location() *time.Location {
	if s.loc != nil {
		return s.loc
	}
	if s.Timezone == "" || s.Timezone == "Local" {
		return nil
	}
	loc, _ := time.LoadLocation(s.Timezone)
	return loc
}

// combine: running wins, then stopped, then no opinion.
func combine(own []State) State {
	if slices.Contains(own, Running) {
		return Running
	}
	if slices.Contains(own, Stopped) {
		return Stopped
	}
	return None
}

// events are the periods' events on the local days from one before from's
// (a period crossing midnight stops the day after) to the day after to's.
func (s Schedule) events(from, to time.Time, loc *time.Location) []event {
	var out []event
	y, m, d := from.Date()
	for day := time.Date(y, m, d-1, 12, 0, 0, 0, loc); !day.After(to.AddDate(0, 0, 1)); day = day.AddDate(0, 0, 1) {
		y, m, d := day.Date()
		for i, p := range s.Periods {
			if !slices.Contains(p.Days, day.Weekday()) {
				continue
			}
			start, hasStart := minutes(p.Start)
			stop, hasStop := minutes(p.Stop)
			if hasStart {
				out = append(out, event{wallClock(y, m, d, start, loc), i, Running, 1})
			}
			switch {
			case hasStart && hasStop && stop < start:
				out = append(out, event{wallClock(y, m, d+1, stop, loc), i, Stopped, 2})
			case hasStop:
				out = append(out, event{wallClock(y, m, d, stop, loc), i, Stopped, 2})
			}
			if hasStart != hasStop { // a half period: its opinion ends at midnight
				out = append(out, event{wallClock(y, m, d+1, 0, loc), i, None, 0})
			}
		}
	}
	return out
}

// wallClock is the instant of the wall time minute minutes after midnight on
// that local day. time.Date returns, for a time in a spring-forward gap, the
// time shifted by the gap (02:30 → 03:30 CEST), and for a time that occurs
// twice, the second occurrence (02:30 CET); we want the end of the gap
// (03:00 CEST) and the first occurrence (02:30 CEST).
func wallClock(y int, mon time.Month, d, minute int, loc *time.Location) time.Time {
	t := time.Date(y, mon, d, minute/60, minute%60, 0, 0, loc)
	wall := time.Date(y, mon, d, minute/60, minute%60, 0, 0, time.UTC) // the wall time as if in UTC
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return t // a zone without transitions
	}
	// The same wall time in the zone before t's: earlier, if it occurs twice.
	_, before := start.Add(-time.Second).Zone()
	if first := wall.Add(-time.Duration(before) * time.Second); first.Before(start) && sameWall(first.In(loc), wall) {
		return first.In(loc)
	}
	if !sameWall(t, wall) {
		return start // in the gap: the zone that follows it starts here
	}
	return t
}

func sameWall(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd && a.Hour() == b.Hour() && a.Minute() == b.Minute()
}
