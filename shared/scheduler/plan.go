package scheduler

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/schedule"
	"github.com/aws-commander/commander/shared/tags"
)

// Instance is what the listing tells the planner about one tagged instance.
type Instance struct {
	ID     string
	Region string
	State  string // EC2's state name: pending, running, stopping, stopped
	Type   string // instance type, for the saving
	ARN    string // what the tagger names it by
	Tags   map[string]string
}

// Actions in the report.
const (
	Start  = "start"
	Stop   = "stop"
	Record = "record" // already where the schedule wants it: only remember that
	Keep   = "keep"   // left alone (Skip says why)
)

// Step is the plan for one instance.
type Step struct {
	Instance
	Schedule string
	Action   string         // Start, Stop, Record, or Keep when no action applies
	Want     schedule.State // what the schedule (or an override) wants
	Since    time.Time      // the transition that asks for Want: what the tag remembers
	Skip     string         // why the instance is left alone (the action is what a guard refused)
	Reason   string
	Override bool // an override, not the schedule, decided
}

// Enforced is the value the instance's commander:schedule-state tag takes
// once the step is done.
func (s Step) Enforced() string { return schedule.Enforced{State: s.Want, Since: s.Since}.String() }

// Plan decides what a run does to one instance at now: nothing (false),
// start or stop it, only remember the state it is already in, or leave it
// alone and say why. It is pure: the guards it applies (an override, the
// protection tag, an Auto Scaling group, a state in transition) read only
// the instance's tags and state.
func Plan(doc schedule.Document, in Instance, now time.Time, protectKey string) (Step, bool) {
	name := strings.TrimSpace(in.Tags[tags.Schedule])
	st := Step{Instance: in, Schedule: name, Action: Keep}
	sch, ok := doc.Find(name)
	if !ok {
		st.Skip = fmt.Sprintf("unknown schedule %q in %s: the schedules are %s (COMMANDER_SCHEDULES)", name, tags.Schedule, strings.Join(doc.Names(), ", "))
		return st, true
	}
	var override *schedule.Override
	if v, ok := in.Tags[tags.ScheduleOverride]; ok {
		o, err := schedule.ParseOverride(v)
		if err != nil {
			st.Skip = fmt.Sprintf("%s=%q is not understood (%v): the instance is left alone until it is fixed or removed", tags.ScheduleOverride, v, err)
			return st, true
		}
		override = &o
		st.Override = o.Active(now)
	}
	remembered, known := schedule.ParseEnforced(in.Tags[tags.ScheduleState])
	d := schedule.Decide(sch, now, in.State, remembered, known, override)
	if d.Want == schedule.None {
		return st, false
	}
	st.Want, st.Since, st.Reason = d.Want, d.Since, d.Reason
	if !d.Act {
		if in.Tags[tags.ScheduleState] == st.Enforced() {
			return st, false // remembered already: nothing to write
		}
		st.Action = Record
		return st, true
	}
	action, from := Start, "stopped"
	if d.Want == schedule.Stopped {
		action, from = Stop, "running"
	}
	st.Action = action
	switch {
	case action == Stop && guard.Protected(in.Tags, protectKey):
		st.Skip = fmt.Sprintf("protected (%s): never stopped; %s", protectKey, d.Reason)
	case in.Tags[tags.AutoScalingGroup] != "":
		st.Skip = fmt.Sprintf("in Auto Scaling group %s, which replaces what it does not run: schedule the group instead (its scheduled actions); %s", in.Tags[tags.AutoScalingGroup], d.Reason)
	case in.State != from:
		// Not yet where a start or stop applies (pending, stopping): the
		// next run, a few minutes later, decides again. Nothing is
		// remembered, so it does.
		st.Skip = fmt.Sprintf("instance is %s, not %s: the next run decides; %s", in.State, from, d.Reason)
	}
	return st, true
}

// stoppedHoursPerMonth is how many hours a month s keeps an instance
// stopped, from the week that starts at from (sampled every quarter hour;
// AWS bills 730 hours a month): the compute an office-hours stop saves. A
// time the schedule has no opinion about counts as running.
func stoppedHoursPerMonth(s schedule.Schedule, from time.Time) float64 {
	const step = 15 * time.Minute
	stopped := 0
	for t := from; t.Before(from.Add(7 * 24 * time.Hour)); t = t.Add(step) {
		if w, _ := s.Wanted(t); w == schedule.Stopped {
			stopped++
		}
	}
	return float64(stopped) * step.Hours() * 730 / (7 * 24)
}
