package jobcmd

import (
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/testkit/patterntest"
)

func TestPatternsKeepTheirLanguage(t *testing.T) {
	r := strings.Repeat
	arn := "arn:aws:lambda:eu-west-1:123456789012:function:"
	patterntest.SameLanguage(t, []patterntest.Case{
		{Name: "function", Now: functionRE, Was: `^(arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[a-zA-Z0-9-_]{1,64}(:[\w$-]{1,128})?$`,
			Accept: map[string]string{"name of 64": r("f", 64), "name of one": "f", "ARN with a name of 64": arn + r("f", 64),
				"qualifier of 128": "f:" + r("q", 128), "ARN, name of 64 and qualifier of 128": arn + r("f", 64) + ":" + r("q", 128),
				"version": "f:$LATEST"},
			Reject: map[string]string{"name of 65": r("f", 65), "ARN with a name of 65": arn + r("f", 65), "empty": "",
				"qualifier of 129": "f:" + r("q", 129), "empty qualifier": "f:", "ARN without a name": arn,
				"a space": "my function", "two qualifiers": "f:a:b"}},
	})
}
