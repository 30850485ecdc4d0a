package api

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Type of a parameter's value.
type Type string

const (
	String Type = "string"
	Int    Type = "integer"
	Number Type = "number" // float64
	Bool   Type = "boolean"
	List   Type = "list"   // of strings; a query or path value is comma-separated
	Map    Type = "map"    // string to string; only in a JSON body or params
	Object Type = "object" // any JSON, decoded by the command (e.g. CORS rules)
)

// Param is one parameter of a command, declared once: both entry points
// validate against it and commands.list shows it.
type Param struct {
	Name     string   `json:"name"`
	Type     Type     `json:"type"`
	Required bool     `json:"required,omitempty"`
	Default  any      `json:"default,omitempty"`
	Doc      string   `json:"doc,omitempty"`
	Enum     []string `json:"enum,omitempty"`    // String or each List item
	Pattern  Matcher  `json:"-"`                 // String, each List item, each Map key
	Values   Matcher  `json:"-"`                 // each Map value (nil: any string)
	Accepts  string   `json:"accepts,omitempty"` // what Pattern means, in words
	Min      int64    `json:"min,omitempty"`     // Int
	Max      int64    `json:"max,omitempty"`     // Int value; String/Object bytes; List/Map items (0: no bound)
}

// Rule says in words what the parameter accepts.
func (p Param) Rule() string {
	var r string
	switch p.Type {
	case Int:
		r = "an integer"
		if p.Max != 0 {
			r = fmt.Sprintf("an integer from %d to %d", p.Min, p.Max)
		}
	case Number:
		r = "a number"
		if p.Max != 0 {
			r = fmt.Sprintf("a number from %d to %d", p.Min, p.Max)
		}
	case Bool:
		r = "true or false"
	case List:
		r = "a list of strings (comma-separated in a query)"
	case Map:
		r = "a JSON object of string values"
	case Object:
		r = "a JSON value"
	default:
		r = "a string"
	}
	switch {
	case len(p.Enum) > 0:
		r += " among " + strings.Join(p.Enum, ", ")
	case p.Accepts != "":
		r += ": " + p.Accepts
	}
	if p.Max != 0 && p.Type != Int && p.Type != Number {
		unit := "bytes"
		if p.Type == List || p.Type == Map {
			unit = "items"
		}
		r += fmt.Sprintf(" (at most %d %s)", p.Max, unit)
	}
	return r
}

// value is one raw parameter: JSON from a body or direct params, or text
// from a path or query.
type value struct {
	json json.RawMessage
	text *string
}

// parse converts v to the parameter's Go type (string, int64, bool,
// []string, map[string]string, json.RawMessage) and checks the rule.
func (p Param) parse(v value) (any, *Error) {
	bad := func() *Error { return Invalid(p.Name, p.Rule()) }
	var out any
	switch {
	case v.text != nil:
		s := *v.text
		switch p.Type {
		case String:
			out = s
		case Int:
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				return nil, bad()
			}
			out = n
		case Number:
			f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, bad()
			}
			out = f
		case Bool:
			b, err := strconv.ParseBool(strings.TrimSpace(s))
			if err != nil {
				return nil, bad()
			}
			out = b
		case List:
			var items []string
			for _, it := range strings.Split(s, ",") {
				if it = strings.TrimSpace(it); it != "" {
					items = append(items, it)
				}
			}
			out = items
		case Object:
			if !json.Valid([]byte(s)) {
				return nil, bad()
			}
			out = json.RawMessage(s)
		default:
			return nil, Invalid(p.Name, p.Rule()+"; send it in the JSON body")
		}
	default:
		switch p.Type {
		case String:
			var s string
			if json.Unmarshal(v.json, &s) != nil {
				return nil, bad()
			}
			out = s
		case Int:
			// A JSON body sends a number as a number: "10" is refused, not
			// converted (a query or path value is text and is parsed above).
			// (json.Number would also take a quoted number: look at the token.)
			var f json.Number
			if b := strings.TrimSpace(string(v.json)); b == "" || b[0] == '"' || json.Unmarshal(v.json, &f) != nil {
				return nil, bad()
			}
			n, err := f.Int64()
			if err != nil {
				return nil, bad()
			}
			out = n
		case Number:
			var f float64
			if json.Unmarshal(v.json, &f) != nil {
				return nil, bad()
			}
			out = f
		case Bool:
			var b bool
			if json.Unmarshal(v.json, &b) != nil {
				return nil, bad()
			}
			out = b
		case List:
			// In JSON a list is an array: "a,b" is a string, refused rather
			// than split (only a query, which has no arrays, comma-separates).
			var items []string
			if json.Unmarshal(v.json, &items) != nil || items == nil {
				return nil, Invalid(p.Name, p.Rule()+"; in a JSON body or params, a JSON array of strings")
			}
			out = items
		case Map:
			var m map[string]string
			if json.Unmarshal(v.json, &m) != nil || m == nil {
				return nil, bad()
			}
			out = m
		case Object:
			out = v.json
		}
	}
	if err := p.check(out); err != nil {
		return nil, err
	}
	return out, nil
}

func (p Param) check(out any) *Error {
	bad := Invalid(p.Name, p.Rule())
	okString := func(s string) bool {
		if len(p.Enum) > 0 && !slices.Contains(p.Enum, s) {
			return false
		}
		return p.Pattern == nil || p.Pattern.MatchString(s)
	}
	switch x := out.(type) {
	case string:
		if !okString(x) || (p.Max != 0 && int64(len(x)) > p.Max) {
			return bad
		}
		if p.Required && x == "" {
			return bad
		}
	case int64:
		if p.Max != 0 && (x < p.Min || x > p.Max) {
			return bad
		}
	case float64:
		if p.Max != 0 && (x < float64(p.Min) || x > float64(p.Max)) {
			return bad
		}
	case []string:
		if p.Max != 0 && int64(len(x)) > p.Max {
			return bad
		}
		for _, it := range x {
			if !okString(it) {
				return Invalid(p.Name, fmt.Sprintf("%s; item %q does not", p.Rule(), truncate(it, 64)))
			}
		}
	case map[string]string:
		if p.Max != 0 && int64(len(x)) > p.Max {
			return bad
		}
		for k, v := range x {
			if p.Pattern != nil && !p.Pattern.MatchString(k) {
				return Invalid(p.Name, fmt.Sprintf("%s; key %q does not", p.Rule(), truncate(k, 64)))
			}
			if p.Values != nil && !p.Values.MatchString(v) {
				return Invalid(p.Name, fmt.Sprintf("%s; the value of %q does not", p.Rule(), truncate(k, 64)))
			}
		}
	case json.RawMessage:
		if p.Max != 0 && int64(len(x)) > p.Max {
			return bad
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// Params are a command's validated parameters, by name, typed per declaration.
type Params map[string]any

// Has reports whether the caller gave name (or it has a default).
func (p Params) Has(name string) bool { _, ok := p[name]; return ok }

func (p Params) Str(name string) string    { s, _ := p[name].(string); return s }
func (p Params) Int(name string) int64     { n, _ := p[name].(int64); return n }
func (p Params) Float(name string) float64 { f, _ := p[name].(float64); return f }
func (p Params) Bool(name string) bool     { b, _ := p[name].(bool); return b }
func (p Params) List(name string) []string { l, _ := p[name].([]string); return l }
func (p Params) Raw(name string) json.RawMessage {
	r, _ := p[name].(json.RawMessage)
	return r
}
func (p Params) Map(name string) map[string]string {
	m, _ := p[name].(map[string]string)
	return m
}

// Decode unmarshals an Object parameter into v, naming the field on failure.
func (p Params) Decode(name string, v any, rule string) error {
	raw := p.Raw(name)
	if raw == nil {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return Invalid(name, rule)
	}
	return nil
}
