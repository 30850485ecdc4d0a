// Package plan decides, for one resource and the policies on its type, what
// a cleanup run does to it: nothing, mark it, wait for its grace, act on it,
// or remove stale marks. It is pure: data in, decision out.
package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/tags"
)

// Resource is what the selectors tell the planner about one resource.
type Resource struct {
	Type    string // policy.EC2Instance, ...
	ID      string
	Region  string
	Name    string // the Name tag
	State   string
	Created time.Time // zero when the service does not say
	// StoppedAt is when an instance stopped (from its state transition reason).
	StoppedAt time.Time
	ARN       string // for services that tag by ARN
	// LastUsed is when the resource was last used (IAM roles).
	LastUsed time.Time
	// StateSince is when the resource entered its current state (zero: unknown).
	StateSince time.Time
	// Gone is whether what the resource refers to no longer exists: a
	// snapshot's source volume, an alarm's instance (nil: unknown or none).
	Gone *bool
	Tags map[string]string
	// Dependents are deleted with the resource, after it (an AMI's snapshots).
	Dependents []string
	// Rank is a published Lambda version's place among its function's
	// versions, newest first (1 is the newest; 0: unknown, never a candidate).
	Rank int
	// Aliases are the aliases pointing to a Lambda version, by their main
	// version or their weighted routing.
	Aliases []string
	// Hold, when set, says why the resource must never be touched whatever
	// the policies say (e.g. a snapshot an AMI uses, one AWS Backup made).
	Hold string
}

// Step is what a run does to a resource.
type Step string

const (
	None      Step = "none"      // no policy matches and it carries no marks
	Protected Step = "protected" // would match or is marked, but is protected or held: never touched
	Mark      Step = "mark"      // newly matching: tag it with the action and due time
	Wait      Step = "wait"      // marked and still matching, not yet due
	Act       Step = "act"       // marked, still matching and due
	Unmark    Step = "unmark"    // marked but no longer matching: remove the marks
)

// Decision is the step for one resource and why.
type Decision struct {
	Step   Step
	Policy string // the policy that matched (empty for none, unmark)
	Action string // the policy's action (terminate, delete, ...)
	Due    time.Time
	Reason string
}

// Decide applies policies (all on r's type, in document order; the first
// that matches wins) at now. grace is the default for policies that set none.
func Decide(policies []policy.Policy, r Resource, now time.Time, protectKey string, grace time.Duration) Decision {
	markAction, hasAction := r.Tags[tags.CleanupAction]
	dueText, hasDue := r.Tags[tags.CleanupDue]
	held := ""
	switch {
	case guard.Protected(r.Tags, protectKey):
		held = protectKey + "=true"
	case r.Hold != "":
		held = r.Hold
	}
	for _, p := range policies {
		ok, why := Matches(p, r, now)
		if !ok {
			continue
		}
		d := Decision{Policy: p.Name, Action: p.Action, Reason: "policy " + p.Name + ": " + why}
		if held != "" {
			// Protection beats every policy; the resource, marks included, is left as it is.
			return Decision{Step: Protected, Policy: p.Name, Action: p.Action, Reason: "protected: " + held + "; would match policy " + p.Name}
		}
		step, due := guard.MarkThenAct(markAction, dueText, p.Action, now, p.GraceOr(grace))
		d.Due = due
		switch step {
		case guard.StepMark:
			d.Step = Mark
		case guard.StepWait:
			d.Step = Wait
			d.Reason += "; due " + due.Format(time.RFC3339)
		default:
			d.Step = Act
			d.Reason += "; marked, due since " + due.Format(time.RFC3339)
		}
		return d
	}
	if held != "" && (hasAction || hasDue) {
		return Decision{Step: Protected, Reason: "protected: " + held + "; marks left as they are"}
	}
	if hasAction || hasDue {
		return Decision{Step: Unmark, Reason: "marked for " + markAction + " but no longer matches any policy"}
	}
	return Decision{Step: None}
}

// Matches reports whether r passes every filter of p and no exclusion, with
// the reasons of the filters that matched.
func Matches(p policy.Policy, r Resource, now time.Time) (bool, string) {
	if r.Type != p.Resource {
		return false, ""
	}
	var why []string
	if r.Type == policy.LambdaVersion {
		// Part of the type, whatever the filters: keep the newest versions and
		// every version an alias routes to. Not a hold: a marked version that
		// an alias now points to loses its marks.
		if r.Rank <= p.Keep || len(r.Aliases) > 0 {
			return false, ""
		}
		why = append(why, fmt.Sprintf("version %d from the newest, beyond the %d kept; no alias points to it", r.Rank, p.Keep))
	}
	for _, f := range p.Filters {
		ok, reason := Filter(f, r, now)
		if !ok {
			return false, ""
		}
		why = append(why, reason)
	}
	// An exclusion beats every inclusion.
	for _, f := range p.Exclude {
		if ok, _ := Filter(f, r, now); ok {
			return false, ""
		}
	}
	return true, strings.Join(why, "; ")
}

// Filter tests one filter on r, with a reason when it matches.
func Filter(f policy.Filter, r Resource, now time.Time) (bool, string) {
	switch f.Kind {
	case policy.Age:
		if r.Created.IsZero() {
			return false, ""
		}
		age := now.Sub(r.Created)
		return age > f.Duration, fmt.Sprintf("created %s ago (more than %s)", Span(age), Span(f.Duration))
	case policy.StoppedFor:
		if r.State != "stopped" || r.StoppedAt.IsZero() {
			return false, ""
		}
		stopped := now.Sub(r.StoppedAt)
		return stopped > f.Duration, fmt.Sprintf("stopped %s ago (more than %s)", Span(stopped), Span(f.Duration))
	case policy.State:
		return slices.Contains(f.States, r.State), "state " + r.State
	case policy.Expired:
		at, err := time.Parse(time.RFC3339, r.Tags[tags.ExpiresAt])
		expired := err == nil && now.After(at)
		if expired {
			return f.Want, tags.ExpiresAt + " " + at.UTC().Format(time.RFC3339) + " has passed"
		}
		return !f.Want, "not expired"
	case policy.VolumeGone, policy.InstanceGone:
		what := map[string]string{policy.VolumeGone: "source volume", policy.InstanceGone: "instance"}[f.Kind]
		if r.Gone == nil {
			return false, ""
		}
		if *r.Gone {
			return f.Want, what + " no longer exists"
		}
		return !f.Want, what + " exists"
	case policy.UnusedFor:
		if r.LastUsed.IsZero() {
			return false, ""
		}
		unused := now.Sub(r.LastUsed)
		return unused > f.Duration, fmt.Sprintf("unused for %s (more than %s)", Span(unused), Span(f.Duration))
	case policy.StateFor:
		if r.StateSince.IsZero() {
			return false, ""
		}
		in := now.Sub(r.StateSince)
		return in > f.Duration, fmt.Sprintf("in state %s for %s (more than %s)", r.State, Span(in), Span(f.Duration))
	case policy.Name:
		return f.Regex.MatchString(r.Name), fmt.Sprintf("name %q matches %s", r.Name, f.Regex)
	case policy.Tag:
		v, present := r.Tags[f.Key]
		switch f.Test {
		case policy.Present:
			return present, "tag " + f.Key + " present"
		case policy.Absent:
			return !present, "tag " + f.Key + " absent"
		case policy.Equals:
			return present && v == f.Value, fmt.Sprintf("tag %s=%s", f.Key, v)
		case policy.Regex:
			return present && f.Regex.MatchString(v), fmt.Sprintf("tag %s=%s matches %s", f.Key, v, f.Regex)
		}
	}
	// An unknown filter never matches: Parse refuses it, and failing closed is safe.
	return false, ""
}

// Span prints a duration in whole days from two days up, else in hours or minutes.
func Span(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	default:
		return d.Truncate(time.Minute).String()
	}
}
