package ec2cmd

import (
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/testkit/patterntest"
)

func TestPatternsKeepTheirLanguage(t *testing.T) {
	r := strings.Repeat
	sgChars := `a .:/()#,@[]+=&;{}!$*-_`
	patterntest.SameLanguage(t, []patterntest.Case{
		{Name: "name", Now: nameRE, Was: `^[\w+=,.@/: -]{1,255}$`,
			Accept: map[string]string{"255 characters": r("n", 255), "one": "n", "every kind": "my key+=,.@/:-_1"},
			Reject: map[string]string{"256 characters": r("n", 256), "empty": "", "a letter outside ASCII": "clé", "a parenthesis": "a(b)"}},
		{Name: "tag filter", Now: tagFilterRE, Was: `^[^=]{1,128}=.{0,256}$`,
			Accept: map[string]string{"key of 128, value of 256": r("k", 128) + "=" + r("v", 256), "empty value": "env=",
				"= in the value": "a=b=c", "two-byte key of 128": r("é", 128) + "=v", "two-byte value of 256": "k=" + r("é", 256)},
			Reject: map[string]string{"key of 129": r("k", 129) + "=v", "value of 257": "k=" + r("v", 257), "empty key": "=v", "empty": "",
				"no =": "env", "two-byte key of 129": r("é", 129) + "=v", "two-byte value of 257": "k=" + r("é", 257), "a newline in the value": "k=a\nb"}},
		{Name: "security group reference", Now: sgRefRE, Was: `^(sg-[0-9a-f]{8,17}|[\w .:/()#,@\[\]+=&;{}!$*-]{1,255})$`,
			Accept: map[string]string{"id": "sg-0123456789abcdef0", "name of 255": r("s", 255), "one": "s", "every kind": sgChars,
				"id-like name past 17 digits": "sg-" + r("0", 18)},
			Reject: map[string]string{"name of 256": r("s", 256), "empty": "", "a letter outside ASCII": "grüppe", "a quote": `a"b`}},
		{Name: "security group name", Now: sgNameRE, Was: `^[\w .:/()#,@\[\]+=&;{}!$*-]{1,255}$`,
			Accept: map[string]string{"255 characters": r("s", 255), "one": "s", "every kind": sgChars},
			Reject: map[string]string{"256 characters": r("s", 256), "empty": "", "a letter outside ASCII": "grüppe", "a backslash": `a\b`}},
	})
}
