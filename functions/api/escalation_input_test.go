package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/catalog"
	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// httpEvent is an HTTP API payload 2.0 event as API Gateway sends it;
// userARN "" leaves the authorizer out.
func httpEvent(t *testing.T, method, path, query, body, userARN string) []byte {
	t.Helper()
	return httpEventOn(t, routeOf(t, method, path), method, path, query, body, userARN)
}

// routeOf is the route API Gateway matches for method and path.
func routeOf(t *testing.T, method, path string) string {
	t.Helper()
	reg, err := catalog.Declared()
	if err != nil {
		t.Fatal(err)
	}
	route, ok := reg.RouteFor(method, path)
	if !ok {
		t.Fatalf("no route for %s %s", method, path)
	}
	return route
}

// httpEventOn is an HTTP event for the route routeKey.
func httpEventOn(t *testing.T, routeKey, method, path, query, body, userARN string) []byte {
	t.Helper()
	rc := map[string]any{"requestId": "esc-" + strings.ReplaceAll(path, "/", "-"), "stage": "$default",
		"http": map[string]any{"method": method, "path": path}}
	if userARN != "" {
		rc["authorizer"] = map[string]any{"iam": map[string]any{"userArn": userARN}}
	}
	b, err := json.Marshal(map[string]any{"version": "2.0", "routeKey": routeKey, "rawPath": path,
		"rawQueryString": query, "body": body, "requestContext": rc})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Findings 5 and 7 of the security review, attempted through the real
// bootstrap: a forged identity, a forged or contradictory dry-run, and input
// encoding/json would have coerced. Each is refused with a clear error and
// the account is unchanged: the bucket is still there, nothing is created.
func TestEscalationInput(t *testing.T) {
	emulatortest.Moto(t)
	ctx := context.Background()
	cfg, err := awsclient.Load(ctx, "us-east-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	s3c := s3client.New(cfg)
	const bucket = "team-data"
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(bucket), Tagging: &s3types.Tagging{
		TagSet: []s3types.Tag{{Key: aws.String("commander:managed-by"), Value: aws.String("commander")}}}}); err != nil {
		t.Fatal(err)
	}
	direct := emulatortest.Function(t, "api", nil)
	viaAPI := emulatortest.Function(t, "api", map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "commander-test-api:" + api.IntegrationAlias})

	alice := "arn:aws:iam::123456789012:user/alice"
	deep := `{"action":"commands.list","params":{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}}`
	cases := []struct {
		name   string
		fn     string // "direct" or "api"
		event  []byte
		status int
		want   string // in the answer
	}{
		{"forged authorizer on a direct invocation", "direct", httpEvent(t, "POST", "/s3/buckets", "", `{"bucket":"forged-bucket"}`, "arn:aws:iam::123456789012:user/admin"), 403, "NotThroughTheAPI"},
		{"HTTP event without an authorizer on a direct invocation", "direct", httpEvent(t, "POST", "/s3/buckets", "", `{"bucket":"forged-bucket"}`, ""), 403, "NotThroughTheAPI"},
		{"HTTP event without an authorizer through the integration", "api", httpEvent(t, "POST", "/s3/buckets", "", `{"bucket":"forged-bucket"}`, ""), 403, "Unauthenticated"},
		{"duplicate dryRun, last false", "direct", []byte(`{"action":"s3.deleteBucket","params":{"bucket":"` + bucket + `"},"dryRun":true,"dryRun":false}`), 400, `key \"dryRun\" is given twice`},
		{"dryRun in another case", "direct", []byte(`{"action":"s3.deleteBucket","params":{"bucket":"` + bucket + `"},"dryRun":true,"DryRun":false}`), 400, "differ only in case"},
		{"duplicate action", "direct", []byte(`{"action":"s3.deleteBucket","action":"commands.list","params":{"bucket":"` + bucket + `"}}`), 400, `key \"action\" is given twice`},
		{"dryRun true in the query, false in the body", "api", httpEvent(t, "DELETE", "/s3/buckets/"+bucket, "dryRun=true", `{"dryRun":false}`, alice), 400, "the query string and the body disagree"},
		// A caller granted execute-api:Invoke on GET /s3/buckets only: the event names that route, so no other command runs.
		{"a read-only route carrying a delete", "api", httpEventOn(t, "GET /s3/buckets", "DELETE", "/s3/buckets/"+bucket, "", "", alice), 403, "RouteMismatch"},
		{"the catch-all route", "api", httpEventOn(t, "$default", "DELETE", "/s3/buckets/"+bucket, "", "", alice), 403, "RouteMismatch"},
		{"dryRun twice in the query", "api", httpEvent(t, "DELETE", "/s3/buckets/"+bucket, "dryRun=true&dryRun=false", "", alice), 400, "gives it 2 times"},
		{"duplicate key in an HTTP body", "api", httpEvent(t, "POST", "/s3/buckets", "", `{"bucket":"forged-bucket","bucket":"other-bucket"}`, alice), 400, `is given twice`},
		{"invalid UTF-8 in a tag key", "direct", []byte("{\"action\":\"s3.createBucket\",\"params\":{\"bucket\":\"forged-bucket\",\"tags\":{\"k\xff\":\"v\"}}}"), 400, "invalid UTF-8"},
		{"a string for an integer", "direct", []byte(`{"action":"s3.listObjects","params":{"bucket":"` + bucket + `","maxKeys":"10"}}`), 400, "maxKeys"},
		{"byte order mark", "direct", []byte("\xef\xbb\xbf{\"action\":\"commands.list\"}"), 400, "byte order mark"},
		{"empty event", "direct", []byte(``), 400, "MalformedRequest"},
		{"NaN", "direct", []byte(`{"action":"s3.listObjects","params":{"bucket":"` + bucket + `","maxKeys":NaN}}`), 400, "NaN is not a JSON number"},
		{"deep nesting", "direct", []byte(deep), 400, "nested deeper than 64"},
		{"7 MB payload", "direct", append(append([]byte(`{"action":"commands.list","params":{"x":"`), bytes.Repeat([]byte("a"), 7<<20)...), []byte(`"}}`)...), 413, "PayloadTooLarge"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fn := direct
			if c.fn == "api" {
				fn = viaAPI
			}
			out, err := fn.Invoke(ctx, c.event)
			if err != nil {
				// The RIE itself refuses a payload over Lambda's 6 MB limit, as Lambda does.
				if c.status == 413 {
					return
				}
				t.Fatal(err)
			}
			var a answer
			if err := json.Unmarshal(out, &a); err != nil {
				if c.status == 413 && strings.Contains(string(out), "RequestEntityTooLarge") {
					return // Lambda's own limit answered before the function
				}
				t.Fatalf("answer is not JSON: %.300s", out)
			}
			if a.ErrorMessage != "" || strings.Contains(string(out), "SyntaxError") {
				t.Fatalf("a runtime error, not our answer: %.300s", out)
			}
			if a.StatusCode != c.status || !strings.Contains(string(out), c.want) {
				t.Fatalf("answer = %.400s; want status %d mentioning %q", out, c.status, c.want)
			}
		})
	}

	// Nothing was created or deleted, and no forged identity was written anywhere.
	buckets, err := s3c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(buckets.Buckets) != 1 || aws.ToString(buckets.Buckets[0].Name) != bucket {
		var names []string
		for _, b := range buckets.Buckets {
			names = append(names, aws.ToString(b.Name))
		}
		t.Errorf("buckets after the attempts = %v, want only %s", names, bucket)
	}
}
