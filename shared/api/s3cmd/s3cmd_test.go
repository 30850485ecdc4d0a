package s3cmd

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The creation plan: region-aware, encryption as asked, CORS only when given.
func TestCreateSteps(t *testing.T) {
	s, err := settings.Load(func(k string) string { return map[string]string{"AWS_REGION": "eu-west-1"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		region   string
		params   api.Params
		steps    int
		location string
		algo     types.ServerSideEncryption
		err      string
	}{
		{"us-east-1 has no constraint", "us-east-1", api.Params{"bucket": "b1", "encryption": "AES256", "noncurrentDays": int64(30)}, 6, "", types.ServerSideEncryptionAes256, ""},
		{"eu-west-1 with CORS", "eu-west-1", api.Params{"bucket": "b1", "encryption": "AES256", "noncurrentDays": int64(30),
			"cors": []byte(`[{"allowedOrigins":["*"],"allowedMethods":["GET"]}]`)}, 7, "eu-west-1", types.ServerSideEncryptionAes256, ""},
		{"kms", "us-east-1", api.Params{"bucket": "b1", "encryption": "aws:kms", "kmsKeyId": "alias/s3", "noncurrentDays": int64(30)}, 6, "", types.ServerSideEncryptionAwsKms, ""},
		{"kms without key", "us-east-1", api.Params{"bucket": "b1", "encryption": "aws:kms", "noncurrentDays": int64(30)}, 0, "", "", "kmsKeyId"},
		{"key without kms", "us-east-1", api.Params{"bucket": "b1", "encryption": "AES256", "kmsKeyId": "alias/s3", "noncurrentDays": int64(30)}, 0, "", "", "kmsKeyId"},
		{"bad CORS method", "us-east-1", api.Params{"bucket": "b1", "encryption": "AES256", "noncurrentDays": int64(30),
			"cors": []byte(`[{"allowedOrigins":["*"],"allowedMethods":["PATCH"]}]`)}, 0, "", "", "cors[0].allowedMethods"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.params {
				if b, ok := v.([]byte); ok {
					tc.params[k] = jsonRaw(b)
				}
			}
			d := Deps{Region: tc.region, Settings: s}
			steps, err := d.CreateSteps(&api.Call{Params: tc.params, Caller: "me", Now: time.Unix(0, 0)})
			if tc.err != "" {
				e, ok := err.(*api.Error)
				if !ok || e.Field != tc.err {
					t.Fatalf("err = %v, want field %s", err, tc.err)
				}
				return
			}
			if err != nil || len(steps) != tc.steps {
				t.Fatalf("steps = %d, err %v", len(steps), err)
			}
			create := steps[0].In.(*s3.CreateBucketInput)
			if got := ""; create.CreateBucketConfiguration != nil {
				got = string(create.CreateBucketConfiguration.LocationConstraint)
				if got != tc.location {
					t.Errorf("location = %s", got)
				}
			} else if tc.location != "" {
				t.Errorf("no location constraint")
			}
			enc := steps[2].In.(*s3.PutBucketEncryptionInput)
			if a := enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm; a != tc.algo {
				t.Errorf("algorithm = %s", a)
			}
			bpa := steps[1].In.(*s3.PutPublicAccessBlockInput).PublicAccessBlockConfiguration
			if !aws.ToBool(bpa.BlockPublicAcls) || !aws.ToBool(bpa.BlockPublicPolicy) || !aws.ToBool(bpa.IgnorePublicAcls) || !aws.ToBool(bpa.RestrictPublicBuckets) {
				t.Errorf("public access block = %+v", bpa)
			}
		})
	}
}

func TestVersionIDs(t *testing.T) {
	out := &s3.ListObjectVersionsOutput{
		Versions:      []types.ObjectVersion{{Key: aws.String("a"), VersionId: aws.String("1")}},
		DeleteMarkers: []types.DeleteMarkerEntry{{Key: aws.String("a"), VersionId: aws.String("2")}},
	}
	if ids := VersionIDs(out); len(ids) != 2 || aws.ToString(ids[1].VersionId) != "2" {
		t.Errorf("ids = %+v", ids)
	}
}

func jsonRaw(b []byte) any { return json.RawMessage(b) }
