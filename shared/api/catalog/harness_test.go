package catalog_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"testing"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/catalog"
	"github.com/aws-commander/commander/shared/boot"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestMain makes moto (started by the first test, inheriting this
// environment) serve AWS managed policies such as AmazonEC2ReadOnlyAccess,
// as real IAM does; moto's config API cannot switch that on.
func TestMain(m *testing.M) {
	os.Setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
	emulatortest.Main(m)
}

const caller = "arn:aws:iam::123456789012:user/alice"

// harness serves both entry points from the real catalog against a fresh moto.
type harness struct {
	t   *testing.T
	srv *api.Server
	cfg aws.Config
	n   int
}

func newHarness(t *testing.T, env map[string]string) *harness {
	t.Helper()
	emulatortest.Moto(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	s, err := settings.Load(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	d, err := boot.Build(context.Background(), "api", s)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := catalog.New(d, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if !testing.Verbose() {
		srv.Log = slog.New(slog.DiscardHandler)
	}
	return &harness{t: t, srv: srv, cfg: d.AWS}
}

// bounds are the deputy's bounds from the test's environment, for tests that
// build a command group themselves.
func (h *harness) bounds(t *testing.T) deputy.Bounds {
	b, err := deputy.FromEnv(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (h *harness) settings(t *testing.T) settings.Settings {
	s, err := settings.Load(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// answer is a decoded Response.
type answer struct {
	Status int
	DryRun bool
	Result json.RawMessage
	Error  *api.Error
	Header map[string]string
}

func (a answer) into(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.Result, v); err != nil {
		t.Fatalf("result %s: %v", a.Result, err)
	}
}

func (h *harness) handle(raw []byte, requestID string) answer {
	h.t.Helper()
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: requestID})
	out, err := h.srv.Handle(ctx, raw)
	if err != nil {
		h.t.Fatalf("Handle: %v", err)
	}
	var body []byte
	var hdr map[string]string
	switch o := out.(type) {
	case awsevents.APIGatewayV2HTTPResponse:
		body, hdr = []byte(o.Body), o.Headers
	default:
		body, _ = json.Marshal(o)
	}
	var r struct {
		StatusCode int             `json:"statusCode"`
		DryRun     bool            `json:"dryRun"`
		Result     json.RawMessage `json:"result"`
		Error      *api.Error      `json:"error"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		h.t.Fatalf("answer %s: %v", body, err)
	}
	if r.Error != nil {
		r.Error.Status = r.StatusCode
	}
	return answer{Status: r.StatusCode, DryRun: r.DryRun, Result: r.Result, Error: r.Error, Header: hdr}
}

// direct invokes action as the Lambda console would.
func (h *harness) direct(action string, params map[string]any, dryRun bool) answer {
	h.t.Helper()
	h.n++
	raw, _ := json.Marshal(map[string]any{"action": action, "params": params, "dryRun": dryRun})
	return h.handle(raw, "lambda-req-"+action+"-"+string(rune('a'+h.n%26)))
}

// http sends an HTTP API request (payload 2.0) as API Gateway would.
func (h *harness) http(method, path, query string, body map[string]any) answer {
	h.t.Helper()
	h.n++
	route, ok := h.srv.Registry.RouteFor(method, path)
	if !ok {
		route = method + " " + path // no command: API Gateway would answer 404 itself
	}
	ev := awsevents.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: route, RawPath: path, RawQueryString: query,
		RequestContext: awsevents.APIGatewayV2HTTPRequestContext{RequestID: "http-req-" + path + string(rune('a'+h.n%26)), Stage: "$default",
			HTTP:       awsevents.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path},
			Authorizer: &awsevents.APIGatewayV2HTTPRequestContextAuthorizerDescription{IAM: &awsevents.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{UserARN: caller}}}}
	if body != nil {
		b, _ := json.Marshal(body)
		ev.Body = string(b)
	}
	raw, _ := json.Marshal(ev)
	return h.handle(raw, "lambda-req-http")
}

// ok fails the test unless a is a 200.
func (a answer) ok(t *testing.T, what string) answer {
	t.Helper()
	if a.Status != 200 {
		t.Fatalf("%s: status %d: %+v", what, a.Status, a.Error)
	}
	return a
}

// is fails the test unless a failed with status and code (0 and "": any failure).
func (a answer) is(t *testing.T, what string, status int, code string) {
	t.Helper()
	if (status != 0 && a.Status != status) || a.Status == 200 || a.Error == nil || (code != "" && a.Error.Code != code) {
		t.Fatalf("%s: want %d %s, got %d %+v (result %s)", what, status, code, a.Status, a.Error, a.Result)
	}
}
