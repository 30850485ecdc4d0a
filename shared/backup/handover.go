package backup

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws-commander/commander/shared/report"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// handOver ends a run that ran out of time: the report carries the
// continuation, and (unless dry-run, or too many hops) a follow-up
// invocation of this function receives it.
func (ru *run) handOver(ctx context.Context) {
	next := Continuation{Event: ru.req.Original, Key: ru.key, Hop: ru.req.Hop + 1, Breaker: ru.ledger.State()}
	ru.rep.Next = next
	switch {
	case next.Hop > MaxHops:
		ru.rep.Fail(fmt.Errorf("the run ran out of time %d times in a row: raise the function's timeout or COMMANDER_CONCURRENCY", next.Hop))
		return
	case ru.dry || ru.Self == nil || ru.SelfName == "":
		ru.rep.Partial("the run stopped before the Lambda deadline: invoke the function with the report's next as {\"continuation\": next} to finish")
		return
	}
	body, err := json.Marshal(map[string]Continuation{"continuation": next})
	if err == nil {
		ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_, err = ru.Self.Invoke(ictx, &lambda.InvokeInput{FunctionName: aws.String(ru.SelfName), InvocationType: lambdatypes.InvocationTypeEvent, Payload: body})
	}
	if err != nil {
		ru.add("", "lambda:function", ru.SelfName, "hand-over", report.Failed, "the run stopped before the Lambda deadline", err)
		ru.rep.Partial("the run stopped before the Lambda deadline and could not hand over: deliver the same event again")
		return
	}
	ru.add("", "lambda:function", ru.SelfName, "hand-over", report.Done, fmt.Sprintf("the run stopped before the Lambda deadline; follow-up %d continues it", next.Hop), nil)
	ru.rep.Partial("the run stopped before the Lambda deadline and handed over to a follow-up invocation")
}
