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
	// Billing is what its price depends on, as the listing read it (the
	// saving of acting on it; zero when the type is not priced).
	Billing Billing
	// Hold, when set, says why the resource must never be touched whatever
	// the policies say (e.g. a snapshot an AMI uses, one AWS Backup made).
	Hold string
	// Metrics are the daily values the metric filters read, by
	// MetricQuery.Key (what MetricQueries asked for): index 0 is the last
	// whole UTC day before the run's day, 1 the day before, and so on; NaN
	// for a day without a datapoint. A key absent was not fetched: its
	// filter cannot match.
	Metrics map[string][]float64
}

// Billing is what a resource's price depends on: the volume or instance
// type, and the size in GiB (a volume's, or a snapshot's source volume's)
// with a volume's provisioned IOPS and throughput.
type Billing struct {
	Type       string
	SizeGiB    int32
	IOPS       int32
	Throughput int32
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
	// Unproven: it would match a policy but for a metric filter whose
	// datapoints cannot prove it (too few days): reported, never touched.
	Unproven Step = "unproven"
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
	var unproven *Decision // the first policy only a metric's missing days kept from matching
	for _, p := range policies {
		m := match(p, r, now)
		if !m.ok {
			if m.unproven != "" && unproven == nil {
				unproven = &Decision{Step: Unproven, Policy: p.Name, Action: p.Action, Reason: "policy " + p.Name + ": " + m.unproven}
			}
			continue
		}
		d := Decision{Policy: p.Name, Action: p.Action, Reason: "policy " + p.Name + ": " + m.why}
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
		d := Decision{Step: Unmark, Reason: "marked for " + markAction + " but no longer matches any policy"}
		if unproven != nil {
			// What cannot be proven idle any more is not acted on, and its marks go.
			d.Reason += " (" + unproven.Reason + ")"
		}
		return d
	}
	if unproven != nil && held == "" {
		return *unproven
	}
	return Decision{Step: None}
}

// Matches reports whether r passes every filter of p and no exclusion, with
// the reasons of the filters that matched.
func Matches(p policy.Policy, r Resource, now time.Time) (bool, string) {
	m := match(p, r, now)
	return m.ok, m.why
}

// matched is how a policy matched a resource.
type matched struct {
	ok  bool
	why string // the reasons of the filters, when ok
	// unproven, when not ok: every other filter matched and no exclusion,
	// and no metric filter's datapoints disproved it, but one's are too few
	// to prove it (why).
	unproven string
}

// match tests p on r: the metric filters last, as their datapoints are
// fetched only for resources that pass the rest (MetricQueries).
func match(p policy.Policy, r Resource, now time.Time) matched {
	ok, why, metrics := prefilter(p, r, now)
	if !ok {
		return matched{}
	}
	unproven := ""
	for _, f := range metrics {
		switch v, reason := metricVerdict(f, r, now); v {
		case proven:
			why = append(why, reason)
		case unknown:
			if unproven == "" {
				unproven = reason
			}
		default:
			return matched{} // a day's value disproves it, whatever the others lack
		}
	}
	if unproven != "" {
		return matched{unproven: unproven}
	}
	return matched{ok: true, why: strings.Join(why, "; ")}
}

// prefilter tests every filter of p but its metric filters, and its
// exclusions (which hold no metric filter: Parse refuses one); it returns
// the reasons and the metric filters left to test.
func prefilter(p policy.Policy, r Resource, now time.Time) (bool, []string, []policy.Filter) {
	if r.Type != p.Resource {
		return false, nil, nil
	}
	var why []string
	if r.Type == policy.LambdaVersion {
		// Part of the type, whatever the filters: keep the newest versions and
		// every version an alias routes to. Not a hold: a marked version that
		// an alias now points to loses its marks.
		if r.Rank <= p.Keep || len(r.Aliases) > 0 {
			return false, nil, nil
		}
		why = append(why, fmt.Sprintf("version %d from the newest, beyond the %d kept; no alias points to it", r.Rank, p.Keep))
	}
	var metrics []policy.Filter
	for _, f := range p.Filters {
		if f.Kind == policy.Metric {
			metrics = append(metrics, f)
			continue
		}
		ok, reason := Filter(f, r, now)
		if !ok {
			return false, nil, nil
		}
		why = append(why, reason)
	}
	// An exclusion beats every inclusion.
	for _, f := range p.Exclude {
		if ok, _ := Filter(f, r, now); ok {
			return false, nil, nil
		}
	}
	return true, why, metrics
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
	case policy.Metric:
		v, reason := metricVerdict(f, r, now)
		return v == proven, reason
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
