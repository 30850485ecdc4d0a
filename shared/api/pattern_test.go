package api_test

import (
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/testkit/patterntest"
)

func TestBound(t *testing.T) {
	r := strings.Repeat
	word := api.Bound(`^[a-zé]+$`, 3)
	pair := api.Bound(`^([a-zé]+)=([a-zé]*)(?:;([0-9]+))?$`, 7, 3, 2, 1)
	cases := []struct {
		name string
		m    api.Matcher
		in   string
		want bool
	}{
		{"whole: at the limit", word, "abc", true},
		{"whole: one past the limit", word, "abcd", false},
		{"whole: counts characters, not bytes", word, "ééé", true},
		{"whole: four characters of two bytes", word, "éééé", false},
		{"whole: pattern still applies", word, "ab1", false},
		{"whole: empty is the pattern's to refuse", word, "", false},
		{"groups: each within its limit, the whole one past", pair, "abc=de;1", false},
		{"groups: within every limit", pair, "abc=d;1", true},
		{"groups: first group one past", pair, "abcd=d", false},
		{"groups: second group one past", pair, "ab=def", false},
		{"groups: second group empty", pair, "abc=", true},
		{"groups: optional group absent", pair, "a=b", true},
		{"groups: optional group one past", pair, "a=b;12", false},
		{"groups: group counts characters", pair, "ééé=éé", true},
		{"groups: no match", pair, "abc", false},
		{"groups: long input refused by the whole limit first", pair, r("a", 1<<16) + "=", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.m.MatchString(tc.in); got != tc.want {
				t.Errorf("MatchString(%.40q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestBoundRefusesLimitsWithoutGroups(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pattern string
		max     []int
	}{
		{"no limit at all", `^a+$`, nil},
		{"a limit for a group the pattern lacks", `^(a+)$`, []int{0, 1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Bound(%s, %v) did not panic", tc.pattern, tc.max)
				}
			}()
			api.Bound(tc.pattern, tc.max...)
		})
	}
}

func TestTagKeyKeepsItsLanguage(t *testing.T) {
	r := strings.Repeat
	patterntest.SameLanguage(t, []patterntest.Case{
		{Name: "tag key", Now: api.TagKey, Was: `^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`,
			Accept: map[string]string{
				"128 characters":            r("k", 128),
				"128 two-byte letters":      r("é", 128),
				"one character":             "k",
				"every punctuation allowed": "a b_c.d:e/f=g+h-i@j",
			},
			Reject: map[string]string{
				"129 characters":       r("k", 129),
				"129 two-byte letters": r("é", 129),
				"empty":                "",
				"a comma":              "a,b",
				"a control character":  "a\tb",
			}},
	})
}
