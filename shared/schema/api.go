package schema

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws-commander/commander/shared/api"
)

// directFields are the keys of a direct invocation, as api.DecodeRequest
// reads them (its struct direct); a null is the field left out.
var directFields = []struct {
	name string
	s    Schema
}{
	{"action", Schema{"description": "the command to run, e.g. commands.list"}},
	{"params", Schema{"type": []string{"object", "null"}, "description": "the command's parameters, by name"}},
	{"dryRun", Schema{"type": []string{"boolean", "null"}, "description": "a command that mutates only says what it would do"}},
	{"idempotencyKey", Schema{"type": []string{"string", "null"}, "description": "names the attempt of a script that retries, as the Idempotency-Key header does over HTTP"}},
}

// APIDirect is the schema of the api function's direct invocation
// {"action","params","dryRun"}, from the registry's declarations: the
// action among the registry's, and per action (if/then) its params, each
// with the type, enum, pattern, bounds and requirement its Param declares.
// Looser than Resolve on: a Go matcher (a tag key AWS or commander sets
// itself), a capture group's own length limit, an object's size in bytes,
// a string's limit in bytes (stated in characters), and integers written
// with a fraction or exponent (1.0), which the validator refuses.
func APIDirect(reg *api.Registry) (Schema, error) {
	cmds := reg.Commands()
	actions := make([]string, len(cmds))
	defs := Schema{}
	var perAction []any
	for i, c := range cmds {
		actions[i] = c.Action
		params, err := commandParams(c)
		if err != nil {
			return nil, fmt.Errorf("command %s: %w", c.Action, err)
		}
		defs["params."+c.Action] = params
		then := Schema{"properties": Schema{"params": ref("params." + c.Action)}}
		if slices.ContainsFunc(c.Params, func(p api.Param) bool { return p.Required }) {
			then["required"] = []string{"params"}
		}
		perAction = append(perAction, Schema{
			"if":   Schema{"properties": Schema{"action": Schema{"const": c.Action}}, "required": []string{"action"}},
			"then": then,
		})
	}
	props, caseless := Schema{}, Schema{}
	for _, f := range directFields {
		props[f.name] = f.s
		// encoding/json matches a struct's keys without regard to case, so
		// the function takes "DryRun" for dryRun: the schema must too.
		caseless[anyCase(f.name)] = Schema{}
	}
	props["action"] = withDoc(Schema{"enum": actions}, props["action"].(Schema)["description"].(string))
	s := Schema{
		"type": "object", "properties": props,
		// action is required, in any case: some key spells it ("required"
		// would ask for this spelling only).
		"not":               Schema{"propertyNames": Schema{"not": Schema{"pattern": anyCase("action")}}},
		"patternProperties": caseless, "additionalProperties": false,
		"allOf": perAction, "$defs": defs,
	}
	return root(APIDirectFile, "AWS Commander api direct invocation",
		`A direct invocation of the api function (the Lambda console, aws lambda invoke): {"action": "service.verb", "params": {...}, "dryRun": false}, `+
			"strict JSON (each key once, UTF-8, finite numbers); generated from the command registry (catalog.Declared), the declarations api.Resolve checks. "+
			"Resolve also checks what this schema cannot state: the rules of a few parameters written in Go (e.g. no tag key under aws: or commander's own), "+
			"a capture group's own length limit, an object parameter's size in bytes, and that an integer is written without a fraction or exponent. "+
			"Top-level keys are matched without regard to case, as the function does. See docs/API.md and docs/COMMANDS.md.", s), nil
}

// anyCase is a pattern matching name in any letter case, e.g. ^[aA][cC]...$.
func anyCase(name string) string {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range name {
		lo, up := strings.ToLower(string(r)), strings.ToUpper(string(r))
		if lo == up {
			b.WriteString(regexp.QuoteMeta(string(r)))
			continue
		}
		b.WriteString("[" + lo + up + "]")
	}
	b.WriteString("$")
	return b.String()
}

// commandParams is a command's params object: exactly its declared
// parameters (an unknown one is refused), the required ones present.
func commandParams(c api.Command) (Schema, error) {
	props := Schema{}
	var required []string
	for _, p := range c.Params {
		s, err := param(p)
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", p.Name, err)
		}
		props[p.Name] = s
		if p.Required {
			required = append(required, p.Name)
		}
	}
	s := Schema{"type": "object", "properties": props, "additionalProperties": false, "description": c.Action + ": " + c.Summary}
	if len(required) > 0 {
		s["required"] = required
	} else {
		// With nothing required, params may be left out or null.
		s["type"] = []string{"object", "null"}
	}
	return s, nil
}

// param is one parameter's value. An optional parameter may be null, which
// Resolve reads as left out.
func param(p api.Param) (Schema, error) {
	doc := p.Rule()
	if p.Doc != "" {
		doc += " — " + p.Doc
	}
	var s Schema
	var looser []string
	switch p.Type {
	case api.String:
		s = Schema{"type": "string"}
		looser = strs(s, p.Enum, p.Pattern)
		if p.Max != 0 {
			// Max is in bytes, maxLength in characters: never more characters than bytes.
			s["maxLength"] = smaller(s["maxLength"], p.Max)
		}
		if p.Required {
			s["minLength"] = 1
		}
	case api.Int, api.Number:
		s = Schema{"type": string(p.Type)}
		if p.Max != 0 {
			s["minimum"], s["maximum"] = p.Min, p.Max
		}
	case api.Bool:
		s = Schema{"type": "boolean"}
	case api.List:
		item := Schema{"type": "string"}
		looser = strs(item, p.Enum, p.Pattern)
		if acceptsEmpty(p.Enum, p.Pattern) {
			// encoding/json reads a null item as "", which this item accepts.
			item["type"] = []string{"string", "null"}
		}
		s = Schema{"type": "array", "items": item}
		if p.Max != 0 {
			s["maxItems"] = p.Max
		}
	case api.Map:
		key := Schema{"type": "string"}
		looser = strs(key, nil, p.Pattern)
		value := Schema{"type": "string"}
		looser = append(looser, strs(value, nil, p.Values)...)
		if acceptsEmpty(nil, p.Values) {
			value["type"] = []string{"string", "null"}
		}
		s = Schema{"type": "object", "propertyNames": key, "additionalProperties": value}
		if p.Max != 0 {
			s["maxProperties"] = p.Max
		}
	case api.Object:
		s = Schema{}
		if p.Max != 0 {
			looser = append(looser, fmt.Sprintf("its size (at most %d bytes)", p.Max))
		}
	default:
		return nil, fmt.Errorf("type %q has no schema", p.Type)
	}
	if len(looser) > 0 {
		doc += " (the validator also checks " + strings.Join(looser, " and ") + ")"
	}
	s["description"] = doc
	if p.Default != nil {
		s["default"] = p.Default
	}
	if !p.Required {
		nullable(s)
	}
	return s, nil
}

// strs states a string's enum and pattern on s, and says what of the
// matcher the schema leaves to the validator.
func strs(s Schema, enum []string, m api.Matcher) []string {
	if len(enum) > 0 {
		s["enum"] = slices.Clone(enum)
	}
	if m == nil {
		return nil
	}
	pattern, max, exact := matcher(m)
	if pattern != "" {
		s["pattern"] = pattern
	}
	if max > 0 {
		s["maxLength"] = max
	}
	if !exact {
		return []string{"a rule written in Go"}
	}
	return nil
}

// matcher is what a Matcher says as a pattern and a maximum length in
// characters; exact is false when the validator checks more.
func matcher(m api.Matcher) (pattern string, max int, exact bool) {
	switch x := m.(type) {
	case *regexp.Regexp:
		p, ok := portable(x.String())
		return p, 0, ok
	case api.Bounded:
		p, ok := portable(x.Regexp().String())
		return p, x.MaxLength(), ok && !x.GroupLimits()
	case api.Approximated:
		p, max, _ := matcher(x.Within())
		return p, max, false
	}
	return "", 0, false
}

// acceptsEmpty reports whether "" passes the enum and the matcher.
func acceptsEmpty(enum []string, m api.Matcher) bool {
	if len(enum) > 0 && !slices.Contains(enum, "") {
		return false
	}
	return m == nil || m.MatchString("")
}

// nullable lets s be null too.
func nullable(s Schema) {
	switch t := s["type"].(type) {
	case string:
		s["type"] = []string{t, "null"}
	case []string:
		if !slices.Contains(t, "null") {
			s["type"] = append(t, "null")
		}
	}
	if e, ok := s["enum"].([]string); ok {
		vals := make([]any, 0, len(e)+1)
		for _, v := range e {
			vals = append(vals, v)
		}
		s["enum"] = append(vals, nil)
	}
}

// smaller is the smaller of a maxLength already set (an int) and n.
func smaller(cur any, n int64) int64 {
	if c, ok := cur.(int); ok && int64(c) < n {
		return int64(c)
	}
	return n
}
