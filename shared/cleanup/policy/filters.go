package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
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
}

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

var filterKeys = []string{Age, StoppedFor, StateFor, UnusedFor, State, Expired, Tag, Name, VolumeGone, InstanceGone}

func (p *parser) filter(path string, raw any, t Type, known bool) (Filter, bool) {
	m, ok := p.object(path, raw, append(slices.Clone(filterKeys), Present, Absent, Equals, Regex)...)
	if !ok {
		return Filter{}, false
	}
	f := Filter{Path: path}
	var kinds []string
	for _, k := range filterKeys {
		if _, ok := m[k]; ok {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != 1 {
		p.fail(path, "must set exactly one of %s; got %d", strings.Join(filterKeys, ", "), len(kinds))
		return Filter{}, false
	}
	f.Kind = kinds[0]
	if known && !slices.Contains(t.Filters, f.Kind) {
		p.fail(join(path, f.Kind), "filter %q does not apply to this resource type; accepts %s", f.Kind, strings.Join(t.Filters, ", "))
		return Filter{}, false
	}
	if f.Kind != Tag {
		for _, k := range []string{Present, Absent, Equals, Regex} {
			if _, ok := m[k]; ok {
				p.fail(join(path, k), "applies only to a tag filter")
			}
		}
	}
	before := len(p.errs)
	v := m[f.Kind]
	switch f.Kind {
	case Age, StoppedFor, StateFor, UnusedFor:
		f.Duration = p.duration(join(path, f.Kind), v, 100*365*24*time.Hour)
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
	case Tag:
		f.Key = p.str(join(path, Tag), v, true)
		var tests []string
		for _, k := range []string{Present, Absent, Equals, Regex} {
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
