// Package policy reads the cleanup policy document: which resources a run
// may clean up, how it recognises them and what it does to them. The
// document is data (YAML or JSON), checked at synth time and at start, and
// every mistake is reported with its path in the document, e.g.
// policies[2].filters[0].regex: invalid regex "(": ...
package policy

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/aws-commander/commander/shared/strictjson"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/settings"
	"gopkg.in/yaml.v3"
)

// Default is the document shipped with the stack, used when
// COMMANDER_CLEANUP_POLICY is unset.
//
//go:embed default.yaml
var Default []byte

// Resource types the cleanup job knows.
const (
	EC2Instance = "ec2:instance"
	EC2Volume   = "ec2:volume"
	EC2Snapshot = "ec2:snapshot"
	EC2Address  = "ec2:address"
	EC2Image    = "ec2:image"
	// CloudWatchAlarm is a metric alarm.
	CloudWatchAlarm = "cloudwatch:alarm"
	// IAMRole is a role this system created (commander:managed-by=commander).
	IAMRole            = "iam:role"
	IAMInstanceProfile = "iam:instance-profile"
	// S3Bucket is a bucket this system created (commander:managed-by=commander).
	S3Bucket = "s3:bucket"
	// LambdaFunction is a function this system created (commander:managed-by=commander).
	LambdaFunction = "lambda:function"
	// LambdaVersion is a published version of a function this system created,
	// beyond the newest Keep and with no alias pointing to it.
	LambdaVersion = "lambda:version"
	// S3MultipartUpload is an incomplete multipart upload in a bucket this system created.
	S3MultipartUpload = "s3:multipart-upload"
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

// Type says what a policy on one resource type may ask for.
type Type struct {
	Actions []string
	Filters []string
	States  []string
	Options []string // extra policy keys the type accepts
}

// Types are the resource types, their actions, filters and states.
var Types = map[string]Type{
	EC2Instance: {
		Actions: []string{"terminate", "stop"},
		Filters: []string{Age, StoppedFor, State, Expired, Tag, Name},
		States:  []string{"pending", "running", "stopping", "stopped"},
	},
	EC2Volume: {
		Actions: []string{"delete"},
		Filters: []string{Age, State, Expired, Tag, Name},
		States:  []string{"creating", "available", "in-use", "error"},
		Options: []string{"finalSnapshot"},
	},
	EC2Snapshot: {
		Actions: []string{"delete"},
		Filters: []string{Age, Expired, Tag, Name, VolumeGone},
	},
	EC2Image: {
		Actions: []string{"deregister"}, // and delete the AMI's snapshots
		Filters: []string{Age, State, Expired, Tag, Name},
		States:  []string{"available", "pending", "failed", "error"},
	},
	CloudWatchAlarm: {
		Actions: []string{"delete"},
		Filters: []string{Age, State, StateFor, InstanceGone, Expired, Tag, Name},
		States:  []string{"OK", "ALARM", "INSUFFICIENT_DATA"},
	},
	IAMRole: {
		Actions: []string{"delete"}, // with its policies and instance profiles
		Filters: []string{Age, UnusedFor, Expired, Tag, Name},
	},
	IAMInstanceProfile: {
		Actions: []string{"delete"},
		Filters: []string{Age, State, Expired, Tag, Name},
		States:  []string{"empty", "in-use"},
	},
	S3Bucket: {
		Actions: []string{"delete"}, // only ever an empty bucket: DeleteBucket refuses others
		Filters: []string{Age, State, Expired, Tag, Name},
		States:  []string{"empty", "not-empty"},
	},
	LambdaFunction: {
		Actions: []string{"delete"}, // with its versions and aliases
		Filters: []string{Age, Expired, Tag, Name},
	},
	LambdaVersion: {
		Actions: []string{"delete"},       // never $LATEST, never a version an alias points to
		Filters: []string{Age, Tag, Name}, // tag and name are the function's
		Options: []string{"keep"},
	},
	S3MultipartUpload: {
		Actions: []string{"abort"},
		Filters: []string{Age, Tag, Name}, // age since initiation; tag and name are the bucket's
	},
	EC2Address: {
		Actions: []string{"release"},
		Filters: []string{State, Tag, Name},
		States:  []string{"associated", "unassociated"},
	},
}

// Document is a parsed, valid policy document.
type Document struct {
	Version  int
	Policies []Policy
}

// Policy is one rule: resources of one type that match every filter and no
// exclusion get the action, grace after they were first marked.
type Policy struct {
	Path          string // where it is in the document, e.g. policies[2]
	Name          string
	Resource      string
	Action        string
	Grace         time.Duration // when GraceSet; otherwise COMMANDER_CLEANUP_GRACE
	GraceSet      bool
	FinalSnapshot bool // ec2:volume: snapshot before delete (default true)
	// Keep is, for lambda:version, how many of the newest published versions
	// are never candidates (default DefaultKeep).
	Keep    int
	Filters []Filter
	Exclude []Filter
}

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

// ForType are the policies on resource type t, in document order.
func (d Document) ForType(t string) []Policy {
	var out []Policy
	for _, p := range d.Policies {
		if p.Resource == t {
			out = append(out, p)
		}
	}
	return out
}

// GraceOr is the policy's grace, or def when the policy sets none.
func (p Policy) GraceOr(def time.Duration) time.Duration {
	if p.GraceSet {
		return p.Grace
	}
	return def
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// DefaultKeep is how many of a function's newest published versions a
// lambda:version policy keeps when it sets no keep.
const DefaultKeep = 3

// MaxKeep bounds keep (Lambda functions rarely have more versions than this).
const MaxKeep = 10000

// MaxGrace bounds a policy's grace, as COMMANDER_CLEANUP_GRACE is bounded.
const MaxGrace = 365 * 24 * time.Hour

// Parse reads a YAML or JSON document and checks it completely. The error
// lists every problem, one per line, each starting with its path.
func Parse(doc []byte) (Document, error) {
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 {
		return Document{}, errors.New("policy document is empty")
	}
	var raw any
	if doc[0] == '{' {
		// One strict decoder: a key given twice is refused, not last-wins.
		if err := strictjson.Check(doc); err != nil {
			return Document{}, fmt.Errorf("policy document is not valid JSON (strict: each key once, UTF-8, finite numbers): %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		if err := dec.Decode(&raw); err != nil {
			return Document{}, fmt.Errorf("policy document is not valid JSON: %w", err)
		}
	} else if err := yaml.Unmarshal(doc, &raw); err != nil {
		return Document{}, fmt.Errorf("policy document is not valid YAML: %w", err)
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

// object checks that v is a mapping with only the allowed keys.
func (p *parser) object(path string, v any, allowed ...string) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		p.fail(path, "must be a mapping, got %s", kind(v))
		return nil, false
	}
	for _, k := range sortedKeys(m) {
		if !slices.Contains(allowed, k) {
			p.fail(join(path, k), "unknown field; accepts %s", strings.Join(allowed, ", "))
		}
	}
	return m, true
}

func (p *parser) document(raw any) Document {
	m, ok := p.object("document", raw, "version", "policies")
	if !ok {
		return Document{}
	}
	d := Document{Version: 1}
	if v, ok := m["version"]; ok {
		if n, ok := number(v); !ok || n != 1 {
			p.fail("version", "%s is not supported; accepts 1", show(v))
		}
	}
	list, ok := m["policies"].([]any)
	if !ok {
		p.fail("policies", "required: a list of policies")
		return d
	}
	names := map[string]string{}
	for i, item := range list {
		path := fmt.Sprintf("policies[%d]", i)
		pol, ok := p.policy(path, item)
		if !ok {
			continue
		}
		if first, dup := names[pol.Name]; dup {
			p.fail(path+".name", "%q is already the name of %s; names must be unique", pol.Name, first)
		}
		names[pol.Name] = path
		d.Policies = append(d.Policies, pol)
	}
	return d
}

func (p *parser) policy(path string, raw any) (Policy, bool) {
	m, ok := p.object(path, raw, "name", "resource", "action", "grace", "finalSnapshot", "keep", "filters", "exclude")
	if !ok {
		return Policy{}, false
	}
	pol := Policy{Path: path, FinalSnapshot: true, Keep: DefaultKeep}
	before := len(p.errs)
	pol.Name = p.str(join(path, "name"), m["name"], true)
	if pol.Name != "" && !nameRE.MatchString(pol.Name) {
		p.fail(join(path, "name"), "%q is invalid: accepts 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", pol.Name)
	}
	pol.Resource = p.str(join(path, "resource"), m["resource"], true)
	t, known := Types[pol.Resource]
	if pol.Resource != "" && !known {
		p.fail(join(path, "resource"), "unknown resource type %q; accepts %s", pol.Resource, strings.Join(typeNames(), ", "))
	}
	pol.Action = p.str(join(path, "action"), m["action"], true)
	if known && pol.Action != "" && !slices.Contains(t.Actions, pol.Action) {
		p.fail(join(path, "action"), "unknown action %q for %s; accepts %s", pol.Action, pol.Resource, strings.Join(t.Actions, ", "))
	}
	if v, ok := m["grace"]; ok {
		pol.Grace, pol.GraceSet = p.duration(join(path, "grace"), v, MaxGrace), true
	}
	if v, ok := m["finalSnapshot"]; ok {
		if known && !slices.Contains(t.Options, "finalSnapshot") {
			p.fail(join(path, "finalSnapshot"), "applies only to %s", EC2Volume)
		}
		b, isBool := v.(bool)
		if !isBool {
			p.fail(join(path, "finalSnapshot"), "%s is invalid: accepts true or false", show(v))
		}
		pol.FinalSnapshot = b
	}
	if v, ok := m["keep"]; ok {
		if known && !slices.Contains(t.Options, "keep") {
			p.fail(join(path, "keep"), "applies only to %s", LambdaVersion)
		}
		n, isNum := number(v)
		if !isNum || n != math.Trunc(n) || n < 0 || n > MaxKeep {
			p.fail(join(path, "keep"), "%s is invalid: accepts a whole number of versions from 0 to %d", show(v), MaxKeep)
		}
		pol.Keep = int(n)
	}
	pol.Filters = p.filters(join(path, "filters"), m["filters"], t, known, true)
	pol.Exclude = p.filters(join(path, "exclude"), m["exclude"], t, known, false)
	return pol, len(p.errs) == before
}

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

func (p *parser) regex(path string, v any) *regexp.Regexp {
	s, ok := v.(string)
	if !ok || s == "" {
		p.fail(path, "%s is invalid: accepts a regular expression (RE2 syntax)", show(v))
		return nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		p.fail(path, "invalid regex %q: %v", s, err)
		return nil
	}
	return re
}

func (p *parser) str(path string, v any, required bool) string {
	if v == nil {
		if required {
			p.fail(path, "required")
		}
		return ""
	}
	s, ok := v.(string)
	if !ok {
		p.fail(path, "%s is invalid: accepts a string", show(v))
	}
	return s
}

// duration accepts "30d", "12h", "90m" or a whole number of days.
func (p *parser) duration(path string, v any, max time.Duration) time.Duration {
	accepts := fmt.Sprintf("a duration from 0 to %s, such as 12h or 30d, or a whole number of days", settings.FormatDuration(max))
	if n, ok := number(v); ok {
		if n < 0 {
			p.fail(path, "%s is negative; accepts %s", show(v), accepts)
			return 0
		}
		if n != math.Trunc(n) || n*24 > max.Hours() {
			p.fail(path, "%s is invalid: accepts %s", show(v), accepts)
			return 0
		}
		return time.Duration(n) * 24 * time.Hour
	}
	s, ok := v.(string)
	if !ok {
		p.fail(path, "%s is invalid: accepts %s", show(v), accepts)
		return 0
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") {
		p.fail(path, "%q is negative; accepts %s", s, accepts)
		return 0
	}
	d, err := settings.ParseDuration(s)
	if err != nil || d < 0 || d > max {
		p.fail(path, "%q is invalid: accepts %s", s, accepts)
		return 0
	}
	return d
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	if _, ok := number(v); ok {
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

func show(v any) string {
	if v == nil {
		return "nothing"
	}
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

func join(path, key string) string {
	if path == "document" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func typeNames() []string {
	names := make([]string, 0, len(Types))
	for n := range Types {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
