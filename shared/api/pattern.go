package api

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws-commander/commander/shared/tags"
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

// Regexp is the pattern without its limits.
func (b Bounded) Regexp() *regexp.Regexp { return b.re }

// MaxLength is the limit on the whole string in characters (0: none).
func (b Bounded) MaxLength() int { return b.max[0] }

// GroupLimits reports whether a capture group has a limit of its own, which
// no single regular expression of the schema states (shared/schema leaves
// it to the validator).
func (b Bounded) GroupLimits() bool {
	for _, m := range b.max[1:] {
		if m != 0 {
			return true
		}
	}
	return false
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

// TagValue is an AWS tag value: 0 to 256 of the same characters.
var TagValue = Bound(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`, 256)

// MaxUserTags is how many tags a caller may give: with the tags commander
// adds (tags.Managed, at most 10 with room to grow), a resource stays within
// AWS's 50 tags per resource.
const MaxUserTags = 40

// Tags declares a command's tags parameter, the same for every service:
// AWS's own limits on keys, values and count, and no key that AWS or
// commander sets itself (aws:…, commander:managed-by, created-by,
// created-at) — refused, not silently dropped or overwritten.
func Tags(doc string) Param {
	return Param{Name: "tags", Type: Map, Max: MaxUserTags, Pattern: userTagKey{}, Values: TagValue, Doc: doc,
		Accepts: "tag keys of 1 to 128 and values of 0 to 256 letters, digits, spaces or _ . : / = + - @; no key under aws: or commander's own (managed-by, created-by, created-at)"}
}

// Approximated is a Matcher that is a Go rule rather than a regular
// expression, but accepts only strings Within accepts: a JSON Schema
// (shared/schema) states Within and leaves the rest to the validator.
type Approximated interface {
	Matcher
	Within() Matcher
}

type userTagKey struct{}

// Within: every user tag key is an AWS tag key; the keys AWS and commander
// set themselves are refused on top, in code.
func (userTagKey) Within() Matcher { return TagKey }

func (userTagKey) MatchString(k string) bool {
	if !TagKey.MatchString(k) || !tags.UserTag(k) {
		return false
	}
	for own := range tags.Managed("", time.Time{}) {
		if strings.EqualFold(strings.TrimSpace(k), own) {
			return false
		}
	}
	return true
}
