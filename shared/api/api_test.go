package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/api"
	awsevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	smithy "github.com/aws/smithy-go"
)

type apiErr struct{ code string }

func (e apiErr) Error() string                 { return e.code }
func (e apiErr) ErrorCode() string             { return e.code }
func (e apiErr) ErrorMessage() string          { return "message of " + e.code }
func (e apiErr) ErrorFault() smithy.ErrorFault { return smithy.FaultServer }

func awsError(code string) error {
	return &smithy.OperationError{ServiceID: "EC2", OperationName: "RunInstances", Err: apiErr{code}}
}

// registry has one command of each shape the real ones use.
func registry(t testing.TB) *api.Registry {
	t.Helper()
	r, err := newRegistry()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newRegistry() (*api.Registry, error) {
	echo := func(_ context.Context, c *api.Call) (any, error) { return c.Params, nil }
	return api.NewRegistry([]api.Command{
		{Action: "thing.create", Method: "POST", Path: "/things", Mutates: true, Run: echo, Params: []api.Param{
			{Name: "name", Type: api.String, Required: true, Pattern: api.Bound(`^[a-z]+$`, 10), Accepts: "1 to 10 lowercase letters"},
			{Name: "size", Type: api.Int, Min: 1, Max: 100, Default: 8},
			{Name: "kind", Type: api.String, Enum: []string{"a", "b"}},
			{Name: "ids", Type: api.List, Max: 2},
			{Name: "tags", Type: api.Map, Max: 2},
			{Name: "wait", Type: api.Bool},
			{Name: "ratio", Type: api.Number, Min: 0, Max: 1},
		}},
		{Action: "thing.get", Method: "GET", Path: "/things/{name}", Run: echo, Params: []api.Param{
			{Name: "name", Type: api.String, Required: true}, {Name: "verbose", Type: api.Bool}}},
		{Action: "thing.file", Method: "GET", Path: "/things/{name}/files/{key+}", Run: echo, Params: []api.Param{
			{Name: "name", Type: api.String, Required: true}, {Name: "key", Type: api.String, Required: true}}},
		{Action: "thing.panic", Method: "POST", Path: "/panic", Run: func(context.Context, *api.Call) (any, error) { panic("boom") }},
		{Action: "thing.fail", Method: "POST", Path: "/fail", Params: []api.Param{{Name: "code", Type: api.String}},
			Run: func(_ context.Context, c *api.Call) (any, error) {
				return nil, fmt.Errorf("wrapped: %w", awsError(c.Params.Str("code")))
			}},
	})
}

// httpEvent is what API Gateway sends for method and path: the route key
// is the matching command's route (none for a path no command has).
func httpEvent(method, path, query, body string) []byte {
	r, _ := newRegistry()
	route, ok := r.RouteFor(method, strings.TrimPrefix(path, "/prod"))
	if !ok {
		route = method + " " + path
	}
	ev := awsevents.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: route, RawPath: path, RawQueryString: query, Body: body,
		Headers: map[string]string{"content-type": "application/json"},
		RequestContext: awsevents.APIGatewayV2HTTPRequestContext{RequestID: "req-1", Stage: "$default",
			HTTP:       awsevents.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path},
			Authorizer: &awsevents.APIGatewayV2HTTPRequestContextAuthorizerDescription{IAM: &awsevents.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{UserARN: "arn:aws:iam::123456789012:user/alice"}}}}
	b, _ := json.Marshal(ev)
	return b
}

func serve(t *testing.T, raw []byte) (int, api.Response, map[string]string) {
	t.Helper()
	s := &api.Server{Registry: registry(t)}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-1"})
	out, err := s.Handle(ctx, raw)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	var resp api.Response
	switch o := out.(type) {
	case awsevents.APIGatewayV2HTTPResponse:
		if err := json.Unmarshal([]byte(o.Body), &resp); err != nil {
			t.Fatalf("body is not JSON: %s", o.Body)
		}
		if resp.StatusCode != o.StatusCode {
			t.Errorf("body status %d != HTTP status %d", resp.StatusCode, o.StatusCode)
		}
		return o.StatusCode, resp, o.Headers
	case api.Response:
		b, _ := json.Marshal(o)
		json.Unmarshal(b, &resp)
		return o.StatusCode, resp, nil
	}
	t.Fatalf("unexpected answer type %T", out)
	return 0, api.Response{}, nil
}

// Every bad request gets its status and names what is wrong, through both
// entry points where the mistake can be made in both.
func TestBadRequests(t *testing.T) {
	big := `{"name":"` + strings.Repeat("x", api.MaxBodyBytes) + `"}`
	cases := []struct {
		name   string
		raw    []byte
		status int
		code   string
		field  string
		want   string // in the message
	}{
		{"not JSON", []byte(`{"action":`), 400, "MalformedRequest", "", "not valid JSON"},
		{"not an object", []byte(`[1,2]`), 400, "MalformedRequest", "", "JSON object"},
		{"direct unknown top-level field", []byte(`{"action":"thing.get","param":{}}`), 400, "MalformedRequest", "", "unknown field"},
		{"direct missing action", []byte(`{"params":{}}`), 400, "MissingParameter", "action", "required"},
		{"direct unknown action", []byte(`{"action":"thing.nope"}`), 404, "UnknownAction", "", `no action "thing.nope"`},
		{"direct missing param", []byte(`{"action":"thing.create","params":{}}`), 400, "MissingParameter", "name", "1 to 10 lowercase letters"},
		{"direct bad pattern", []byte(`{"action":"thing.create","params":{"name":"ABC"}}`), 400, "InvalidParameter", "name", "1 to 10 lowercase letters"},
		{"direct too long for the pattern", []byte(`{"action":"thing.create","params":{"name":"abcdefghijk"}}`), 400, "InvalidParameter", "name", "1 to 10 lowercase letters"},
		{"http too long for the pattern", httpEvent("POST", "/things", "", `{"name":"abcdefghijk"}`), 400, "InvalidParameter", "name", "1 to 10 lowercase letters"},
		{"direct int out of range", []byte(`{"action":"thing.create","params":{"name":"a","size":101}}`), 400, "InvalidParameter", "size", "from 1 to 100"},
		{"direct int wrong type", []byte(`{"action":"thing.create","params":{"name":"a","size":"big"}}`), 400, "InvalidParameter", "size", "integer"},
		{"direct quoted int is not coerced", []byte(`{"action":"thing.create","params":{"name":"a","size":"9"}}`), 400, "InvalidParameter", "size", "integer"},
		{"direct duplicate dryRun", []byte(`{"action":"thing.create","params":{"name":"a"},"dryRun":true,"dryRun":false}`), 400, "MalformedRequest", "", "given twice"},
		{"direct number out of range", []byte(`{"action":"thing.create","params":{"name":"a","ratio":1.5}}`), 400, "InvalidParameter", "ratio", "a number from 0 to 1"},
		{"http number not a number", httpEvent("POST", "/things", "ratio=NaN", `{"name":"a"}`), 400, "InvalidParameter", "ratio", "a number"},
		{"direct enum", []byte(`{"action":"thing.create","params":{"name":"a","kind":"c"}}`), 400, "InvalidParameter", "kind", "among a, b"},
		{"direct list as a comma string", []byte(`{"action":"thing.create","params":{"name":"a","ids":"1,2"}}`), 400, "InvalidParameter", "ids", "JSON array of strings"},
		{"direct list too long", []byte(`{"action":"thing.create","params":{"name":"a","ids":["1","2","3"]}}`), 400, "InvalidParameter", "ids", "at most 2 items"},
		{"direct map of numbers", []byte(`{"action":"thing.create","params":{"name":"a","tags":{"k":1}}}`), 400, "InvalidParameter", "tags", "string values"},
		{"direct bool as string", []byte(`{"action":"thing.create","params":{"name":"a","wait":"yes"}}`), 400, "InvalidParameter", "wait", "true or false"},
		{"direct unknown param", []byte(`{"action":"thing.create","params":{"name":"a","colour":"red"}}`), 400, "UnknownParameter", "colour", "name, size, kind"},
		{"http unknown route", httpEvent("GET", "/nope", "", ""), 404, "UnknownRoute", "", "no route GET /nope"},
		{"http wrong method", httpEvent("DELETE", "/things", "", ""), 404, "UnknownRoute", "", "no route DELETE /things"},
		{"http malformed body", httpEvent("POST", "/things", "", `{"name":`), 400, "MalformedRequest", "", "JSON object"},
		{"http body not an object", httpEvent("POST", "/things", "", `"name"`), 400, "MalformedRequest", "", "JSON object"},
		{"http body too large", httpEvent("POST", "/things", "", big), 413, "PayloadTooLarge", "", "at most 262144"},
		{"http bad base64", []byte(`{"version":"2.0","routeKey":"POST /things","rawPath":"/things","body":"%%%","isBase64Encoded":true,"requestContext":{"authorizer":{"iam":{"userArn":"arn:aws:iam::123456789012:user/alice"}},"http":{"method":"POST"}}}`), 400, "MalformedRequest", "", "base64"},
		// IAM authorized the route in routeKey: another command on a path it could also match is not run.
		{"http route authorized for another command", []byte(`{"version":"2.0","routeKey":"GET /things/{name}","rawPath":"/things/abc/files/x","requestContext":{"authorizer":{"iam":{"userArn":"arn:aws:iam::123456789012:user/alice"}},"http":{"method":"GET"}}}`), 403, "RouteMismatch", "routeKey", "thing.file"},
		{"http catch-all route", []byte(`{"version":"2.0","routeKey":"$default","rawPath":"/things","body":"{\"name\":\"abc\"}","requestContext":{"authorizer":{"iam":{"userArn":"arn:aws:iam::123456789012:user/alice"}},"http":{"method":"POST"}}}`), 403, "RouteMismatch", "routeKey", "its own route"},
		{"http bad version", []byte(`{"version":"1.0","routeKey":"$default","rawPath":"/things","requestContext":{}}`), 400, "InvalidParameter", "version", "2.0"},
		{"http missing param", httpEvent("POST", "/things", "", `{}`), 400, "MissingParameter", "name", "required"},
		{"http query int", httpEvent("GET", "/things/abc", "verbose=maybe", ""), 400, "InvalidParameter", "verbose", "true or false"},
		{"http query map refused", httpEvent("POST", "/things", "tags=a", `{"name":"a"}`), 400, "InvalidParameter", "tags", "JSON body"},
		{"http param twice", httpEvent("POST", "/things", "size=2", `{"name":"a","size":3}`), 400, "InvalidParameter", "size", "both"},
		{"http bad dryRun", httpEvent("POST", "/things", "dryRun=perhaps", `{"name":"a"}`), 400, "InvalidParameter", "dryRun", "true or false"},
		{"panic", []byte(`{"action":"thing.panic"}`), 500, "InternalError", "", "lambda-1"},
		{"aws not found", []byte(`{"action":"thing.fail","params":{"code":"InvalidInstanceID.NotFound"}}`), 404, "NotFound", "", "wrapped"},
		{"aws conflict", []byte(`{"action":"thing.fail","params":{"code":"IncorrectInstanceState"}}`), 409, "Conflict", "", ""},
		{"aws busy volume", []byte(`{"action":"thing.fail","params":{"code":"ConcurrentSnapshotLimitExceeded"}}`), 409, "Busy", "", "later run"},
		{"aws throttled", httpEvent("POST", "/fail", "", `{"code":"Throttling"}`), 429, "Throttled", "", "throttled"},
		{"aws access denied names the action", []byte(`{"action":"thing.fail","params":{"code":"UnauthorizedOperation"}}`), 403, "AccessDenied", "", "EC2:RunInstances"},
		{"aws other", []byte(`{"action":"thing.fail","params":{"code":"Weird"}}`), 502, "AWSError", "", "Weird"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, resp, headers := serve(t, tc.raw)
			if status != tc.status || resp.StatusCode != tc.status {
				t.Fatalf("status = %d (body %d), want %d: %+v", status, resp.StatusCode, tc.status, resp.Error)
			}
			if resp.Error == nil {
				t.Fatalf("no error in the answer")
			}
			if resp.Error.Code != tc.code || resp.Error.Field != tc.field {
				t.Errorf("code/field = %s/%q, want %s/%q", resp.Error.Code, resp.Error.Field, tc.code, tc.field)
			}
			if !strings.Contains(resp.Error.Message+" "+resp.Error.Rule, tc.want) {
				t.Errorf("message %q (rule %q) lacks %q", resp.Error.Message, resp.Error.Rule, tc.want)
			}
			if strings.HasPrefix(tc.code, "Unknown") && tc.status == 404 && len(resp.Error.Valid) == 0 {
				t.Errorf("a 404 lists the valid routes or actions")
			}
			if tc.status == 429 && headers["retry-after"] == "" {
				t.Errorf("429 without Retry-After: %v", headers)
			}
			if tc.status == 502 && resp.Error.AWSCode != "Weird" {
				t.Errorf("502 names the AWS code: %+v", resp.Error)
			}
		})
	}
}

// Both entry points reach the same command with the same validated values.
func TestEntryPointsAgree(t *testing.T) {
	cases := []struct {
		name string
		raw  []byte
		want map[string]any
	}{
		{"direct with defaults", []byte(`{"action":"thing.create","params":{"name":"abc"}}`), map[string]any{"name": "abc", "size": 8.0}},
		// A number in a JSON body is a JSON number: "size":"9" is refused (TestBadRequests).
		{"http body", httpEvent("POST", "/things", "", `{"name":"abc","size":9,"ids":["x","y"]}`), map[string]any{"name": "abc", "size": 9.0, "ids": []any{"x", "y"}}},
		{"http query list", httpEvent("POST", "/things", "ids=x,y", `{"name":"abc"}`), map[string]any{"name": "abc", "size": 8.0, "ids": []any{"x", "y"}}},
		{"http query number", httpEvent("POST", "/things", "ratio=0.25", `{"name":"abc"}`), map[string]any{"name": "abc", "size": 8.0, "ratio": 0.25}},
		{"http query and path", httpEvent("GET", "/things/abc", "verbose=true", ""), map[string]any{"name": "abc", "verbose": true}},
		{"http greedy path, escaped", httpEvent("GET", "/things/abc/files/a/b%20c.txt", "", ""), map[string]any{"name": "abc", "key": "a/b c.txt"}},
		{"http base64 body", []byte(`{"version":"2.0","routeKey":"POST /things","rawPath":"/things","isBase64Encoded":true,"body":"` +
			base64.StdEncoding.EncodeToString([]byte(`{"name":"xyz"}`)) + `","requestContext":{"authorizer":{"iam":{"userArn":"arn:aws:iam::123456789012:user/alice"}},"http":{"method":"POST"}}}`), map[string]any{"name": "xyz", "size": 8.0}},
		{"http named stage", []byte(`{"version":"2.0","routeKey":"GET /things/{name}","rawPath":"/prod/things/q","requestContext":{"authorizer":{"iam":{"userArn":"arn:aws:iam::123456789012:user/alice"}},"stage":"prod","http":{"method":"GET"}}}`), map[string]any{"name": "q"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, resp, _ := serve(t, tc.raw)
			if status != 200 {
				t.Fatalf("status %d: %+v", status, resp.Error)
			}
			got, _ := json.Marshal(resp.Result)
			want, _ := json.Marshal(tc.want)
			if string(got) != string(want) {
				t.Errorf("params = %s, want %s", got, want)
			}
		})
	}
}

func TestCommandsList(t *testing.T) {
	status, resp, _ := serve(t, httpEvent("GET", "/commands", "", ""))
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	b, _ := json.Marshal(resp.Result)
	var docs []api.Doc
	json.Unmarshal(b, &docs)
	if len(docs) != 6 || docs[0].Action != "commands.list" {
		t.Fatalf("docs = %s", b)
	}
	for _, d := range docs {
		if d.Action == "thing.create" && (len(d.Params) != 7 || d.Params[1].Rule != "an integer from 1 to 100" || d.Route != "POST /things") {
			t.Errorf("thing.create doc = %+v", d)
		}
	}
}

func TestRegistryRefusesBadDeclarations(t *testing.T) {
	run := func(context.Context, *api.Call) (any, error) { return nil, nil }
	cases := []struct {
		name string
		cmds []api.Command
	}{
		{"duplicate action", []api.Command{{Action: "a.b", Method: "GET", Path: "/a", Run: run}, {Action: "a.b", Method: "GET", Path: "/b", Run: run}}},
		{"duplicate route", []api.Command{{Action: "a.b", Method: "GET", Path: "/a", Run: run}, {Action: "a.c", Method: "GET", Path: "/a", Run: run}}},
		{"undeclared path param", []api.Command{{Action: "a.b", Method: "GET", Path: "/a/{id}", Run: run}}},
		{"no run", []api.Command{{Action: "a.b", Method: "GET", Path: "/a"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := api.NewRegistry(tc.cmds); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestFromErrorKeepsCommandErrors(t *testing.T) {
	e := api.Protected("instance i-1", "commander:protect")
	if got := api.FromError(fmt.Errorf("x: %w", e)); got.Status != http.StatusConflict || !errors.Is(fmt.Errorf("%w", e), e) {
		t.Errorf("got %+v", got)
	}
}

// FuzzDecodeRequest: no input makes decoding or resolution panic, and every
// refusal is a 4xx with a message.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"action":"thing.create","params":{"name":"abc","size":3,"ids":["a"],"tags":{"k":"v"}},"dryRun":true}`))
	f.Add(httpEvent("POST", "/things", "size=3", `{"name":"abc"}`))
	f.Add(httpEvent("GET", "/things/abc/files/x/y", "verbose=1", ""))
	f.Add([]byte(`{"version":"2.0","routeKey":"x","requestContext":{},"isBase64Encoded":true,"body":"e30="}`))
	f.Add([]byte(`{}`))
	r := registry(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, derr := api.DecodeRequest(raw, "id")
		if derr != nil {
			if derr.Status < 400 || derr.Status > 499 || derr.Message == "" {
				t.Fatalf("refusal %+v", derr)
			}
			return
		}
		if _, _, verr := r.Resolve(req); verr != nil && (verr.Status < 400 || verr.Status > 499 || verr.Message == "") {
			t.Fatalf("refusal %+v", verr)
		}
	})
}

type auditLog struct{ events []string }

func (a *auditLog) Emit(_ context.Context, detailType string, detail any, _ ...string) error {
	a.events = append(a.events, detailType)
	return nil
}

// A changing command that ran is audited; a dry run, a read or a refusal is not.
func TestAudit(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want int
	}{
		{"mutating command", `{"action":"thing.create","params":{"name":"a"}}`, 1},
		{"dry run", `{"action":"thing.create","params":{"name":"a"},"dryRun":true}`, 0},
		{"read", `{"action":"thing.get","params":{"name":"a"}}`, 0},
		{"refused", `{"action":"thing.create","params":{}}`, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log := &auditLog{}
			s := &api.Server{Registry: registry(t), Audit: log}
			if _, err := s.Handle(context.Background(), []byte(tc.raw)); err != nil {
				t.Fatal(err)
			}
			if len(log.events) != tc.want {
				t.Errorf("audit events = %v, want %d", log.events, tc.want)
			}
		})
	}
}

// A panic is answered 500 and logged with the request id and the stack.
func TestPanicIsLogged(t *testing.T) {
	var buf strings.Builder
	s := &api.Server{Registry: registry(t), Log: slog.New(slog.NewJSONHandler(&buf, nil))}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-panic"})
	out, err := s.Handle(ctx, httpEvent("POST", "/panic", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	if r := out.(awsevents.APIGatewayV2HTTPResponse); r.StatusCode != 500 || !strings.Contains(r.Body, "req-1") {
		t.Errorf("answer = %+v", r)
	}
	if !strings.Contains(buf.String(), `"msg":"command panicked"`) || !strings.Contains(buf.String(), `"panic":"boom"`) || !strings.Contains(buf.String(), `"requestId":"req-1"`) {
		t.Errorf("log = %s", buf.String())
	}
}

// Tags are declared once (api.Tags) with AWS's own limits; a key that AWS or
// commander sets itself is refused with the rule, never dropped.
func TestTagsParam(t *testing.T) {
	echo := func(_ context.Context, c *api.Call) (any, error) { return c.Params, nil }
	reg, err := api.NewRegistry([]api.Command{{Action: "thing.tag", Method: "POST", Path: "/tag", Run: echo, Params: []api.Param{api.Tags("")}}})
	if err != nil {
		t.Fatal(err)
	}
	many := map[string]string{}
	for i := range api.MaxUserTags + 1 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	cases := []struct {
		name string
		tags map[string]string
		want string // "" accepted; else in the error
	}{
		{"ordinary", map[string]string{"team": "web", "cost-center": "42", "empty": ""}, ""},
		{"protection may be asked for", map[string]string{"commander:protect": "true"}, ""},
		{"key of 128 characters", map[string]string{strings.Repeat("é", 128): "v"}, ""},
		{"key of 129 characters", map[string]string{strings.Repeat("é", 129): "v"}, "key"},
		{"value of 256 characters", map[string]string{"k": strings.Repeat("a", 256)}, ""},
		{"value of 257 characters", map[string]string{"k": strings.Repeat("a", 257)}, `the value of "k" does not`},
		{"value with a character AWS refuses", map[string]string{"k": "a;b"}, `the value of "k" does not`},
		{"aws: prefix", map[string]string{"AWS:cloudformation:stack-name": "x"}, `key "AWS:cloudformation:stack-name" does not`},
		{"commander's own key", map[string]string{"commander:managed-by": "someone"}, `key "commander:managed-by" does not`},
		{"commander's own key in another case", map[string]string{"Commander:Created-By": "admin"}, `does not`},
		{"too many", many, "at most 40 items"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			params, _ := json.Marshal(map[string]any{"tags": c.tags})
			_, p, e := reg.Resolve(api.Request{Action: "thing.tag", Body: map[string]json.RawMessage{"tags": json.RawMessage(mustField(t, params, "tags"))}})
			switch {
			case c.want == "" && e != nil:
				t.Fatalf("refused: %v", e)
			case c.want == "" && len(p["tags"].(map[string]string)) != len(c.tags):
				t.Errorf("tags = %v, want all of %v", p["tags"], c.tags)
			case c.want != "" && (e == nil || e.Field != "tags" || !strings.Contains(e.Message, c.want)):
				t.Errorf("error = %+v; want tags refused mentioning %q", e, c.want)
			}
		})
	}
}

func mustField(t *testing.T, obj []byte, name string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(obj, &m); err != nil {
		t.Fatal(err)
	}
	return m[name]
}

// Every request writes the jobs' metric vocabulary with Job=api and the
// command as the action: done, planned in a dry run, failed when refused.
func TestServerMetrics(t *testing.T) {
	cases := []struct {
		name, want string
		raw        []byte
	}{
		{"done", `"Action":"thing:create"`, []byte(`{"action":"thing.create","params":{"name":"abc"}}`)},
		{"planned", `"Planned":1`, []byte(`{"action":"thing.create","params":{"name":"abc"},"dryRun":true}`)},
		{"refused", `"SkippedRuns":1`, []byte(`{"action":"thing.create","params":{}}`)},
		{"server error", `"FailedRuns":1`, []byte(`{"action":"thing.panic"}`)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf strings.Builder
			s := &api.Server{Registry: registry(t), Metrics: &buf, Namespace: "Commander", Log: slog.New(slog.DiscardHandler)}
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-1"})
			if _, err := s.Handle(ctx, c.raw); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), `"Job":"api"`) || !strings.Contains(buf.String(), `"Runs":1`) || !strings.Contains(buf.String(), c.want) {
				t.Errorf("metrics = %s; want Job=api, Runs=1 and %s", buf.String(), c.want)
			}
		})
	}
}

// COMMANDER_DRY_RUN=true on the api makes every mutating command a dry run;
// a request's dryRun:false does not lift it, and reads are unaffected.
func TestForceDryRun(t *testing.T) {
	cases := []struct {
		name   string
		raw    []byte
		dryRun bool
	}{
		{"mutating, request says false", []byte(`{"action":"thing.create","params":{"name":"abc"},"dryRun":false}`), true},
		{"mutating over HTTP", httpEvent("POST", "/things", "dryRun=false", `{"name":"abc"}`), true},
		{"a read is no dry run", []byte(`{"action":"thing.get","params":{"name":"abc"}}`), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &api.Server{Registry: registry(t), ForceDryRun: true, Log: slog.New(slog.DiscardHandler)}
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-1",
				InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:commander-test-api:" + api.IntegrationAlias})
			out, err := s.Invoke(ctx, c.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(string(out), `dryRun\":true`) || strings.Contains(string(out), `"dryRun":true`); got != c.dryRun {
				t.Errorf("dryRun = %v, want %v: %s", got, c.dryRun, out)
			}
		})
	}
}
