package localapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/catalog"
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var bob = Credential{AccessKeyID: "AKIDBOB", SecretAccessKey: "bob-secret", UserARN: "arn:aws:iam::111122223333:user/bob", UserID: "AIDABOB"}

// recorder is a handler that keeps the event and the invoked ARN and
// answers 200.
type recorder struct {
	event events.APIGatewayV2HTTPRequest
	arn   string
	calls int
}

func (r *recorder) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	r.calls++
	lc, _ := lambdacontext.FromContext(ctx)
	r.arn = lc.InvokedFunctionArn
	if err := json.Unmarshal(payload, &r.event); err != nil {
		return nil, err
	}
	return json.Marshal(events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"content-type": "application/json"}, Body: `{"statusCode":200}`})
}

func signed(t *testing.T, method, url string, body []byte, cred aws.Credentials, region, service string, at time.Time, header map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	if cred.AccessKeyID != "" {
		if err := v4.NewSigner().SignHTTP(context.Background(), cred, req, hex.EncodeToString(sum[:]), service, region, at); err != nil {
			t.Fatal(err)
		}
	}
	return req
}

func TestGateway(t *testing.T) {
	reg, err := catalog.Declared()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	good := aws.Credentials{AccessKeyID: bob.AccessKeyID, SecretAccessKey: bob.SecretAccessKey}
	cases := []struct {
		name     string
		method   string
		path     string
		body     []byte
		cred     aws.Credentials
		region   string
		service  string
		at       time.Time
		header   map[string]string
		unsigned bool // the gateway allows unsigned requests
		status   int
		message  string // API Gateway's own {"message"}
		check    func(t *testing.T, ev events.APIGatewayV2HTTPRequest)
	}{
		// (The SDK's signer rewrites the query in its canonical order and escaping.)
		{name: "a signed GET becomes the route's event", method: "GET", path: "/ec2/instances?state=running,stopped&maxResults=10", cred: good, status: 200,
			header: map[string]string{"X-Custom": "v"},
			check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
				if ev.Version != "2.0" || ev.RouteKey != "GET /ec2/instances" || ev.RawPath != "/ec2/instances" || !strings.Contains(ev.RawQueryString, "maxResults=10") {
					t.Fatalf("event %+v", ev)
				}
				if ev.QueryStringParameters["state"] != "running,stopped" || ev.Headers["x-custom"] != "v" || ev.Headers["host"] == "" {
					t.Fatalf("query %v headers %v", ev.QueryStringParameters, ev.Headers)
				}
				iam := ev.RequestContext.Authorizer.IAM
				if iam.UserARN != bob.UserARN || iam.AccessKey != bob.AccessKeyID || iam.AccountID != "111122223333" || ev.RequestContext.AccountID != "111122223333" {
					t.Fatalf("identity %+v", iam)
				}
			}},
		{name: "path parameters, a greedy one escaped", method: "GET", path: "/s3/buckets/my-bucket/objects/a/b%20c.txt", cred: good, status: 200,
			check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
				if ev.RouteKey != "GET /s3/buckets/{bucket}/objects/{key+}" || ev.PathParameters["bucket"] != "my-bucket" || ev.PathParameters["key"] != "a/b c.txt" {
					t.Fatalf("route %q params %v", ev.RouteKey, ev.PathParameters)
				}
			}},
		{name: "a JSON body as is", method: "POST", path: "/s3/buckets", body: []byte(`{"bucket":"b"}`), cred: good, status: 200,
			header: map[string]string{"Content-Type": "application/json"},
			check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
				if ev.Body != `{"bucket":"b"}` || ev.IsBase64Encoded || ev.Headers["content-type"] != "application/json" {
					t.Fatalf("body %q base64 %v", ev.Body, ev.IsBase64Encoded)
				}
			}},
		{name: "a body that is not UTF-8 in base64", method: "POST", path: "/s3/buckets", body: []byte{0xff, 0xfe}, cred: good, status: 200,
			check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
				if !ev.IsBase64Encoded || ev.Body != base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe}) {
					t.Fatalf("body %q base64 %v", ev.Body, ev.IsBase64Encoded)
				}
			}},
		{name: "an unknown path: 404 before authorization", method: "GET", path: "/nothing/here", status: 404, message: "Not Found"},
		{name: "a known path with another method: 404 as an HTTP API", method: "PUT", path: "/ec2/instances", cred: good, status: 404, message: "Not Found"},
		{name: "unsigned: 403", method: "GET", path: "/commands", status: 403, message: "Missing Authentication Token"},
		{name: "unsigned when allowed", method: "GET", path: "/commands", unsigned: true, status: 200,
			check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
				if ev.RequestContext.Authorizer.IAM.UserARN != UnsignedCaller {
					t.Fatalf("caller %q", ev.RequestContext.Authorizer.IAM.UserARN)
				}
			}},
		{name: "a wrong secret: 403", method: "GET", path: "/commands", cred: aws.Credentials{AccessKeyID: bob.AccessKeyID, SecretAccessKey: "guess"}, status: 403, message: "signature we calculated does not match"},
		{name: "a wrong secret even when unsigned is allowed", method: "GET", path: "/commands", unsigned: true, cred: aws.Credentials{AccessKeyID: bob.AccessKeyID, SecretAccessKey: "guess"}, status: 403, message: "does not match"},
		{name: "an unknown key: 403", method: "GET", path: "/commands", cred: aws.Credentials{AccessKeyID: "AKIDNOBODY", SecretAccessKey: "x"}, status: 403, message: "security token included in the request is invalid"},
		{name: "another region: 403", method: "GET", path: "/commands", cred: good, region: "eu-west-1", status: 403, message: "region"},
		{name: "another service: 403", method: "GET", path: "/commands", cred: good, service: "lambda", status: 403, message: "service"},
		{name: "an old signature: 403", method: "GET", path: "/commands", cred: good, at: now.Add(-20 * time.Minute), status: 403, message: "Signature expired"},
		{name: "a body changed after signing: 403", method: "POST", path: "/s3/buckets", body: []byte(`{"bucket":"b"}`), cred: good, status: 403, message: "does not match",
			header: map[string]string{"X-Tamper": "yes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{}
			gw := &Gateway{Handler: rec, Routes: reg, Region: "us-east-1", Credentials: []Credential{bob}, AllowUnsigned: c.unsigned,
				FunctionARN: "arn:aws:lambda:us-east-1:111122223333:function:commander-test-api", Now: func() time.Time { return now }}
			hs := httptest.NewServer(gw)
			defer hs.Close()
			region, service, at := c.region, c.service, c.at
			if region == "" {
				region = "us-east-1"
			}
			if service == "" {
				service = "execute-api"
			}
			if at.IsZero() {
				at = now
			}
			header := c.header
			if header["X-Tamper"] != "" {
				header = nil // sign without it, then change the body
			}
			req := signed(t, c.method, hs.URL+c.path, c.body, c.cred, region, service, at, header)
			if c.header["X-Tamper"] != "" {
				req.Body, req.ContentLength = io.NopCloser(strings.NewReader(`{"bucket":"c"}`)), int64(len(`{"bucket":"c"}`))
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			if c.message != "" {
				var m struct{ Message string }
				if json.Unmarshal(body, &m) != nil || !strings.Contains(m.Message, c.message) {
					t.Fatalf("answer %s, want a message with %q", body, c.message)
				}
				if rec.calls != 0 {
					t.Fatal("a refused request reached the handler")
				}
				return
			}
			if rec.calls != 1 || !api.ViaIntegration(rec.arn) {
				t.Fatalf("calls %d, invoked ARN %q: not the integration's alias", rec.calls, rec.arn)
			}
			if c.check != nil {
				c.check(t, rec.event)
			}
		})
	}
}
