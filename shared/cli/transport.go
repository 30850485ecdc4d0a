package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Call is one validated command to send.
type Call struct {
	Command *api.Command
	Params  map[string]json.RawMessage // what the user gave, by parameter name
	DryRun  bool
	// IdempotencyKey names a changing call, so that a retry of it (by the
	// SDK, API Gateway or the user) acts once; empty for a reading one.
	IdempotencyKey string
}

// Answer is what came back: the HTTP status and the body, the api's
// Response JSON (or API Gateway's own {"message": ...}).
type Answer struct {
	Status int
	Body   []byte
}

// Transport sends a call to the api: over the HTTP API, or by invoking the
// function directly.
type Transport interface {
	Send(ctx context.Context, c Call) (Answer, error)
}

// HTTPTransport calls the HTTP API, SigV4-signed for execute-api with the
// caller's credentials, as API Gateway's IAM authorization requires.
type HTTPTransport struct {
	URL    string // the API's base URL, e.g. the stack's ApiUrl output
	Client interface {
		Do(*http.Request) (*http.Response, error)
	}
	Credentials aws.CredentialsProvider
	Region      string
	Now         func() time.Time
}

// Send builds the route's request, signs and sends it.
func (t HTTPTransport) Send(ctx context.Context, c Call) (Answer, error) {
	req, err := Request(ctx, t.URL, c)
	if err != nil {
		return Answer{}, err
	}
	if t.Credentials == nil {
		return Answer{}, errors.New("no AWS credentials: set a profile (--profile, AWS_PROFILE), SSO or AWS_ACCESS_KEY_ID")
	}
	creds, err := t.Credentials.Retrieve(ctx)
	if err != nil {
		return Answer{}, fmt.Errorf("AWS credentials (for signing the request): %w", err)
	}
	if err := Sign(ctx, req, creds, t.Region, t.now()); err != nil {
		return Answer{}, err
	}
	resp, err := t.Client.Do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return Answer{}, fmt.Errorf("%s %s: reading the answer: %w", req.Method, req.URL.Redacted(), err)
	}
	return Answer{Status: resp.StatusCode, Body: body}, nil
}

func (t HTTPTransport) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Sign signs req with SigV4 for execute-api. The payload hash is of the
// body, which Request made rewindable.
func Sign(ctx context.Context, req *http.Request, creds aws.Credentials, region string, at time.Time) error {
	var body []byte
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return fmt.Errorf("sign: %w", err)
		}
		if body, err = io.ReadAll(rc); err != nil {
			return fmt.Errorf("sign: %w", err)
		}
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "execute-api", region, at); err != nil {
		return fmt.Errorf("sign the request: %w", err)
	}
	return nil
}

// Request is the HTTP request of a call, as the stack's route expects it:
// path parameters in the path, the others in the query for GET and DELETE
// (as the samples send them) and in a JSON body otherwise; maps and objects,
// which a query cannot carry, always in the body.
func Request(ctx context.Context, base string, c Call) (*http.Request, error) {
	cmd := c.Command
	path, err := fillPath(cmd, c.Params)
	if err != nil {
		return nil, err
	}
	query := url.Values{}
	body := map[string]json.RawMessage{}
	inQuery := cmd.Method == http.MethodGet || cmd.Method == http.MethodDelete
	for _, p := range cmd.Params {
		raw, ok := c.Params[p.Name]
		if !ok || strings.Contains(cmd.Path, "{"+p.Name+"}") || strings.Contains(cmd.Path, "{"+p.Name+"+}") {
			continue
		}
		if !inQuery || p.Type == api.Map || p.Type == api.Object {
			body[p.Name] = raw
			continue
		}
		text, err := queryText(raw)
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", p.Name, err)
		}
		query.Set(p.Name, text)
	}
	if c.DryRun {
		query.Set("dryRun", "true")
	}
	u := strings.TrimSuffix(base, "/") + path
	if len(query) > 0 {
		u += "?" + encodeQuery(query)
	}
	var payload []byte
	if len(body) > 0 {
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("request body: %w", err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, cmd.Method, u, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("request for %s: %w", cmd.Action, err)
	}
	if payload == nil {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }, 0
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.IdempotencyKey != "" {
		req.Header.Set("Idempotency-Key", c.IdempotencyKey)
	}
	return req, nil
}

// encodeQuery is url.Values.Encode with %20 for a space: SigV4's canonical
// query string escapes a space as %20, and some signers (curl's) differ on
// '+', so the CLI sends the form every verifier reads alike.
func encodeQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, v := range q[k] {
			parts = append(parts, url.PathEscape(k)+"="+strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
		}
	}
	return strings.Join(parts, "&")
}

// fillPath puts the path parameters into the route's template, each escaped
// ({key+} segment by segment, its slashes kept).
func fillPath(cmd *api.Command, params map[string]json.RawMessage) (string, error) {
	segs := strings.Split(cmd.Path, "/")
	for i, seg := range segs {
		if !strings.HasPrefix(seg, "{") || !strings.HasSuffix(seg, "}") {
			continue
		}
		name := strings.Trim(seg, "{}")
		greedy := strings.HasSuffix(name, "+")
		name = strings.TrimSuffix(name, "+")
		var v string
		if err := json.Unmarshal(params[name], &v); err != nil {
			return "", fmt.Errorf("path parameter %s: a string is needed", name)
		}
		if !greedy {
			segs[i] = url.PathEscape(v)
			continue
		}
		parts := strings.Split(v, "/")
		for j, p := range parts {
			parts[j] = url.PathEscape(p)
		}
		segs[i] = strings.Join(parts, "/")
	}
	return strings.Join(segs, "/"), nil
}

// queryText is a JSON value as a query carries it: a string as is, a list
// comma-separated, a number or boolean as written.
func queryText(raw json.RawMessage) (string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		for _, it := range list {
			if strings.Contains(it, ",") {
				return "", fmt.Errorf("item %q holds a comma, which a query cannot carry in a list", it)
			}
		}
		return strings.Join(list, ","), nil
	}
	return string(bytes.TrimSpace(raw)), nil
}

// LambdaInvoker is the slice of the Lambda API the direct transport calls.
type LambdaInvoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// InvokeTransport invokes the api function directly with the direct payload
// {"action","params","dryRun","idempotencyKey"}: the operator's door, which
// needs lambda:InvokeFunction rather than execute-api:Invoke.
type InvokeTransport struct {
	Lambda   LambdaInvoker
	Function string
}

// Send invokes the function synchronously and reads its Response.
func (t InvokeTransport) Send(ctx context.Context, c Call) (Answer, error) {
	payload, err := json.Marshal(struct {
		Action string                     `json:"action"`
		Params map[string]json.RawMessage `json:"params,omitempty"`
		DryRun bool                       `json:"dryRun"`
		Key    string                     `json:"idempotencyKey,omitempty"`
	}{c.Command.Action, c.Params, c.DryRun, c.IdempotencyKey})
	if err != nil {
		return Answer{}, fmt.Errorf("direct payload: %w", err)
	}
	out, err := t.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(t.Function),
		InvocationType: types.InvocationTypeRequestResponse, Payload: payload})
	if err != nil {
		return Answer{}, fmt.Errorf("invoke %s: %w", t.Function, err)
	}
	if out.FunctionError != nil {
		// The runtime's error object, not the api's answer: the function itself failed.
		return Answer{Status: http.StatusBadGateway, Body: functionError(*out.FunctionError, out.Payload)}, nil
	}
	var status struct {
		StatusCode int `json:"statusCode"`
	}
	if err := json.Unmarshal(out.Payload, &status); err != nil || status.StatusCode == 0 {
		return Answer{}, fmt.Errorf("invoke %s: the answer is not the api's (%.200s)", t.Function, out.Payload)
	}
	return Answer{Status: status.StatusCode, Body: out.Payload}, nil
}

// functionError turns the Lambda runtime's {"errorMessage","errorType"} into
// the api's Response shape, so that it is printed like any other failure.
func functionError(kind string, payload []byte) []byte {
	var e struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	_ = json.Unmarshal(payload, &e)
	if e.Message == "" {
		e.Message = string(payload)
	}
	b, _ := json.Marshal(map[string]any{"statusCode": http.StatusBadGateway,
		"error": map[string]string{"code": "FunctionError", "message": fmt.Sprintf("the function failed (%s %s): %s", kind, e.Type, e.Message)}})
	return b
}
