// Package alarm reacts to CloudWatch alarm state changes: it decides the
// reaction configured for the alarm (tags on the alarm, or alarm-name
// prefixes in settings), confirms the state change with CloudWatch, finds
// the targets in the alarm's own metric dimensions (never the event's),
// guards them (dry-run, protection, circuit breaker, idempotency, cooldown)
// and acts. This file is the pure part: decisions over data.
package alarm

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/alarm/alarmevent"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/tags"
)

// Action is a reaction to an alarm.
type Action string

const (
	Stop       Action = "stop"       // StopInstances
	Reboot     Action = "reboot"     // RebootInstances
	Snapshot   Action = "snapshot"   // CreateSnapshots of an instance's volumes, CreateSnapshot of a volume
	Terminate  Action = "terminate"  // TerminateInstances: only when configured explicitly
	Throttle   Action = "throttle"   // reserved concurrency 0: a kill switch for a runaway function
	Notify     Action = "notify"     // only the audit event
	Start      Action = "start"      // StartInstances: the way back
	Unthrottle Action = "unthrottle" // remove the reserved concurrency: the way back from throttle
)

// Actions each state accepts.
var (
	AlarmActions = []Action{Stop, Reboot, Snapshot, Terminate, Throttle, Notify}
	OKActions    = []Action{Start, Unthrottle, Snapshot, Notify}
)

// ParseAction reads s as one of allowed.
func ParseAction(s string, allowed []Action) (Action, bool) {
	a := Action(strings.TrimSpace(s))
	return a, slices.Contains(allowed, a)
}

func joinActions(as []Action) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// Destructive actions are the ones protection turns into notify and the
// circuit breaker counts: they take a workload down.
func (a Action) Destructive() bool {
	return a == Stop || a == Reboot || a == Terminate || a == Throttle
}

// Kind of target.
type Kind string

const (
	Instance Kind = "ec2:instance"
	Volume   Kind = "ec2:volume"
	Function Kind = "lambda:function"
	AlarmRes Kind = "cloudwatch:alarm" // no target: the reaction is recorded on the alarm itself
)

// Target is a resource named by the alarm's metric dimensions.
type Target struct {
	Kind Kind
	ID   string
}

// dimensions that name a target, in the order they are looked for.
var dimensions = []struct {
	name string
	kind Kind
}{{"InstanceId", Instance}, {"VolumeId", Volume}, {"FunctionName", Function}}

// Definition is the alarm as CloudWatch holds it (DescribeAlarms), not as an
// event describes it: the reaction's targets and the state it answers come
// from here, because anyone who may invoke the function can write an event.
type Definition struct {
	Name, ARN  string
	Composite  bool
	State      string              // StateValue
	Since      time.Time           // when it entered State; zero when CloudWatch does not say
	Dimensions []map[string]string // the metric's, then each metric-math metric's
	Tags       map[string]string
}

// Targets are the resources the alarm's metrics name, in order of
// appearance, each once. Metric math expressions name none themselves; the
// metrics they combine do.
func Targets(d Definition) []Target { return targetsOf(d.Dimensions) }

// EventTargets are the resources an event's metrics name: never acted on,
// only compared with the definition's, to report an event that lies.
func EventTargets(e alarmevent.Event) []Target {
	var dims []map[string]string
	for _, m := range e.Config.Metrics {
		dims = append(dims, m.Dimensions)
	}
	return targetsOf(dims)
}

func targetsOf(all []map[string]string) []Target {
	var out []Target
	for _, dims := range all {
		for _, d := range dimensions {
			v := strings.TrimSpace(dims[d.name])
			if v == "" {
				continue
			}
			t := Target{Kind: d.kind, ID: v}
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// Extra are the targets of got that want does not hold.
func Extra(got, want []Target) []Target {
	var out []Target
	for _, t := range got {
		if !slices.Contains(want, t) {
			out = append(out, t)
		}
	}
	return out
}

// Applies reports whether a can be carried out on a target of kind k.
func Applies(a Action, k Kind) bool {
	switch a {
	case Notify:
		return true
	case Stop, Reboot, Terminate, Start:
		return k == Instance
	case Snapshot:
		return k == Instance || k == Volume
	case Throttle, Unthrottle:
		return k == Function
	}
	return false
}

// Tag keys of this function beside the shared vocabulary.
const (
	OnInsufficientTag = "commander:on-insufficient-data" // on an alarm: reaction on INSUFFICIENT_DATA
	ReactedTag        = "commander:alarm-reacted"        // on a target: <alarm>@<RFC 3339>/<event id> of the last reaction
	AlarmTag          = "commander:alarm"                // on a snapshot: the alarm it was taken for
)

// Reaction is what an alarm state change asks for.
type Reaction struct {
	Action Action
	Source string // where the action came from, for the report
	Note   string // why the action differs from the configuration, if it does
	Skip   string // non-empty: nothing to do, and why
}

// Choose decides the reaction to e from the alarm's tags and the prefix
// rules: into ALARM (from another state) runs on-alarm, notify by default;
// into OK runs on-ok and into INSUFFICIENT_DATA on-insufficient-data, only
// when configured.
func Choose(e alarmevent.Event, alarmTags map[string]string, c Config) Reaction {
	from, to := e.Previous.Value, e.State.Value
	if from == to {
		return Reaction{Skip: fmt.Sprintf("no state change (%s to %s)", from, to)}
	}
	var (
		tag     string
		rules   []Rule
		env     string
		allowed []Action
	)
	switch to {
	case alarmevent.Alarm:
		tag, rules, env, allowed = tags.OnAlarm, c.OnAlarm, EnvActions, AlarmActions
	case alarmevent.OK:
		tag, rules, env, allowed = tags.OnOK, c.OnOK, EnvOKActions, OKActions
	default:
		tag, rules, env, allowed = OnInsufficientTag, c.OnInsufficient, EnvInsufficientActions, AlarmActions
	}
	if v, ok := alarmTags[tag]; ok {
		if a, ok := ParseAction(v, allowed); ok {
			return Reaction{Action: a, Source: "tag " + tag}
		}
		// A bad tag is the user's configuration, not a reason to retry: tell them.
		return Reaction{Action: Notify, Source: "tag " + tag,
			Note: fmt.Sprintf("%s=%q is invalid: accepts one of %s; notify only", tag, v, joinActions(allowed))}
	}
	if r, ok := match(rules, e.AlarmName); ok {
		return Reaction{Action: r.Action, Source: fmt.Sprintf("%s prefix %q", env, r.Prefix)}
	}
	if to == alarmevent.Alarm {
		return Reaction{Action: Notify, Source: "default"}
	}
	return Reaction{Skip: fmt.Sprintf("%s to %s: no reaction configured (tag %s or %s)", from, to, tag, env)}
}

// TargetState is what a lookup found about a target.
type TargetState struct {
	Target
	Found  bool
	Gone   string // why it counts as gone, e.g. "instance is terminated"
	Tags   map[string]string
	ARN    string   // the function's ARN, the alarm's ARN
	Detail []string // e.g. the instance's volumes
}

// Guard holds what the per-target decision depends on besides the target.
type Guard struct {
	DryRun     bool
	ProtectTag string
	Cooldown   time.Duration
	Now        time.Time
	EventID    string
	Alarm      string
	Breaker    guard.Breaker
}

// Step is the decision for one target.
type Step struct {
	TargetState
	Action Action
	Skip   string // non-empty: leave the target alone, and why
	Reason string // why this action
}

// Decide turns a reaction into one step per target. The error is the
// circuit breaker's, when it turned the destructive steps into notify.
func Decide(r Reaction, states []TargetState, g Guard) ([]Step, error) {
	steps := make([]Step, 0, len(states))
	found := 0
	for _, s := range states {
		st := Step{TargetState: s, Action: r.Action, Reason: reason(r)}
		switch {
		case !s.Found:
			st.Skip = "target gone: " + s.Gone
		default:
			found++
			if last, ok := ParseReacted(s.Tags[ReactedTag]); ok {
				mem := guard.Memory{Key: last.Alarm, At: last.At, EventID: last.EventID}
				if st.Skip = guard.Again(mem, alarmKey(g.Alarm), g.EventID, g.Now, g.Cooldown); st.Skip != "" {
					break
				}
			}
			if !Applies(st.Action, s.Kind) {
				st.Reason = fmt.Sprintf("%s does not apply to %s: notify only", st.Action, s.Kind)
				st.Action = Notify
			} else if st.Action.Destructive() && guard.Protected(s.Tags, g.ProtectTag) {
				st.Reason = fmt.Sprintf("protected by %s: %s turned into notify", protection(s.Tags, g.ProtectTag), st.Action)
				st.Action = Notify
			}
		}
		steps = append(steps, st)
	}
	destructive := 0
	for _, st := range steps {
		if st.Skip == "" && st.Action.Destructive() {
			destructive++
		}
	}
	err := g.Breaker.Check(destructive, found)
	if err != nil {
		for i := range steps {
			if steps[i].Skip == "" && steps[i].Action.Destructive() {
				steps[i].Reason = fmt.Sprintf("%s: %s turned into notify", err, steps[i].Action)
				steps[i].Action = Notify
			}
		}
	}
	return steps, err
}

// protection names the tag that protects, as the resource carries it, for
// the report (guard.Protected decides; this only finds the words).
func protection(tags map[string]string, key string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if guard.ProtectKey(k, key) && guard.ProtectionValue(tags[k]) {
			return fmt.Sprintf("%s=%s", k, tags[k])
		}
	}
	return key + "=true"
}

func reason(r Reaction) string {
	if r.Note != "" {
		return r.Note
	}
	return "from " + r.Source
}

// Reacted is a parsed commander:alarm-reacted tag.
type Reacted struct {
	Alarm   string // the alarm name, or sha256:<16 hex> of a long one
	At      time.Time
	EventID string
}

// maxTagValue is the shortest tag value limit of EC2, Lambda and CloudWatch.
const maxTagValue = 256

// alarmKey is the alarm as the tag records it: its name, or a hash of a name
// too long to fit the tag value beside the time and event id.
func alarmKey(name string) string {
	if len(name) <= 128 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return "sha256:" + hex.EncodeToString(sum[:8])
}

// ReactedValue is the tag value recording a reaction.
func ReactedValue(alarm string, at time.Time, eventID string) string {
	v := alarmKey(alarm) + "@" + at.UTC().Format(time.RFC3339) + "/" + eventID
	if len(v) > maxTagValue {
		v = v[:maxTagValue]
	}
	return v
}

// ParseReacted reads a tag value written by ReactedValue.
func ParseReacted(v string) (Reacted, bool) {
	slash := strings.LastIndex(v, "/")
	if slash < 0 {
		return Reacted{}, false
	}
	head, id := v[:slash], v[slash+1:]
	at := strings.LastIndex(head, "@")
	if at < 0 || id == "" {
		return Reacted{}, false
	}
	t, err := time.Parse(time.RFC3339, head[at+1:])
	if err != nil {
		return Reacted{}, false
	}
	return Reacted{Alarm: head[:at], At: t, EventID: id}, true
}
