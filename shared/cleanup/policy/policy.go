// Package policy reads the cleanup policy document: which resources a run
// may clean up, how it recognises them and what it does to them. The
// document is data (YAML or JSON), checked at synth time and at start, and
// every mistake is reported with its path in the document, e.g.
// policies[2].filters[0].regex: invalid regex "(": ...
package policy

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/document"
)

// Default is the document shipped with the stack, used when
// COMMANDER_CLEANUP_POLICY is unset.
//
//go:embed default.yaml
var Default []byte

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

// NamePattern is what a policy's name may look like (it names the policy in
// marks, reports and metrics).
const NamePattern = `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`

var nameRE = regexp.MustCompile(NamePattern)

// DocumentFields and PolicyFields are the keys of the document and of each
// policy: what the parser accepts and the schema (shared/schema) states.
var (
	DocumentFields = []document.Field{
		{Name: "version", Doc: "the policy language's version; 1, the only one, when left out"},
		{Name: "policies", Doc: "the rules, in the order a run reports them; names are unique", Required: true},
	}
	PolicyFields = []document.Field{
		{Name: "name", Doc: "names the policy in marks, reports and metrics: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", Required: true},
		{Name: "resource", Doc: "the resource type the policy cleans up", Required: true},
		{Name: "action", Doc: "what the policy does to a matching resource once past its grace; one of the type's actions", Required: true},
		{Name: "grace", Doc: "how long after the mark the action becomes due (default COMMANDER_CLEANUP_GRACE)"},
		{Name: "finalSnapshot", Doc: "ec2:volume: take a tagged snapshot before the delete (default true)"},
		{Name: "keep", Doc: "lambda:version: how many of a function's newest published versions are never candidates (default 3)"},
		{Name: "filters", Doc: "every filter must match; at least one, so that a policy never matches everything", Required: true},
		{Name: "exclude", Doc: "a resource any of these filters matches is left alone"},
	}
)

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
	raw, err := document.Decode(doc, "policy document")
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
	m, ok := p.object(path, raw, document.Names(PolicyFields)...)
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
		p.fail(join(path, "resource"), "unknown resource type %q; accepts %s", pol.Resource, strings.Join(TypeNames(), ", "))
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
	for _, f := range pol.Exclude {
		if f.Kind == Metric {
			// Missing datapoints would fail to exclude: the resource would stay a candidate.
			p.fail(join(f.Path, Metric), "applies only under filters: missing datapoints would not exclude a resource; put the opposite test (below for above) under filters")
		}
	}
	return pol, len(p.errs) == before
}
