package lambdacmd

import (
	"encoding/base64"
	"testing"

	"github.com/aws-commander/commander/shared/api"
)

func TestCode(t *testing.T) {
	zip := base64.StdEncoding.EncodeToString([]byte("PK\x03\x04rest"))
	cases := []struct {
		name   string
		params api.Params
		field  string // "" when accepted
	}{
		{"inline zip", api.Params{"zipBase64": zip}, ""},
		{"s3 object", api.Params{"s3Bucket": "code-bucket", "s3Key": "fn.zip"}, ""},
		{"both", api.Params{"zipBase64": zip, "s3Bucket": "code-bucket", "s3Key": "fn.zip"}, "zipBase64"},
		{"bucket without key", api.Params{"s3Bucket": "code-bucket"}, "s3Key"},
		{"not a zip", api.Params{"zipBase64": base64.StdEncoding.EncodeToString([]byte("hello"))}, "zipBase64"},
		{"not base64", api.Params{"zipBase64": "%%%"}, "zipBase64"},
		{"nothing", api.Params{}, "zipBase64"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := code(tc.params)
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e, ok := err.(*api.Error)
			if !ok || e.Field != tc.field || e.Status != 400 {
				t.Errorf("err = %v, want a 400 on %s", err, tc.field)
			}
		})
	}
}
