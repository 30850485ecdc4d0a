package cleanup

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// MaxHops bounds a chain of follow-up invocations, so a run that makes no
// progress cannot invoke itself for ever; the next schedule continues.
const MaxHops = 10

// FollowUp hands a payload to a new invocation of this function.
type FollowUp func(ctx context.Context, payload []byte) error

// InvokeAPI is the slice of Lambda that hands over to a follow-up.
type InvokeAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// InvokeSelf invokes function asynchronously with the payload.
func InvokeSelf(api InvokeAPI, function string) FollowUp {
	return func(ctx context.Context, payload []byte) error {
		_, err := api.Invoke(ctx, &lambda.InvokeInput{
			FunctionName: aws.String(function), InvocationType: lambdatypes.InvocationTypeEvent, Payload: payload,
		})
		if err != nil {
			return fmt.Errorf("follow-up invocation of %s: %w", function, err)
		}
		return nil
	}
}

// handOver invokes a follow-up that resumes where this run stopped, with
// the same request; without one (or past MaxHops) the next schedule continues.
func (j *Job) handOver(ctx context.Context, r *run, req Request, now string) {
	if j.FollowUp == nil || r.next.Hop > MaxHops {
		r.rep.Partial("the next scheduled run continues")
		return
	}
	req.Resume, req.Now = r.next, now
	payload, err := json.Marshal(req)
	if err == nil {
		// The run's own context is about to expire: the hand-over gets its own.
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		err = j.FollowUp(hctx, payload)
		cancel()
	}
	if err != nil {
		r.rep.Partial(err.Error())
		return
	}
	r.rep.Partial(fmt.Sprintf("handed over to a follow-up invocation (hop %d)", r.next.Hop))
}
