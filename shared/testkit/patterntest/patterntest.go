// Package patterntest checks that a pattern rewritten with api.Bound (its
// length limits apart) accepts exactly what its counted-repetition
// original accepted.
package patterntest

import (
	"regexp"
	"testing"
	"unicode/utf8"

	"github.com/aws-commander/commander/shared/api"
)

// Case is one rewritten pattern: Now, Was (the original it replaces), and
// the strings it accepts and rejects, by name.
type Case struct {
	Name   string
	Now    api.Matcher
	Was    string
	Accept map[string]string
	Reject map[string]string
}

// around are the characters added at either end of each input: one the
// pattern usually accepts, separators the patterns split on, a space, a
// control character, a two-byte letter and a byte that is not UTF-8.
var around = []string{"a", "0", "-", "=", ":", "/", ")", " ", "\n", "\x00", "é", "\xff"}

// SameLanguage requires that Now and Was both accept each of Accept and
// reject each of Reject, and that they agree on each of those with a
// character added or removed at either end: one step past each boundary.
func SameLanguage(t *testing.T, cases []Case) {
	t.Helper()
	for _, c := range cases {
		was := regexp.MustCompile(c.Was)
		t.Run(c.Name, func(t *testing.T) {
			check := func(name, in string, want bool) {
				t.Run(name, func(t *testing.T) {
					if got := was.MatchString(in); got != want {
						t.Fatalf("the original %s gives %v for %q; the case says %v", c.Was, got, in, want)
					}
					if got := c.Now.MatchString(in); got != want {
						t.Errorf("accepts %q: %v, want %v", in, got, want)
					}
					for _, s := range neighbours(in) {
						if now, before := c.Now.MatchString(s), was.MatchString(s); now != before {
							t.Errorf("accepts %q: %v, the original %v", s, now, before)
						}
					}
				})
			}
			for name, in := range c.Accept {
				check("accepts "+name, in, true)
			}
			for name, in := range c.Reject {
				check("rejects "+name, in, false)
			}
		})
	}
}

func neighbours(s string) []string {
	var out []string
	if s != "" {
		_, first := utf8.DecodeRuneInString(s)
		_, last := utf8.DecodeLastRuneInString(s)
		out = append(out, s[first:], s[:len(s)-last])
	}
	for _, c := range around {
		out = append(out, c+s, s+c)
	}
	return out
}
