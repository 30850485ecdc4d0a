package lambdacmd

import (
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/testkit/patterntest"
)

func TestPatternsKeepTheirLanguage(t *testing.T) {
	r := strings.Repeat
	role := "arn:aws:iam::123456789012:role/"
	patterntest.SameLanguage(t, []patterntest.Case{
		{Name: "function name", Now: nameRE, Was: `^[a-zA-Z0-9-_]{1,64}$`,
			Accept: map[string]string{"64 characters": r("f", 64), "one": "f", "every kind": "My-func_1"},
			Reject: map[string]string{"65 characters": r("f", 65), "empty": "", "a dot": "my.func", "a colon": "my:func"}},
		{Name: "rule name", Now: ruleNameRE, Was: `^[\.\-_A-Za-z0-9]{1,64}$`,
			Accept: map[string]string{"64 characters": r("r", 64), "one": "r", "every kind": "My.rule-1_a"},
			Reject: map[string]string{"65 characters": r("r", 65), "empty": "", "a slash": "my/rule"}},
		{Name: "role ARN", Now: roleArnRE, Was: `^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`,
			Accept: map[string]string{"name of 512": role + r("n", 512), "name of one": role + "n",
				"path and name": role + "service-role/my+role=,.@-", "other partition": "arn:aws-cn:iam::123456789012:role/n"},
			Reject: map[string]string{"name of 513": role + r("n", 513), "no name": role, "empty": "",
				"a space in the name": role + "my role", "11-digit account": "arn:aws:iam::12345678901:role/n"}},
		{Name: "handler", Now: handlerRE, Was: `^[^\s]{1,128}$`,
			Accept: map[string]string{"128 characters": r("h", 128), "128 two-byte letters": r("é", 128), "one": "h", "dotted": "app.handler"},
			Reject: map[string]string{"129 characters": r("h", 129), "129 two-byte letters": r("é", 129), "empty": "", "a space": "app handler"}},
		{Name: "bucket", Now: bucketRE, Was: `^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`,
			Accept: map[string]string{"63 characters": r("b", 63), "3 characters": "b-b", "dots": "my.bucket.1"},
			Reject: map[string]string{"64 characters": r("b", 64), "2 characters": "bb", "empty": "",
				"ends with a hyphen": "bucket-", "starts with a dot": ".bucket", "upper case": "Bucket"}},
		{Name: "schedule", Now: scheduleRE, Was: `^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^)]{1,250}\))$`,
			Accept: map[string]string{"cron of 250": "cron(" + r("*", 250) + ")", "cron of one": "cron(*)",
				"cron of 250 two-byte characters": "cron(" + r("é", 250) + ")", "cron": "cron(0 2 * * ? *)", "rate": "rate(5 minutes)"},
			Reject: map[string]string{"cron of 251": "cron(" + r("*", 251) + ")", "empty cron": "cron()", "empty": "",
				"cron of 251 two-byte characters": "cron(" + r("é", 251) + ")", "a parenthesis in cron": "cron(0 2) *)",
				"rate in weeks": "rate(1 week)", "rate without a number": "rate(minutes)"}},
	})
}
