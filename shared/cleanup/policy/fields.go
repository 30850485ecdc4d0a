package policy

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/settings"
)

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

// str reads a string; a required one must also be non-empty (an empty
// resource, action or tag key would silently match nothing).
func (p *parser) str(path string, v any, required bool) string {
	if v == nil || (required && v == "") {
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
