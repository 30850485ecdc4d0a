// Package jobcmd starts a backup, cleanup or scheduler run on demand: an asynchronous
// invocation of that function, answering its request id at once; or asks
// the function for its dry-run plan and answers it inline.
package jobcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Scheduler is the office-hours job's name (its function is optional on
// older stages).
const Scheduler = "scheduler"

// InvokeAPI is the slice of Lambda these commands call.
type InvokeAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Deps are what the commands are built from.
type Deps struct {
	Lambda    InvokeAPI
	Functions map[string]string // job name -> function name or ARN; empty: not configured
}

// functionRE is a function name (1 to 64) or ARN, with an optional
// qualifier (1 to 128): the limits apart, as a counted repetition costs
// every cold start.
var functionRE = api.Bound(`^(?:arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:)?([a-zA-Z0-9-_]+)(?::([\w$-]+))?$`, 0, 64, 128)

// FromEnv reads COMMANDER_BACKUP_FUNCTION, COMMANDER_CLEANUP_FUNCTION and
// COMMANDER_SCHEDULER_FUNCTION.
func FromEnv(get func(string) string) (map[string]string, error) {
	e := settings.NewEnv(get)
	function := func(name string) string {
		v := e.String(name, "")
		if v != "" && !functionRE.MatchString(v) {
			e.Fail(name, v, "a Lambda function name or ARN")
			return ""
		}
		return v
	}
	fns := map[string]string{
		"backup":  function("COMMANDER_BACKUP_FUNCTION"),
		"cleanup": function("COMMANDER_CLEANUP_FUNCTION"),
		Scheduler: function("COMMANDER_SCHEDULER_FUNCTION"),
	}
	return fns, e.Err()
}

// Commands are the job commands.
func Commands(d Deps) []api.Command {
	return []api.Command{
		{Action: "jobs.start", Method: http.MethodPost, Path: "/jobs/{job}", Mutates: true,
			Summary: "Start a backup, cleanup or scheduler (office hours) run now (asynchronous invocation); answers the run's request id. mode=plan asks for the dry-run plan inline.",
			Params: []api.Param{
				{Name: "job", Type: api.String, Required: true, Enum: []string{"backup", "cleanup", Scheduler}},
				{Name: "mode", Type: api.String, Default: "run", Enum: []string{"run", "plan"}, Doc: "run: asynchronous; plan: the job's dry-run report, inline (synchronous; over HTTP, API Gateway's 30 s limit applies)"},
				{Name: "jobDryRun", Type: api.Bool, Default: false, Doc: "run the job itself in dry-run (it reports what it would do)"},
			}, Run: d.start},
	}
}

// plan invokes the job function synchronously in dry-run and answers its
// report: the job computes its own plan, so the api never guesses one. A
// plan that takes longer than API Gateway's 30 s is for direct invocation.
func (d Deps) plan(ctx context.Context, job, fn string, c *api.Call) (any, error) {
	payload, err := Payload(job, c.RequestID, true)
	if err != nil {
		return nil, err
	}
	out, err := d.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn), InvocationType: types.InvocationTypeRequestResponse, Payload: payload})
	if err != nil {
		return nil, fmt.Errorf("invoke %s for its plan: %w", fn, err)
	}
	if out.FunctionError != nil {
		var fe struct {
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(out.Payload, &fe)
		return nil, &api.Error{Status: http.StatusBadGateway, Code: "JobFailed", AWSAction: "Lambda:Invoke",
			Message: fmt.Sprintf("the %s function failed to plan (%s): %s", job, aws.ToString(out.FunctionError), fe.ErrorMessage)}
	}
	if !json.Valid(out.Payload) {
		return nil, &api.Error{Status: http.StatusBadGateway, Code: "JobFailed", AWSAction: "Lambda:Invoke",
			Message: fmt.Sprintf("the %s function answered something other than JSON", job)}
	}
	return map[string]any{"job": job, "function": fn, "dryRun": true, "plan": json.RawMessage(out.Payload)}, nil
}

// Payload is the direct-invocation request the job function accepts (see
// backup.Decode, cleanup.DecodeRequest and the scheduler's decoder; a
// contract test holds them together). Backup's and the scheduler's runId
// makes a retried API request one run.
func Payload(job, requestID string, dryRun bool) ([]byte, error) {
	p := map[string]any{"dryRun": dryRun}
	if job == "backup" || job == Scheduler {
		p["runId"] = requestID
	}
	return json.Marshal(p)
}

func (d Deps) start(ctx context.Context, c *api.Call) (any, error) {
	job := c.Params.Str("job")
	fn := d.Functions[job]
	if fn == "" {
		return nil, api.NotImplemented(fmt.Sprintf("the %s function is not configured: set COMMANDER_%s_FUNCTION on the api function", job, strings.ToUpper(job)))
	}
	if c.Params.Str("mode") == "plan" {
		return d.plan(ctx, job, fn, c)
	}
	payload, err := Payload(job, c.RequestID, c.Params.Bool("jobDryRun"))
	if err != nil {
		return nil, err
	}
	in := &lambda.InvokeInput{FunctionName: aws.String(fn), InvocationType: types.InvocationTypeEvent, Payload: payload}
	if c.DryRun {
		// Lambda's DryRun invocation checks the function exists and the
		// permission to invoke it, without running it.
		dry := *in
		dry.InvocationType = types.InvocationTypeDryRun
		if _, err := d.Lambda.Invoke(ctx, &dry); err != nil {
			return nil, fmt.Errorf("invoke %s (dry run): %w", fn, err)
		}
		return api.Plan{WouldCall: []api.Step{{Call: "Lambda.Invoke", Input: map[string]any{"functionName": fn, "invocationType": "Event", "payload": json.RawMessage(payload)}}},
			Note: "Lambda DryRun invocation: the function exists and may be invoked"}, nil
	}
	out, err := d.Lambda.Invoke(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", fn, err)
	}
	// The async invocation's request id is the run's: its logs and report carry it.
	id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	return map[string]any{"job": job, "function": fn, "status": out.StatusCode, "runRequestId": id, "jobDryRun": c.Params.Bool("jobDryRun")}, nil
}
