package api

import (
	"regexp"
	"unicode/utf8"
)

// Matcher is what a Param's Pattern does: a *regexp.Regexp, or a Bounded.
type Matcher interface {
	MatchString(s string) bool
}

// Bounded is a regular expression whose length limits are checked apart
// from it. A counted repetition such as [\w-]{1,512} compiles into 512
// copies of its class: about a millisecond and hundreds of kilobytes at
// every cold start, where [\w-]+ and a count cost next to nothing.
type Bounded struct {
	re  *regexp.Regexp
	max []int // in characters: [0] the whole string, [i] capture group i; 0 is no limit
}

// Bound compiles pattern, written with + or * where the limit was, and
// the limits in characters (runes, as a counted repetition counts them):
// max[0] for the whole string, max[i] for capture group i, 0 for none. A
// group limit holds only where the pattern matches its group one way.
func Bound(pattern string, max ...int) Bounded {
	re := regexp.MustCompile(pattern)
	if len(max) == 0 || len(max) > re.NumSubexp()+1 {
		panic("api.Bound: " + pattern + ": a limit for the whole string and at most one per capture group")
	}
	return Bounded{re: re, max: max}
}

// MatchString reports whether s matches the pattern within every limit.
func (b Bounded) MatchString(s string) bool {
	if b.max[0] != 0 && utf8.RuneCountInString(s) > b.max[0] {
		return false
	}
	if len(b.max) == 1 {
		return b.re.MatchString(s)
	}
	loc := b.re.FindStringSubmatchIndex(s)
	if loc == nil {
		return false
	}
	for i, m := range b.max[1:] {
		from, to := loc[2*(i+1)], loc[2*(i+1)+1]
		if m != 0 && from >= 0 && utf8.RuneCountInString(s[from:to]) > m {
			return false
		}
	}
	return true
}

// TagKey is an AWS tag key: 1 to 128 letters, digits, spaces or _ . : / = + - @,
// one pattern for every service's tags.
var TagKey = Bound(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`, 128)
