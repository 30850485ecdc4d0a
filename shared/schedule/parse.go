package schedule

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/document"
)

// Default is the document shipped with the stack, used when
// COMMANDER_SCHEDULES is unset.
const Default = `schedules:
  - name: office-hours
    timezone: Europe/Paris          # IANA name; DST handled
    enforce: false                  # true = re-apply the wanted state at every run
    periods:
      - days: [mon, tue, wed, thu, fri]
        start: "08:00"              # running from here
        stop: "19:00"               # stopped from here
`

// NamePattern is what a schedule's name may look like: it becomes the value
// of the commander:schedule tag.
const NamePattern = `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`

var nameRE = regexp.MustCompile(NamePattern)

// ClockPattern is the "HH:MM" a start or stop is written in (00:00 to
// 23:59, two digits each): what minutes accepts, stated as a regular
// expression for the schema (TestClockPattern keeps the two in step).
const ClockPattern = `^([01][0-9]|2[0-3]):[0-5][0-9]$`

// DayNames are the days a period names, Monday first.
var DayNames = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// The keys of the document, of a schedule and of a period: what the parser
// accepts and the schema (shared/schema) states.
var (
	DocumentFields = []document.Field{
		{Name: "schedules", Doc: "the office-hours schedules; names are unique", Required: true},
	}
	ScheduleFields = []document.Field{
		{Name: "name", Doc: "the value of the commander:schedule tag that puts an instance on this schedule: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", Required: true},
		{Name: "timezone", Doc: "the IANA time zone the periods' times are wall-clock times in, such as Europe/Paris (not Local); DST handled", Required: true},
		{Name: "enforce", Doc: "true: re-apply the wanted state at every run, even over a manual change (default false)"},
		{Name: "periods", Doc: "running wins over stopped, stopped over no opinion", Required: true},
	}
	PeriodFields = []document.Field{
		{Name: "days", Doc: "the days the period starts on, each once", Required: true},
		{Name: "start", Doc: "HH:MM: wanted running from here"},
		{Name: "stop", Doc: "HH:MM: wanted stopped from here; before start, the period crosses midnight"},
	}
)

// Parse reads a YAML or JSON document and checks it completely: the error
// lists every problem, one per line, each starting with its path.
func Parse(data []byte) (Document, error) {
	raw, err := document.Decode(data, "schedules document")
	if err != nil {
		return Document{}, err
	}
	p := &parser{}
	d := p.document(raw)
	if len(p.errs) > 0 {
		return Document{}, errors.Join(p.errs...)
	}
	return d, nil
}

type parser struct{ errs []error }

func (p *parser) fail(path, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

func (p *parser) document(raw any) Document {
	m, ok := p.object("document", raw, document.Names(DocumentFields)...)
	if !ok {
		return Document{}
	}
	list, ok := p.list("schedules", m["schedules"], "schedules")
	if !ok {
		return Document{}
	}
	var d Document
	names := map[string]string{}
	for i, item := range list {
		path := fmt.Sprintf("schedules[%d]", i)
		s, ok := p.schedule(path, item)
		if first, dup := names[s.Name]; dup {
			p.fail(path+".name", "%q is already the name of %s; names must be unique", s.Name, first)
		} else if s.Name != "" {
			names[s.Name] = path
		}
		if ok {
			d.Schedules = append(d.Schedules, s)
		}
	}
	return d
}

func (p *parser) schedule(path string, raw any) (Schedule, bool) {
	m, ok := p.object(path, raw, document.Names(ScheduleFields)...)
	if !ok {
		return Schedule{}, false
	}
	before := len(p.errs)
	var s Schedule
	if s.Name, ok = p.str(path+".name", m["name"]); ok && !nameRE.MatchString(s.Name) {
		p.fail(path+".name", "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (it is a tag value), got %q", s.Name)
		s.Name = ""
	}
	if s.Timezone, ok = p.str(path+".timezone", m["timezone"]); ok {
		s.loc = p.zone(path+".timezone", s.Timezone)
	}
	if v, set := m["enforce"]; set {
		if s.Enforce, ok = v.(bool); !ok {
			p.fail(path+".enforce", "must be true or false, got %s", show(v))
		}
	}
	if list, ok := p.list(path+".periods", m["periods"], "periods"); ok {
		for i, item := range list {
			s.Periods = append(s.Periods, p.period(fmt.Sprintf("%s.periods[%d]", path, i), item))
		}
	}
	return s, len(p.errs) == before
}

func (p *parser) zone(path, name string) *time.Location {
	if name == "Local" {
		// Local is whatever zone the machine has (UTC in Lambda): never what was meant.
		p.fail(path, `must be an IANA time zone name such as Europe/Paris, got "Local" (the machine's own zone)`)
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		p.fail(path, "must be an IANA time zone name such as Europe/Paris, got %q", name)
		return nil
	}
	return loc
}

func (p *parser) period(path string, raw any) Period {
	m, ok := p.object(path, raw, document.Names(PeriodFields)...)
	if !ok {
		return Period{}
	}
	var per Period
	days, _ := p.list(path+".days", m["days"], "days from "+strings.Join(DayNames, ", "))
	seen := map[string]bool{}
	for i, v := range days {
		name, _ := v.(string)
		at := fmt.Sprintf("%s.days[%d]", path, i)
		if i := slices.Index(DayNames, name); i < 0 {
			p.fail(at, "must be one of %s, got %s", strings.Join(DayNames, ", "), show(v))
		} else if seen[name] {
			p.fail(at, "%q is listed twice", name)
		} else {
			seen[name] = true
			per.Days = append(per.Days, time.Weekday((i+1)%7))
		}
	}
	per.Start = p.clock(path, "start", m)
	per.Stop = p.clock(path, "stop", m)
	_, hasStart := m["start"]
	_, hasStop := m["stop"]
	switch {
	case !hasStart && !hasStop:
		p.fail(path, "must set start, stop or both")
	case per.Start != "" && per.Start == per.Stop:
		p.fail(path+".stop", "must differ from start, got %q for both", per.Stop)
	}
	return per
}

// clock reads an optional "HH:MM"; a key present with another value is an error.
func (p *parser) clock(path, key string, m map[string]any) string {
	v, set := m[key]
	if !set {
		return ""
	}
	s, _ := v.(string)
	if _, ok := minutes(s); !ok {
		p.fail(path+"."+key, "must be a time HH:MM (00:00–23:59), got %s", show(v))
		return ""
	}
	return s
}

// minutes reads "HH:MM", exactly two digits each, as minutes after midnight.
func minutes(s string) (int, bool) {
	t, err := time.Parse("15:04", s) // alone, it would also take "8:00"
	return t.Hour()*60 + t.Minute(), err == nil && len(s) == 5
}

func (p *parser) str(path string, v any) (string, bool) {
	s, ok := v.(string)
	switch {
	case v == nil:
		p.fail(path, "required")
	case !ok || s == "":
		p.fail(path, "must be a non-empty string, got %s", show(v))
	}
	return s, ok && s != ""
}

func (p *parser) list(path string, v any, what string) ([]any, bool) {
	l, ok := v.([]any)
	switch {
	case v == nil:
		p.fail(path, "required: a non-empty list of %s", what)
	case !ok || len(l) == 0:
		p.fail(path, "must be a non-empty list of %s, got %s", what, show(v))
	}
	return l, ok && len(l) > 0
}

// object checks that v is a mapping with only the allowed keys.
func (p *parser) object(path string, v any, allowed ...string) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if _, odd := v.(map[any]any); odd {
		p.fail(path, "every key must be a string, one of %s", strings.Join(allowed, ", "))
		return nil, false
	}
	if !ok {
		p.fail(path, "must be a mapping with the keys %s, got %s", strings.Join(allowed, ", "), show(v))
		return nil, false
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			at := path + "." + k
			if path == "document" {
				at = k
			}
			p.fail(at, "unknown key; accepts %s", strings.Join(allowed, ", "))
		}
	}
	return m, true
}

// show names a value in an error: strings quoted, containers by kind.
func show(v any) string {
	switch v := v.(type) {
	case nil:
		return "nothing"
	case string:
		return fmt.Sprintf("%q", v)
	case []any:
		if len(v) == 0 {
			return "an empty list"
		}
		return "a list"
	case map[string]any, map[any]any:
		// yaml.v3 gives map[any]any when a key is not a string (1: x).
		return "a mapping"
	}
	return fmt.Sprint(v)
}
