package strictjson

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		name, doc, want string // want: "" accepts, else a part of the error
	}{
		{"object", `{"a":1,"b":[true,null,"x"],"c":{"d":-1.5e3}}`, ""},
		{"scalar", `"x"`, ""},
		{"padded", " \n{}\t", ""},
		{"duplicate key", `{"dryRun":true,"dryRun":false}`, `key "dryRun" is given twice`},
		{"duplicate nested", `{"params":{"a":1,"a":2}}`, `$.params: key "a" is given twice`},
		{"duplicate in a list item", `{"l":[{"x":1},{"x":1,"x":2}]}`, `$.l[1]: key "x"`},
		{"keys differing in case", `{"dryRun":true,"DryRun":false}`, `differ only in case`},
		{"same key in sibling objects is fine", `{"a":{"k":1},"b":{"k":2}}`, ""},
		{"byte order mark", "\xef\xbb\xbf{}", "byte order mark"},
		{"empty", "", "empty"},
		{"blank", "  \n", "empty"},
		{"invalid UTF-8 in a key", "{\"k\xff\":1}", "invalid UTF-8 at byte 3"},
		{"invalid UTF-8 in a value", "{\"k\":\"\xc3\"}", "invalid UTF-8"},
		{"lone surrogate escape", `{"k":"\ud800"}`, "lone surrogate"},
		{"NaN", `{"n":NaN}`, "NaN is not a JSON number"},
		{"Infinity", `{"n":Infinity}`, "Infinity is not a JSON number"},
		{"negative Infinity", `{"n":-Infinity}`, "Infinity is not a JSON number"},
		{"trailing data", `{} {}`, "after the JSON value"},
		{"truncated", `{"a":`, "ends early"},
		{"malformed", `{"a" 1}`, "malformed JSON"},
		{"deep nesting", strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2), "nested deeper than 64"},
		{"nesting at the limit", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Check([]byte(c.doc))
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":1,"a":2}`, `[1,2,{"b":NaN}]`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { _ = Check(b) })
}
