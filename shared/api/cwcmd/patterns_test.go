package cwcmd

import (
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/testkit/patterntest"
)

func TestPatternsKeepTheirLanguage(t *testing.T) {
	r := strings.Repeat
	patterntest.SameLanguage(t, []patterntest.Case{
		{Name: "on-alarm reaction", Now: OnAlarmRE, Was: `^[a-z][a-z0-9-]{0,62}$`,
			Accept: map[string]string{"63 characters": r("s", 63), "one": "s", "every kind": "notify-2"},
			Reject: map[string]string{"64 characters": r("s", 64), "empty": "", "starts with a digit": "2stop", "upper case": "Stop"}},
		{Name: "alarm name", Now: alarmNameRE, Was: `^[^\x00-\x1f]{1,255}$`,
			Accept: map[string]string{"255 characters": r("a", 255), "255 two-byte letters": r("é", 255), "one": "a", "punctuation": "cpu > 70% (i-1)"},
			Reject: map[string]string{"256 characters": r("a", 256), "256 two-byte letters": r("é", 256), "empty": "", "a tab": "a\tb"}},
		{Name: "dimension", Now: dimensionRE, Was: `^[^=]{1,255}=[^=]{1,1000}$`,
			Accept: map[string]string{"name of 255, value of 1000": r("n", 255) + "=" + r("v", 1000), "one each": "n=v",
				"two-byte name of 255": r("é", 255) + "=v", "two-byte value of 1000": "n=" + r("é", 1000)},
			Reject: map[string]string{"name of 256": r("n", 256) + "=v", "value of 1001": "n=" + r("v", 1001), "empty name": "=v",
				"empty value": "n=", "empty": "", "two =": "a=b=c", "two-byte value of 1001": "n=" + r("é", 1001)}},
		{Name: "namespace", Now: namespaceRE, Was: `^[^:][^\x00-\x1f]{0,254}$`,
			Accept: map[string]string{"255 characters": r("n", 255), "255 two-byte letters": r("é", 255), "one": "n", "AWS": "AWS/EC2"},
			Reject: map[string]string{"256 characters": r("n", 256), "256 two-byte letters": r("é", 256), "empty": "",
				"starts with a colon": ":ns", "a newline": "a\nb"}},
	})
}
