package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/aws-commander/commander/shared/strictjson"
	"github.com/aws/aws-lambda-go/events"
)

// Limits on what a caller may send.
const (
	MaxBodyBytes   = 256 << 10 // an HTTP body, decoded
	MaxDirectBytes = 6 << 20   // a direct invocation: Lambda's synchronous payload limit
)

// Request is an invocation decoded from either entry point, before routing
// and validation.
type Request struct {
	HTTP      bool
	Method    string // HTTP
	Path      string // HTTP, without the stage
	RouteKey  string // HTTP: the route API Gateway matched and IAM authorized
	Action    string // direct
	Query     map[string]string
	Body      map[string]json.RawMessage // HTTP body or direct params
	DryRun    bool
	Caller    string
	RequestID string
	Token     string
}

type direct struct {
	Action string                     `json:"action"`
	Params map[string]json.RawMessage `json:"params"`
	DryRun bool                       `json:"dryRun"`
	// Token lets a script that retries a direct invocation name the attempt,
	// as the Idempotency-Key header does over HTTP.
	Token string `json:"idempotencyKey"`
}

type probe struct {
	RouteKey       *string         `json:"routeKey"`
	RequestContext json.RawMessage `json:"requestContext"`
}

// DecodeRequest reads either entry point's event. lambdaRequestID names the
// caller of a direct invocation (which carries no identity) and is the
// idempotency token when none is given. Errors are *Error (400 or 413).
func DecodeRequest(raw []byte, lambdaRequestID string) (Request, *Error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > MaxDirectBytes {
		return Request{}, tooLarge(len(raw), MaxDirectBytes)
	}
	// One strict decoder: duplicate keys ({"dryRun":true,"dryRun":false}),
	// keys differing only in case, invalid UTF-8, NaN and deep nesting are
	// refused here, before encoding/json could pick one of them.
	if err := strictjson.Check(raw); err != nil {
		return Request{}, malformed("the event is not valid JSON (strict: each key once, UTF-8, finite numbers): " + err.Error())
	}
	if raw[0] != '{' {
		return Request{}, malformed("the event must be a JSON object")
	}
	var p probe
	if err := json.Unmarshal(raw, &p); err != nil {
		return Request{}, malformed("the event is not valid JSON: " + err.Error())
	}
	if p.RouteKey != nil && p.RequestContext != nil {
		return decodeHTTP(raw)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var d direct
	if err := dec.Decode(&d); err != nil {
		return Request{}, malformed(`a direct invocation is {"action": "service.verb", "params": {...}, "dryRun": false}: ` + err.Error())
	}
	if d.Action == "" {
		return Request{}, Missing("action", "the command to run, e.g. commands.list")
	}
	r := Request{Action: d.Action, Body: d.Params, DryRun: d.DryRun, RequestID: lambdaRequestID,
		Caller: "lambda-request:" + lambdaRequestID, Token: d.Token}
	if r.Token == "" {
		r.Token = lambdaRequestID
	}
	return r, nil
}

func decodeHTTP(raw []byte) (Request, *Error) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		return Request{}, malformed("HTTP API request: " + err.Error())
	}
	if ev.Version != "2.0" {
		return Request{}, Invalid("version", `"2.0" (HTTP API payload format 2.0)`)
	}
	rc := ev.RequestContext
	r := Request{HTTP: true, Method: strings.ToUpper(rc.HTTP.Method), Path: ev.RawPath, RouteKey: ev.RouteKey, RequestID: rc.RequestID}
	if r.Method == "" {
		r.Method = strings.ToUpper(strings.SplitN(ev.RouteKey, " ", 2)[0])
	}
	if r.Path == "" {
		r.Path = rc.HTTP.Path
	}
	// A named stage prefixes rawPath; $default does not.
	if st := rc.Stage; st != "" && st != "$default" {
		r.Path = strings.TrimPrefix(r.Path, "/"+st)
	}
	// The HTTP API authorizes every route with IAM, so its events always
	// carry the caller; one without is not from the integration.
	if rc.Authorizer == nil || rc.Authorizer.IAM == nil || rc.Authorizer.IAM.UserARN == "" {
		return Request{}, &Error{Status: http.StatusForbidden, Code: "Unauthenticated", Field: "requestContext.authorizer.iam.userArn",
			Message: "the HTTP request carries no IAM identity (requestContext.authorizer.iam.userArn): every route of the HTTP API requires IAM authorization"}
	}
	r.Caller = rc.Authorizer.IAM.UserARN
	r.Token = rc.RequestID
	for k, v := range ev.Headers {
		if strings.EqualFold(k, "idempotency-key") && v != "" {
			r.Token = v
		}
	}
	q, err := url.ParseQuery(ev.RawQueryString)
	if err != nil {
		return Request{}, malformed("the query string is malformed: " + err.Error())
	}
	r.Query = map[string]string{}
	for k, vs := range q {
		// A parameter given twice is refused rather than one of its values
		// picked (?dryRun=true&dryRun=false); a list is comma-separated.
		if len(vs) > 1 {
			return Request{}, Invalid(k, "one value: the query string gives it "+fmt.Sprint(len(vs))+" times (comma-separate a list)")
		}
		r.Query[k] = vs[0]
	}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return Request{}, malformed("the body is marked base64 but is not: " + err.Error())
		}
		body = b
	}
	if len(body) > MaxBodyBytes {
		return Request{}, tooLarge(len(body), MaxBodyBytes)
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := strictjson.Check(body); err != nil {
			return Request{}, malformed("the body must be a JSON object in strict JSON (each key once, UTF-8, finite numbers): " + err.Error())
		}
		if err := json.Unmarshal(body, &r.Body); err != nil || r.Body == nil {
			return Request{}, malformed("the body must be a JSON object")
		}
	}
	var inQuery *bool
	if v, ok := r.Query["dryRun"]; ok {
		if v != "true" && v != "false" {
			return Request{}, Invalid("dryRun", "true or false")
		}
		b := v == "true"
		inQuery, r.DryRun = &b, b
		delete(r.Query, "dryRun")
	}
	if v, ok := r.Body["dryRun"]; ok {
		var b bool
		if err := json.Unmarshal(v, &b); err != nil {
			return Request{}, Invalid("dryRun", "true or false")
		}
		// Given in two places, it must say one thing: never act for real
		// on a request that also asked for a dry run.
		if inQuery != nil && *inQuery != b {
			return Request{}, Invalid("dryRun", "one value: the query string and the body disagree")
		}
		r.DryRun = b
		delete(r.Body, "dryRun")
	}
	return r, nil
}

func malformed(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "MalformedRequest", Message: msg}
}

func tooLarge(n, max int) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Code: "PayloadTooLarge",
		Message: fmt.Sprintf("the request is %d bytes; at most %d are accepted", n, max)}
}

// Resolve finds the request's command and validates its parameters against
// the declaration: unknown names, missing required ones and bad values are
// 400 naming the field.
func (r *Registry) Resolve(req Request) (*Command, Params, *Error) {
	var cmd *Command
	vals := map[string]value{}
	if req.HTTP {
		c, path, ok := r.Match(req.Method, req.Path)
		if !ok {
			return nil, nil, &Error{Status: http.StatusNotFound, Code: "UnknownRoute", Valid: r.Routes(),
				Message: fmt.Sprintf("no route %s %s", req.Method, req.Path)}
		}
		// IAM authorized the route API Gateway matched (execute-api:Invoke on
		// METHOD/path): run that command and no other, so a grant of one
		// command never reaches another that the same path could match.
		if req.RouteKey != c.Route() {
			return nil, nil, &Error{Status: http.StatusForbidden, Code: "RouteMismatch", Field: "routeKey",
				Message: fmt.Sprintf("the request was authorized for route %q, but %s %s is the command %s (route %q): each command has its own route",
					req.RouteKey, req.Method, req.Path, c.Action, c.Route())}
		}
		cmd = c
		for k, v := range req.Query {
			vals[k] = value{text: &v}
		}
		for k, v := range path {
			vals[k] = value{text: &v}
		}
	} else {
		c, ok := r.Lookup(req.Action)
		if !ok {
			return nil, nil, &Error{Status: http.StatusNotFound, Code: "UnknownAction", Valid: r.Actions(),
				Message: fmt.Sprintf("no action %q", req.Action)}
		}
		cmd = c
	}
	for k, v := range req.Body {
		if _, dup := vals[k]; dup {
			return nil, nil, Invalid(k, "one value: it is given both in the path or query and in the body")
		}
		vals[k] = value{json: v}
	}
	declared := map[string]Param{}
	for _, p := range cmd.Params {
		declared[p.Name] = p
	}
	var unknown []string
	for k := range vals {
		if _, ok := declared[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		names := make([]string, 0, len(cmd.Params))
		for _, p := range cmd.Params {
			names = append(names, p.Name)
		}
		e := Invalid(unknown[0], fmt.Sprintf("nothing: %s takes %s", cmd.Action, orNone(names)))
		e.Code, e.Message = "UnknownParameter", fmt.Sprintf("parameter %q is not a parameter of %s, which takes: %s", unknown[0], cmd.Action, orNone(names))
		return nil, nil, e
	}
	out := Params{}
	for _, p := range cmd.Params {
		v, ok := vals[p.Name]
		if !ok || (v.json != nil && string(bytes.TrimSpace(v.json)) == "null") {
			if p.Required {
				return nil, nil, Missing(p.Name, p.Rule())
			}
			if p.Default != nil {
				out[p.Name] = normalize(p.Default)
			}
			continue
		}
		x, err := p.parse(v)
		if err != nil {
			return nil, nil, err
		}
		out[p.Name] = x
	}
	return cmd, out, nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "no parameters"
	}
	return strings.Join(names, ", ")
}

// normalize makes a declared default the type parse would produce.
func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int32:
		return int64(x)
	}
	return v
}
