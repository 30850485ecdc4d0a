package policy

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/document"
	"github.com/aws-commander/commander/shared/settings"
)

// Filter kinds.
const (
	Age          = "age"          // older than a duration (creation or launch time)
	StoppedFor   = "stoppedFor"   // instance stopped for longer than a duration (time of the stop)
	State        = "state"        // one of these states
	Expired      = "expired"      // commander:expires-at is in the past (true) or not (false)
	Tag          = "tag"          // a tag present, absent, equal to a value or matching a regex
	Name         = "name"         // the Name tag matches a regex
	VolumeGone   = "volumeGone"   // snapshot whose source volume no longer exists (true) or exists (false)
	InstanceGone = "instanceGone" // alarm on an instance that no longer exists (true) or exists (false)
	StateFor     = "stateFor"     // in its current state for longer than a duration
	UnusedFor    = "unusedFor"    // not used for longer than a duration (IAM last use, else creation)
	Metric       = "metric"       // a CloudWatch metric's daily statistic below (or above) a threshold every day of a window
)

// Filter is one test on a resource.
type Filter struct {
	Path     string // e.g. policies[0].filters[1]
	Kind     string
	Duration time.Duration  // age, stoppedFor
	States   []string       // state
	Want     bool           // expired, volumeGone
	Key      string         // tag
	Test     string         // tag: present, absent, equals, regex
	Value    string         // tag equals
	Regex    *regexp.Regexp // tag regex, name
	Metric   *MetricTest    // metric
}

// MetricTest is a metric filter: the resource's metric Name (in its type's
// Metrics namespace, by its dimension), its statistic Stat over each day
// (a period of 86400 s, UTC days), on each of the Days whole days before the
// run's day, below the threshold (or above it). A day without a datapoint
// proves nothing: the filter then does not match (see plan.Filter).
type MetricTest struct {
	Name      string
	Stat      string
	Below     bool    // below Threshold; false: above it
	Threshold float64 // from 0
	Days      int     // 1 to MaxMetricDays
}

// Stats are the statistics a metric filter accepts (CloudWatch's own names).
var Stats = []string{"Average", "Maximum", "Minimum", "Sum", "SampleCount"}

// MaxMetricDays bounds a metric filter's window: CloudWatch keeps 5-minute
// data for 63 days (1-hour data, enough for daily periods, for 455), and a
// longer window would only delay finding what is idle.
const MaxMetricDays = 63

// Tag tests.
const (
	Present = "present"
	Absent  = "absent"
	Equals  = "equals"
	Regex   = "regex"
)

// filters reads a list of filters. A policy without filters would match
// the whole inventory, so filters are required.
func (p *parser) filters(path string, raw any, t Type, known, required bool) []Filter {
	if raw == nil {
		if required {
			p.fail(path, "required: at least one filter, so that a policy never matches everything")
		}
		return nil
	}
	list, ok := raw.([]any)
	if !ok || (required && len(list) == 0) {
		p.fail(path, "must be a list of at least one filter")
		return nil
	}
	var out []Filter
	for i, item := range list {
		if f, ok := p.filter(fmt.Sprintf("%s[%d]", path, i), item, t, known); ok {
			out = append(out, f)
		}
	}
	return out
}

// FilterKinds are the filter kinds, each a key of which a filter sets exactly one.
var FilterKinds = []string{Age, StoppedFor, StateFor, UnusedFor, State, Expired, Tag, Name, VolumeGone, InstanceGone, Metric}

// TagTests are the tests of a tag filter, of which it sets exactly one.
var TagTests = []string{Present, Absent, Equals, Regex}

// FilterDocs say what each filter kind and tag test matches, for the schema
// (shared/schema) and the docs.
var FilterDocs = map[string]string{
	Age:          "older than a duration (creation or launch time; see the type's notes for what its age is)",
	StoppedFor:   "an instance stopped for longer than a duration (the time of the stop)",
	StateFor:     "in its current state for longer than a duration",
	UnusedFor:    "not used for longer than a duration (IAM's last use, else creation)",
	State:        "in one of these states (a state or a list of states)",
	Expired:      "commander:expires-at is in the past (true) or not (false)",
	Tag:          "a tag key, with exactly one of present, absent, equals, regex",
	Name:         "the Name tag matches a regular expression (RE2 syntax)",
	VolumeGone:   "a snapshot whose source volume no longer exists (true) or exists (false)",
	InstanceGone: "an alarm on an instance that no longer exists (true) or exists (false)",
	Metric:       "a CloudWatch metric's daily statistic below (or above) a threshold on every day of a window; only under filters",
	Present:      "the tag is present (true)",
	Absent:       "the tag is absent (true)",
	Equals:       "the tag's value equals this string",
	Regex:        "the tag's value matches this regular expression (RE2 syntax)",
}

// MetricFields are the keys of a metric filter's mapping.
var MetricFields = []document.Field{
	{Name: "name", Doc: "the metric, one of the resource type's metrics", Required: true},
	{Name: "stat", Doc: "the statistic of each UTC day (a period of 86400 s)", Required: true},
	{Name: "below", Doc: "matches when the statistic is below this number (from 0) on every day; exactly one of below, above"},
	{Name: "above", Doc: "matches when the statistic is above this number (from 0) on every day; exactly one of below, above"},
	{Name: "for", Doc: "the window: whole days before the run's day, from 1d to 63d, such as 14d", Required: true},
}

// MaxFilterDuration bounds the duration of age, stoppedFor, stateFor and unusedFor.
const MaxFilterDuration = 100 * 365 * 24 * time.Hour

func (p *parser) filter(path string, raw any, t Type, known bool) (Filter, bool) {
	m, ok := p.object(path, raw, slices.Concat(FilterKinds, TagTests)...)
	if !ok {
		return Filter{}, false
	}
	f := Filter{Path: path}
	var kinds []string
	for _, k := range FilterKinds {
		if _, ok := m[k]; ok {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != 1 {
		p.fail(path, "must set exactly one of %s; got %d", strings.Join(FilterKinds, ", "), len(kinds))
		return Filter{}, false
	}
	f.Kind = kinds[0]
	if known && !slices.Contains(t.Filters, f.Kind) {
		p.fail(join(path, f.Kind), "filter %q does not apply to this resource type; accepts %s", f.Kind, strings.Join(t.Filters, ", "))
		return Filter{}, false
	}
	if f.Kind != Tag {
		for _, k := range TagTests {
			if _, ok := m[k]; ok {
				p.fail(join(path, k), "applies only to a tag filter")
			}
		}
	}
	before := len(p.errs)
	v := m[f.Kind]
	switch f.Kind {
	case Age, StoppedFor, StateFor, UnusedFor:
		f.Duration = p.duration(join(path, f.Kind), v, MaxFilterDuration)
	case State:
		f.States = p.states(join(path, f.Kind), v, t, known)
	case Expired, VolumeGone, InstanceGone:
		b, ok := v.(bool)
		if !ok {
			p.fail(join(path, f.Kind), "%s is invalid: accepts true or false", show(v))
		}
		f.Want = b
	case Name:
		f.Regex = p.regex(join(path, f.Kind), v)
	case Metric:
		f.Metric = p.metric(join(path, f.Kind), v, t, known)
	case Tag:
		f.Key = p.str(join(path, Tag), v, true)
		var tests []string
		for _, k := range TagTests {
			if _, ok := m[k]; ok {
				tests = append(tests, k)
			}
		}
		if len(tests) != 1 {
			p.fail(path, "a tag filter sets exactly one of present, absent, equals, regex; got %d", len(tests))
			break
		}
		f.Test = tests[0]
		switch f.Test {
		case Present, Absent:
			if b, ok := m[f.Test].(bool); !ok || !b {
				p.fail(join(path, f.Test), "%s is invalid: accepts true", show(m[f.Test]))
			}
		case Equals:
			f.Value = p.str(join(path, Equals), m[Equals], false)
		case Regex:
			f.Regex = p.regex(join(path, Regex), m[Regex])
		}
	}
	return f, len(p.errs) == before
}

func (p *parser) states(path string, v any, t Type, known bool) []string {
	var list []any
	switch x := v.(type) {
	case string:
		list = []any{x}
	case []any:
		list = x
	}
	if len(list) == 0 {
		p.fail(path, "must be a state or a list of states")
		return nil
	}
	var out []string
	for i, item := range list {
		s, ok := item.(string)
		if !ok || (known && !slices.Contains(t.States, s)) {
			p.fail(fmt.Sprintf("%s[%d]", path, i), "unknown state %s; accepts %s", show(item), strings.Join(t.States, ", "))
			continue
		}
		out = append(out, s)
	}
	return out
}

// metric reads a metric filter's fields: {name, stat, below | above, for}.
func (p *parser) metric(path string, v any, t Type, known bool) *MetricTest {
	m, ok := p.object(path, v, document.Names(MetricFields)...)
	if !ok {
		return nil
	}
	mt := &MetricTest{}
	mt.Name = p.str(join(path, "name"), m["name"], true)
	if known && t.Metrics != nil && mt.Name != "" && !slices.Contains(t.Metrics.Names, mt.Name) {
		p.fail(join(path, "name"), "unknown metric %q for this resource type (namespace %s); accepts %s",
			mt.Name, t.Metrics.Namespace, strings.Join(t.Metrics.Names, ", "))
	}
	if v, ok := m["stat"]; !ok {
		p.fail(join(path, "stat"), "required: one of %s", strings.Join(Stats, ", "))
	} else if s, ok := v.(string); !ok || !slices.Contains(Stats, s) {
		p.fail(join(path, "stat"), "must be one of %s; got %s", strings.Join(Stats, ", "), show(v))
	} else {
		mt.Stat = s
	}
	_, below := m["below"]
	_, above := m["above"]
	switch {
	case below == above:
		n := 0
		if below {
			n = 2
		}
		p.fail(path, "a metric filter sets exactly one of below, above; got %d", n)
	default:
		key := "above"
		if below {
			key = "below"
		}
		mt.Below = below
		n, isNum := number(m[key])
		if !isNum || n < 0 || math.IsNaN(n) || math.IsInf(n, 0) {
			p.fail(join(path, key), "%s is invalid: accepts a number from 0", show(m[key]))
		}
		mt.Threshold = n
	}
	if v, ok := m["for"]; !ok {
		p.fail(join(path, "for"), "required: a whole number of days from 1d to %dd, such as 14d", MaxMetricDays)
	} else {
		mt.Days = p.days(join(path, "for"), v, MaxMetricDays)
	}
	return mt
}

// days reads a window of whole days from 1 to max: "14d", or 14. A duration
// that is no whole number of days (36h) is refused, not rounded: the
// metric filter's periods are days.
func (p *parser) days(path string, v any, max int) int {
	accepts := fmt.Sprintf("a whole number of days from 1d to %dd, such as 14d", max)
	if n, ok := number(v); ok {
		if n != math.Trunc(n) || n < 1 || n > float64(max) {
			p.fail(path, "%s is invalid: accepts %s", show(v), accepts)
			return 0
		}
		return int(n)
	}
	s, ok := v.(string)
	if !ok {
		p.fail(path, "%s is invalid: accepts %s", show(v), accepts)
		return 0
	}
	d, err := settings.ParseDuration(strings.TrimSpace(s))
	if err != nil || d%(24*time.Hour) != 0 || d < 24*time.Hour || d > time.Duration(max)*24*time.Hour {
		p.fail(path, "%s is invalid: accepts %s", show(v), accepts)
		return 0
	}
	return int(d / (24 * time.Hour))
}
