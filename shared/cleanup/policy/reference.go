package policy

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Reference sections of docs/CLEANUP.md generated from Types, by the name
// of their markers (<!-- NAME:begin --> ... <!-- NAME:end -->).
const (
	SectionKinds = "kinds"     // the resource types: vocabulary, scope, order
	SectionIAM   = "kinds-iam" // the permissions each type needs
	// SectionMetrics: the metric filter's defaults of each type that has one.
	SectionMetrics = "kinds-metrics"
)

// Reference renders the generated sections of docs/CLEANUP.md from the
// declarations, so the table a policy author reads is the one the
// validator, the engine and the stack read. TestKindsReference fails when
// the file is stale; -update rewrites it.
func Reference() map[string]string {
	var k, iam, met strings.Builder
	met.WriteString("| resource | namespace | dimension (the resource's id) | metrics | a day without a datapoint |\n|---|---|---|---|---|\n")
	k.WriteString("| resource | scope | actions | filters | states | options | cleaned up after | notes |\n|---|---|---|---|---|---|---|---|\n")
	iam.WriteString("| resource | actions, on what |\n|---|---|\n")
	for _, name := range TypeNames() {
		t := Types[name]
		scope := "regional"
		if t.Global {
			scope = "global"
		}
		fmt.Fprintf(&k, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", name, scope, code(t.Actions), strings.Join(t.Filters, ", "),
			strings.Join(t.States, ", "), code(t.Options), code(t.After), cell(t.Doc))
		var grants []string
		for _, g := range t.IAM {
			on := "`" + g.Resource + "`"
			if g.Resource == AnyResource {
				on = "`*` (no resource-level permission)"
			}
			grants = append(grants, code(g.Actions)+" on "+on+conditions(g.Conditions))
		}
		fmt.Fprintf(&iam, "| `%s` | %s |\n", name, cell(strings.Join(grants, "; ")))
		if m := t.Metrics; m != nil {
			missing := "unknown: the resource does not match"
			if len(m.Sparse) > 0 {
				missing = "unknown, except for " + code(m.Sparse) + " (sent only when nonzero): none, on days after the resource's `age` time"
			}
			fmt.Fprintf(&met, "| `%s` | `%s` | `%s` | %s | %s |\n", name, m.Namespace, m.Dimension, code(m.Names), cell(missing))
		}
	}
	return map[string]string{SectionKinds: k.String(), SectionIAM: iam.String(), SectionMetrics: met.String()}
}

// UpdateSections replaces the text between each section's markers in doc
// with sections[name]; every section must have its two markers, once.
func UpdateSections(doc []byte, sections map[string]string) ([]byte, error) {
	names := make([]string, 0, len(sections))
	for n := range sections {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		begin, end := []byte("<!-- "+n+":begin -->\n"), []byte("<!-- "+n+":end -->")
		i, j := bytes.Index(doc, begin), bytes.Index(doc, end)
		if i < 0 || j < i || bytes.Count(doc, begin) != 1 || bytes.Count(doc, end) != 1 {
			return nil, fmt.Errorf("section %s: want one %q line followed by one %q", n, strings.TrimSpace(string(begin)), end)
		}
		doc = slices.Concat(doc[:i+len(begin)], []byte(sections[n]), doc[j:])
	}
	return doc, nil
}

// code is a list of `names`.
func code(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return "`" + strings.Join(list, "`, `") + "`"
}

func conditions(c map[string]map[string]string) string {
	var out []string
	for op, kv := range c {
		for k, v := range kv {
			out = append(out, fmt.Sprintf(" if `%s` %s `%s`", k, op, v))
		}
	}
	sort.Strings(out)
	return strings.Join(out, " and")
}

// cell makes text safe in a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
