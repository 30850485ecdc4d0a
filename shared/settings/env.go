// Package settings reads AWS Commander's configuration from environment
// variables once, at start, and refuses a bad value with a message that names
// the variable, the value and what it accepts.
package settings

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Env reads typed values from a getenv function and collects every problem,
// so that one start reports all bad variables at once. Function packages use
// it for their own variables, so every variable in the system fails the same way.
type Env struct {
	get  func(string) string
	errs []error
}

// NewEnv reads from get (os.Getenv at the edge, a map in tests and at synth).
func NewEnv(get func(string) string) *Env { return &Env{get: get} }

// Err is every problem found so far, one per line, or nil.
func (e *Env) Err() error { return errors.Join(e.errs...) }

// Fail records a problem with a variable whose rule the typed getters cannot express.
func (e *Env) Fail(name, value, accepts string) {
	e.errs = append(e.errs, &InvalidError{Name: name, Value: value, Accepts: accepts})
}

// InvalidError names the variable, the value it had and what it accepts.
type InvalidError struct {
	Name, Value, Accepts string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("%s=%q is invalid: accepts %s", e.Name, e.Value, e.Accepts)
}

func (e *Env) raw(name string) (string, bool) {
	v := strings.TrimSpace(e.get(name))
	return v, v != ""
}

// String returns the value or def when unset.
func (e *Env) String(name, def string) string {
	if v, ok := e.raw(name); ok {
		return v
	}
	return def
}

// Match returns the value when it matches re (def when unset).
func (e *Env) Match(name, def string, re *regexp.Regexp, accepts string) string {
	v, ok := e.raw(name)
	if !ok {
		return def
	}
	if !re.MatchString(v) {
		e.Fail(name, v, accepts)
		return def
	}
	return v
}

// Enum returns the value when it is one of allowed (def when unset).
func (e *Env) Enum(name, def string, allowed ...string) string {
	v, ok := e.raw(name)
	if !ok {
		return def
	}
	if !slices.Contains(allowed, v) {
		e.Fail(name, v, "one of "+strings.Join(allowed, ", "))
		return def
	}
	return v
}

// Int returns an integer within [min, max] (def when unset).
func (e *Env) Int(name string, def, min, max int) int {
	v, ok := e.raw(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		e.Fail(name, v, fmt.Sprintf("a whole number from %d to %d", min, max))
		return def
	}
	return n
}

// Float returns a number within [min, max] (def when unset).
func (e *Env) Float(name string, def, min, max float64) float64 {
	v, ok := e.raw(name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < min || f > max {
		e.Fail(name, v, fmt.Sprintf("a number from %g to %g", min, max))
		return def
	}
	return f
}

// Bool returns true/false (def when unset).
func (e *Env) Bool(name string, def bool) bool {
	v, ok := e.raw(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.Fail(name, v, "true or false")
		return def
	}
	return b
}

// Duration returns a positive duration within [min, max] (def when unset).
// Besides Go durations ("90m", "1h30m") it accepts whole days ("7d").
func (e *Env) Duration(name string, def, min, max time.Duration) time.Duration {
	v, ok := e.raw(name)
	if !ok {
		return def
	}
	d, err := ParseDuration(v)
	if err != nil || d < min || d > max {
		e.Fail(name, v, fmt.Sprintf("a duration from %s to %s, such as 15m, 12h or 7d", FormatDuration(min), FormatDuration(max)))
		return def
	}
	return d
}

// List returns the comma-separated values, each checked by re (def when unset).
func (e *Env) List(name string, def []string, re *regexp.Regexp, accepts string) []string {
	v, ok := e.raw(name)
	if !ok {
		return def
	}
	var out []string
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" || !re.MatchString(item) {
			e.Fail(name, v, "a comma-separated list of "+accepts)
			return def
		}
		if !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	return out
}

var daysRE = regexp.MustCompile(`^(\d+)d$`)

// ParseDuration parses a Go duration or a whole number of days ("7d").
func ParseDuration(s string) (time.Duration, error) {
	if m := daysRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 36500 {
			return 0, fmt.Errorf("days out of range: %s", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// FormatDuration prints whole days as "7d" and anything else as Go does.
func FormatDuration(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}
