package schema

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/cleanup/policy"
)

// durationPattern is what settings.ParseDuration reads once the parser has
// trimmed the text: whole days "30d", or a Go duration such as 12h or 1h30m
// (0 alone too), never negative. The bound is left to the validator.
const durationPattern = `^` + ws + `*(?:[0-9]+d|\+?(?:0|(?:[0-9]*(?:\.[0-9]*)?(?:ns|us|µs|μs|ms|s|m|h))+))` + ws + `*$`

// duration is a duration from 0 to max: a string, or a whole number of days.
func duration(max time.Duration, doc string) Schema {
	days := int(max / (24 * time.Hour))
	return Schema{
		"description": fmt.Sprintf("%s: a duration from 0 to %dd, such as 12h or 30d, or a whole number of days (the validator checks the bound of a string)", doc, days),
		"anyOf": []any{
			Schema{"type": "integer", "minimum": 0, "maximum": days},
			Schema{"type": "string", "pattern": durationPattern},
		},
	}
}

// CleanupPolicy is the schema of the cleanup policy document
// (COMMANDER_CLEANUP_POLICY, the stack's cleanupPolicyFile), from
// policy.Types and the policy package's fields. Looser than policy.Parse
// on: unique names, a regex that must compile (RE2), the bound of a
// duration written as text, a metric window written as text being whole
// days.
func CleanupPolicy() Schema {
	defs := Schema{
		"policy":         cleanupPolicy(),
		"filter":         filter(nil, true),
		"exclude-filter": filter(nil, false),
	}
	// The kinds whose value is the same for every type, defined once.
	for _, k := range policy.FilterKinds {
		if k != policy.State && k != policy.Metric {
			defs["kind."+k] = filterKindValue(k, nil)
		}
	}
	for _, name := range policy.TypeNames() {
		t := policy.Types[name]
		defs["filter."+name] = filter(&t, true)
		defs["exclude-filter."+name] = filter(&t, false)
	}
	doc := object(policy.DocumentFields, map[string]Schema{
		"version":  {"const": 1},
		"policies": {"type": "array", "items": ref("policy")},
	})
	doc["$defs"] = defs
	return root(CleanupPolicyFile, "AWS Commander cleanup policy document",
		"The cleanup function's policies (COMMANDER_CLEANUP_POLICY, or the stack's cleanupPolicyFile), YAML or JSON; "+
			"generated from the declarations policy.Parse reads (shared/cleanup/policy). "+
			"policy.Parse also checks what this schema cannot state: unique policy names, that a regex compiles (RE2), "+
			"the bound of a duration written as text, and that a metric window written as text is whole days. "+
			"See docs/CLEANUP.md.", doc)
}

func cleanupPolicy() Schema {
	keepMax := policy.MaxKeep
	p := object(policy.PolicyFields, map[string]Schema{
		"name":          {"type": "string", "pattern": policy.NamePattern},
		"resource":      {"enum": policy.TypeNames()},
		"action":        {"type": "string", "minLength": 1},
		"grace":         duration(policy.MaxGrace, "the grace"),
		"finalSnapshot": {"type": "boolean"},
		"keep":          {"type": "integer", "minimum": 0, "maximum": keepMax},
		"filters":       {"type": "array", "minItems": 1, "items": ref("filter")},
		"exclude":       {"type": []string{"array", "null"}, "items": ref("exclude-filter")},
	})
	var perType []any
	for _, name := range policy.TypeNames() {
		t := policy.Types[name]
		props := Schema{
			"action":  Schema{"enum": t.Actions},
			"filters": Schema{"items": ref("filter." + name)},
			"exclude": Schema{"items": ref("exclude-filter." + name)},
		}
		// An option of another type is refused ("applies only to ...").
		for _, opt := range []string{"finalSnapshot", "keep"} {
			if !slices.Contains(t.Options, opt) {
				props[opt] = false
			}
		}
		perType = append(perType, Schema{
			"if":   Schema{"properties": Schema{"resource": Schema{"const": name}}, "required": []string{"resource"}},
			"then": Schema{"description": name + ": " + t.Doc, "properties": props},
		})
	}
	p["allOf"] = perType
	return p
}

// filter is one filter of type t (nil: any type, as the parser checks a
// policy whose resource it does not know); under exclude (!underFilters)
// there is no metric filter.
func filter(t *policy.Type, underFilters bool) Schema {
	kinds := policy.FilterKinds
	if t != nil {
		kinds = t.Filters
	}
	var branches []any
	for _, k := range policy.FilterKinds {
		if !slices.Contains(kinds, k) || (k == policy.Metric && !underFilters) {
			continue
		}
		if t == nil || k == policy.State || k == policy.Metric {
			branches = append(branches, filterKindValue(k, t))
		} else {
			branches = append(branches, ref("kind."+k))
		}
	}
	what := "any resource type"
	if t != nil {
		what = "this resource type: " + strings.Join(kinds, ", ")
	}
	s := Schema{"description": "a filter: a mapping with exactly one filter kind of " + what, "oneOf": branches}
	if !underFilters {
		s["description"] = s["description"].(string) + " (no metric: missing datapoints would not exclude a resource)"
	}
	return s
}

// filterKindValue is a filter of kind k on type t (nil: any type).
func filterKindValue(k string, t *policy.Type) Schema {
	if k == policy.Tag {
		props := Schema{
			policy.Tag:     Schema{"type": "string", "minLength": 1, "description": policy.FilterDocs[policy.Tag]},
			policy.Present: Schema{"const": true, "description": policy.FilterDocs[policy.Present]},
			policy.Absent:  Schema{"const": true, "description": policy.FilterDocs[policy.Absent]},
			// equals with no value (YAML "equals:") is the empty value.
			policy.Equals: Schema{"type": []string{"string", "null"}, "description": policy.FilterDocs[policy.Equals]},
			policy.Regex:  Schema{"type": "string", "minLength": 1, "description": policy.FilterDocs[policy.Regex] + "; the validator checks that it compiles"},
		}
		return Schema{"type": "object", "required": []string{policy.Tag}, "properties": props,
			"additionalProperties": false, "oneOf": exactlyOne(policy.TagTests)}
	}
	var v Schema
	switch k {
	case policy.Age, policy.StoppedFor, policy.StateFor, policy.UnusedFor:
		v = duration(policy.MaxFilterDuration, k)
	case policy.State:
		states := Schema{"type": "string"}
		if t != nil {
			states = Schema{"enum": t.States}
		}
		v = Schema{"anyOf": []any{states, Schema{"type": "array", "minItems": 1, "items": states}}}
	case policy.Expired, policy.VolumeGone, policy.InstanceGone:
		v = Schema{"type": "boolean"}
	case policy.Name:
		v = Schema{"type": "string", "minLength": 1, "description": "the validator checks that it compiles (RE2)"}
	case policy.Metric:
		v = metric(t)
	}
	return Schema{"type": "object", "required": []string{k}, "additionalProperties": false,
		"properties": Schema{k: withDoc(v, policy.FilterDocs[k])}}
}

func metric(t *policy.Type) Schema {
	name := Schema{"type": "string", "minLength": 1}
	if t != nil && t.Metrics != nil {
		name = Schema{"enum": t.Metrics.Names, "description": "in " + t.Metrics.Namespace + ", by " + t.Metrics.Dimension}
	}
	threshold := Schema{"type": "number", "minimum": 0}
	s := object(policy.MetricFields, map[string]Schema{
		"name":  name,
		"stat":  {"enum": policy.Stats},
		"below": threshold,
		"above": threshold,
		"for": {"anyOf": []any{
			Schema{"type": "integer", "minimum": 1, "maximum": policy.MaxMetricDays},
			Schema{"type": "string", "pattern": durationPattern, "description": "the validator checks it is whole days within the bound"},
		}},
	})
	s["oneOf"] = exactlyOne([]string{"below", "above"})
	return s
}
