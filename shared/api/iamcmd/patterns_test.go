package iamcmd

import (
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/testkit/patterntest"
)

func TestPatternsKeepTheirLanguage(t *testing.T) {
	r := strings.Repeat
	policy := "arn:aws:iam::aws:policy/"
	patterntest.SameLanguage(t, []patterntest.Case{
		{Name: "role name", Now: roleNameRE, Was: `^[\w+=,.@-]{1,64}$`,
			Accept: map[string]string{"64 characters": r("r", 64), "one": "r", "every kind": "My_role+=,.@-1"},
			Reject: map[string]string{"65 characters": r("r", 65), "empty": "", "a slash": "a/b", "a letter outside ASCII": "rôle"}},
		{Name: "instance profile", Now: profileRE, Was: `^[\w+=,.@-]{1,128}$`,
			Accept: map[string]string{"128 characters": r("p", 128), "one": "p"},
			Reject: map[string]string{"129 characters": r("p", 129), "empty": "", "a space": "my profile"}},
		{Name: "policy ARN", Now: policyArnRE, Was: `^arn:aws[\w-]*:iam::(aws|\d{12}):policy/[\w+=,.@/-]{1,512}$`,
			Accept: map[string]string{"name of 512": policy + r("n", 512), "name of one": policy + "n",
				"account and path": "arn:aws:iam::123456789012:policy/team/ReadOnly", "AWS managed": policy + "AmazonEC2ReadOnlyAccess"},
			Reject: map[string]string{"name of 513": policy + r("n", 513), "no name": policy, "empty": "",
				"a space": policy + "Read Only", "neither aws nor an account": "arn:aws:iam::me:policy/n"}},
		{Name: "path", Now: pathRE, Was: `^/([\x21-\x7e]{0,510}/)?$`,
			Accept: map[string]string{"512 characters": "/" + r("p", 510) + "/", "root": "/", "nested": "/a/b/", "two slashes": "//"},
			Reject: map[string]string{"513 characters": "/" + r("p", 511) + "/", "empty": "", "no trailing slash": "/a",
				"a space": "/a b/", "a letter outside ASCII": "/é/"}},
		{Name: "description", Now: descRE, Was: `^[\x{0009}\x{000A}\x{000D}\x{0020}-\x{007E}\x{00A1}-\x{00FF}]{0,1000}$`,
			Accept: map[string]string{"1000 characters": r("d", 1000), "1000 Latin-1 letters": r("é", 1000), "empty": "", "tab and newline": "a\tb\nc"},
			Reject: map[string]string{"1001 characters": r("d", 1001), "1001 Latin-1 letters": r("é", 1001),
				"a control character": "a\x01", "a letter past Latin-1": "ā", "DEL": "\x7f"}},
	})
}
