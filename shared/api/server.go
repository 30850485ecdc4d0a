package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws/aws-lambda-go/lambdacontext"

	awsevents "github.com/aws/aws-lambda-go/events"
)

// Auditor sends the audit event of a changing command; nil sends none.
type Auditor interface {
	Emit(ctx context.Context, detailType string, detail any, resources ...string) error
}

// Server answers both entry points from one registry.
type Server struct {
	Registry *Registry
	Log      *slog.Logger
	Audit    Auditor
	Now      func() time.Time
	// Metrics receives each request's metrics in the jobs' vocabulary
	// (report.WriteMetrics, Job=api, Action=the command); nil writes none.
	Metrics   io.Writer
	Namespace string
	// ForceDryRun (COMMANDER_DRY_RUN=true on the function) makes every
	// mutating command a dry run, whatever the request says: as for the
	// jobs, a caller cannot lift the deployment's dry-run.
	ForceDryRun bool
}

// Response is the JSON body of every answer. A direct invocation receives
// it as is (statusCode included); over HTTP it is the body.
type Response struct {
	StatusCode int    `json:"statusCode"`
	Action     string `json:"action,omitempty"`
	RequestID  string `json:"requestId,omitempty"`
	DryRun     bool   `json:"dryRun,omitempty"`
	Result     any    `json:"result,omitempty"`
	Error      *Error `json:"error,omitempty"`
	APICalls   int64  `json:"apiCalls"`
}

// Invoke is the Lambda handler (lambda.Handler): it takes the raw payload,
// so malformed JSON gets this server's 400 MalformedRequest rather than the
// runtime's SyntaxError. An HTTP-shaped event, and the IAM identity in it,
// is trusted only on the alias the HTTP API integration invokes
// (IntegrationAlias); elsewhere it is refused, so a direct invocation cannot
// claim to be someone else.
func (s *Server) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	if lc != nil && looksHTTP(payload) && !ViaIntegration(lc.InvokedFunctionArn) {
		e := &Error{Status: http.StatusForbidden, Code: "NotThroughTheAPI",
			Message: `HTTP API events are accepted only from the API integration (alias ` + IntegrationAlias + `); invoke the function directly with {"action": "service.verb", "params": {...}, "dryRun": false}`}
		s.log().WarnContext(ctx, "request refused", "status", e.Status, "code", e.Code, "invokedFunctionArn", lc.InvokedFunctionArn)
		return json.Marshal(Response{StatusCode: e.Status, RequestID: lc.AwsRequestID, Error: e})
	}
	out, err := s.Handle(ctx, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

// ViaIntegration reports whether an invoked function ARN names the
// integration's alias: arn:...:function:<name>:<alias>.
func ViaIntegration(invokedARN string) bool {
	return strings.HasSuffix(invokedARN, ":function:"+functionName(invokedARN)+":"+IntegrationAlias)
}

func functionName(arn string) string {
	_, rest, _ := strings.Cut(arn, ":function:")
	name, _, _ := strings.Cut(rest, ":")
	return name
}

// Handle is the Lambda handler: an HTTP API event gets an HTTP response,
// anything else is a direct invocation and gets the Response itself.
// It never returns an error: every failure is an answer with a status.
func (s *Server) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	lambdaID := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		lambdaID = lc.AwsRequestID
	}
	req, derr := DecodeRequest(raw, lambdaID)
	resp := s.Serve(ctx, req, derr)
	if !req.HTTP && !(derr != nil && looksHTTP(raw)) {
		return resp, nil
	}
	return httpResponse(resp), nil
}

func looksHTTP(raw []byte) bool {
	var p probe
	return json.Unmarshal(raw, &p) == nil && p.RouteKey != nil
}

func httpResponse(r Response) awsevents.APIGatewayV2HTTPResponse {
	body, err := json.Marshal(r)
	if err != nil {
		body = []byte(`{"statusCode":500,"error":{"code":"InternalError","message":"the answer could not be encoded"}}`)
		r.StatusCode = http.StatusInternalServerError
	}
	h := map[string]string{"content-type": "application/json"}
	if r.Error != nil && r.Error.RetryAfter > 0 {
		h["retry-after"] = strconv.Itoa(r.Error.RetryAfter)
	}
	return awsevents.APIGatewayV2HTTPResponse{StatusCode: r.StatusCode, Headers: h, Body: string(body)}
}

// Serve runs a decoded request (or answers its decoding error).
func (s *Server) Serve(ctx context.Context, req Request, derr *Error) Response {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	counter := awsclient.NewCounter()
	ctx = awsclient.WithCounter(ctx, counter)
	resp := Response{RequestID: req.RequestID, DryRun: req.DryRun}
	started := now()
	defer func() { s.metrics(ctx, req, resp, started, now(), counter) }()
	fail := func(e *Error) Response {
		resp.StatusCode, resp.Error, resp.Result = e.Status, e, nil
		resp.APICalls = counter.Total()
		return resp
	}
	if derr != nil {
		s.log().InfoContext(ctx, "request refused", "status", derr.Status, "code", derr.Code, "error", derr.Message)
		return fail(derr)
	}
	cmd, params, verr := s.Registry.Resolve(req)
	if verr != nil {
		s.log().InfoContext(ctx, "request refused", "action", req.Action, "route", req.Method+" "+req.Path,
			"status", verr.Status, "code", verr.Code, "field", verr.Field)
		return fail(verr)
	}
	resp.Action = cmd.Action
	resp.DryRun = guard.DryRun(s.ForceDryRun, req.DryRun) && cmd.Mutates
	call := &Call{Action: cmd.Action, Params: params, DryRun: resp.DryRun, Direct: !req.HTTP,
		Caller: req.Caller, RequestID: req.RequestID, Token: req.Token, Now: now().UTC()}
	start := time.Now()
	result, err := s.run(ctx, cmd, call)
	log := s.log().With("action", cmd.Action, "dryRun", call.DryRun, "caller", call.Caller,
		"apiCalls", counter.Total(), "durationMs", time.Since(start).Milliseconds())
	if err != nil {
		e := FromError(err)
		log.WarnContext(ctx, "command failed", "status", e.Status, "code", e.Code, "awsCode", e.AWSCode, "error", e.Message)
		return fail(e)
	}
	resp.StatusCode, resp.Result, resp.APICalls = http.StatusOK, result, counter.Total()
	log.InfoContext(ctx, "command done")
	if cmd.Mutates && !call.DryRun && s.Audit != nil {
		detail := map[string]any{"action": cmd.Action, "caller": call.Caller, "requestId": call.RequestID, "result": result}
		if aerr := s.Audit.Emit(ctx, events.APICommandCompleted, detail); aerr != nil {
			// The command is done; a lost audit event is logged, not a failure.
			log.WarnContext(ctx, "audit event not sent", "error", aerr.Error())
		}
	}
	return resp
}

// metrics writes one request as a one-decision report: the command is its
// action (ec2:stop for ec2.stop), done, planned (a dry run) or failed; a
// refused request is a skipped run, a server error a failed one.
func (s *Server) metrics(ctx context.Context, req Request, resp Response, started, end time.Time, counter *awsclient.Counter) {
	if s.Metrics == nil {
		return
	}
	trigger := "direct"
	if req.HTTP {
		trigger = "http"
	}
	r := report.New("api", trigger, resp.DryRun, started, 1)
	r.EventID, r.IdempotencyKey = req.RequestID, req.Token
	action := strings.ReplaceAll(cmp.Or(resp.Action, "unknown"), ".", ":")
	switch {
	case resp.Error == nil && resp.DryRun:
		r.Add(report.Decision{Resource: req.RequestID, Type: "api:command", Action: action, Outcome: report.Planned})
	case resp.Error == nil:
		r.Add(report.Decision{Resource: req.RequestID, Type: "api:command", Action: action, Outcome: report.Done})
	default:
		r.Add(report.Decision{Resource: req.RequestID, Type: "api:command", Action: action, Outcome: report.Failed, Error: resp.Error.Code})
		if resp.StatusCode >= 500 {
			r.Fail(errors.New(resp.Error.Code))
		} else {
			r.Skip(resp.Error.Code)
		}
	}
	r.Finish(end, counter)
	if err := r.WriteMetrics(s.Metrics, s.Namespace, nil); err != nil {
		s.log().WarnContext(ctx, "metrics not written", "error", err.Error())
	}
}

// run calls the command, turning a panic into a 500 logged with the request id.
func (s *Server) run(ctx context.Context, cmd *Command, call *Call) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log().ErrorContext(ctx, "command panicked", "action", cmd.Action, "requestId", call.RequestID,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			result, err = nil, &Error{Status: http.StatusInternalServerError, Code: "InternalError",
				Message: fmt.Sprintf("the command failed unexpectedly; see the function's log for request %s", call.RequestID)}
		}
	}()
	return cmd.Run(ctx, call)
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}
