package runner

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// FollowUp hands a payload to a new invocation of this function.
type FollowUp func(ctx context.Context, payload []byte) error

// InvokeAPI is the slice of Lambda that hands over to a follow-up.
type InvokeAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// InvokeSelf invokes function asynchronously with the payload; nil when
// function is empty (not running in Lambda: the report says how to go on).
func InvokeSelf(api InvokeAPI, function string) FollowUp {
	if function == "" {
		return nil
	}
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
