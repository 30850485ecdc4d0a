package schema

import (
	"regexp"
	"testing"
)

// portable keeps a pattern's meaning or refuses it; what it writes
// compiles in Go (the schema tests compile every pattern in Go, and every
// committed one was checked with ECMA-262's RegExp(p, "u") too).
func TestPortable(t *testing.T) {
	cases := []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", `^[a-z0-9-]+$`, `^[a-z0-9-]+$`, true},
		{"classes and escapes", `^[\w+=,.@-]+\.\d{12}$`, `^[\w+=,.@-]+\.\d{12}$`, true},
		{"\\s outside a class", `^a\sb$`, `^a[\t\n\f\r ]b$`, true},
		{"\\s inside a class", `^[^\s]+$`, `^[^\t\n\f\r ]+$`, true},
		{"\\S", `^\S+$`, `^[^\t\n\f\r ]+$`, true},
		{"dot", `^(.*)=$`, `^([^\n]*)=$`, true},
		{"dot in a class is a dot", `^[.]$`, `^[.]$`, true},
		{"\\x{HH}", `^[\x{0009}\x{0020}-\x{007E}\x{00A1}-\x{00FF}]*$`, `^[\x09\x20-\x7e\xa1-\xff]*$`, true},
		{"unicode classes", `^[\p{L}\p{N}]+$`, `^[\p{L}\p{N}]+$`, true},
		{"non-capturing group", `^(?:a|b)$`, `^(?:a|b)$`, true},
		{"code point beyond FF", `^\x{2028}$`, "", false},
		{"flags", `(?i)^abc$`, "", false},
		{"named group", `^(?P<x>a)$`, "", false},
		{"\\A and \\z", `\Aabc\z`, "", false},
		{"one-letter class", `^\pL+$`, "", false},
		{"POSIX class", `^[[:alpha:]]+$`, "", false},
		{"leading ] in a class", `^[]a]$`, "", false},
		{"\\S in a class", `^[\S]$`, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := portable(c.in)
			if ok != c.ok || (ok && got != c.want) {
				t.Fatalf("portable(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
			}
			if ok {
				if _, err := regexp.Compile(got); err != nil {
					t.Fatalf("%q does not compile: %v", got, err)
				}
			}
		})
	}
}

// countPattern accepts exactly what retention.Parse's count accepts.
func TestCountPattern(t *testing.T) {
	re := regexp.MustCompile("^" + countPattern(100000) + "$")
	cases := []struct {
		in string
		ok bool
	}{
		{"0", true}, {"7", true}, {"99999", true}, {"100000", true}, {"+8", true}, {"0007", true}, {"-0", true},
		{"100001", false}, {"999999", false}, {"-1", false}, {"1.5", false}, {"", false}, {"1_000", false}, {"++1", false},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := re.MatchString(c.in); got != c.ok {
				t.Fatalf("%q: %v, want %v", c.in, got, c.ok)
			}
		})
	}
}
