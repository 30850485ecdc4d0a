package s3cmd

import (
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/testkit/patterntest"
)

func TestPatternsKeepTheirLanguage(t *testing.T) {
	r := strings.Repeat
	patterntest.SameLanguage(t, []patterntest.Case{
		{Name: "bucket", Now: bucketRE, Was: `^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`,
			Accept: map[string]string{"63 characters": r("b", 63), "3 characters": "b.b", "dots and hyphens": "my-bucket.2"},
			Reject: map[string]string{"64 characters": r("b", 64), "2 characters": "bb", "empty": "",
				"ends with a dot": "bucket.", "starts with a hyphen": "-bucket", "an underscore": "my_bucket"}},
	})
}
