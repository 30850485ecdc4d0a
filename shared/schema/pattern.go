package schema

import (
	"strconv"
	"strings"
)

// ws is what strings.TrimSpace trims (unicode.IsSpace: \t to \r, U+0085
// and the separators), written so that Go's RE2 and ECMA-262 with the u
// flag read it alike; \s differs between them.
const ws = `[\t-\r\x85\p{Z}]`

// portable rewrites a Go regular expression into one that means the same
// in ECMA-262 (what JSON Schema patterns are, read by editors with the u
// flag) and in Go's RE2 (what validators written in Go use). ok is false
// when a construct has no common spelling: the schema then states no
// pattern and leaves the check to the validator, looser but never
// stricter.
//   - \s, \S: RE2 means ASCII whitespace, ECMA-262 Unicode whitespace;
//     written out as a class.
//   - . : RE2 excludes only \n, ECMA-262 also \r, U+2028 and U+2029;
//     written as [^\n].
//   - \x{HH}: RE2 only; \xHH is common. Longer code points are refused.
//   - flags (?i), \A, \z, \Q...\E, \C, \pL without braces, [[:alpha:]],
//     named groups: refused.
func portable(re string) (string, bool) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(re); i++ {
		c := re[i]
		switch {
		case c == '\\' && i+1 < len(re):
			n := re[i+1]
			switch n {
			case 's':
				if inClass {
					b.WriteString(`\t\n\f\r `)
				} else {
					b.WriteString(`[\t\n\f\r ]`)
				}
				i++
			case 'S':
				if inClass {
					return "", false
				}
				b.WriteString(`[^\t\n\f\r ]`)
				i++
			case 'x':
				if i+2 < len(re) && re[i+2] == '{' {
					end := strings.IndexByte(re[i+3:], '}')
					if end < 0 {
						return "", false
					}
					v, err := strconv.ParseUint(re[i+3:i+3+end], 16, 32)
					if err != nil || v > 0xFF {
						return "", false
					}
					b.WriteString(`\x` + strconv.FormatUint(v|0x100, 16)[1:])
					i += 3 + end
					continue
				}
				b.WriteString(re[i : i+2])
				i++
			case 'A', 'z', 'Q', 'E', 'C':
				return "", false
			case 'p', 'P':
				if i+2 >= len(re) || re[i+2] != '{' {
					return "", false
				}
				b.WriteString(re[i : i+2])
				i++
			default:
				b.WriteString(re[i : i+2])
				i++
			}
		case c == '[' && !inClass:
			if strings.HasPrefix(re[i:], "[[:") || strings.HasPrefix(re[i:], "[^[:") {
				return "", false
			}
			inClass = true
			b.WriteByte(c)
			// A ] right after [ or [^ is a literal in RE2, an empty class in ECMA-262.
			if strings.HasPrefix(re[i+1:], "]") || strings.HasPrefix(re[i+1:], "^]") {
				return "", false
			}
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		case c == '.' && !inClass:
			b.WriteString(`[^\n]`)
		case c == '(' && !inClass && strings.HasPrefix(re[i:], "(?") && !strings.HasPrefix(re[i:], "(?:"):
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), !inClass
}

// unanchored is a pattern ^...$ without its anchors, as a group, to be
// part of a larger pattern.
func unanchored(re string) string {
	return "(?:" + strings.TrimSuffix(strings.TrimPrefix(re, "^"), "$") + ")"
}
