// Package runner is what each job function's main hands to lambda.Start.
package runner

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

// Handler adapts a job's handler to lambda.Handler. The job receives the
// payload's bytes exactly as they came, so whatever is not JSON reaches the
// job's own strict decoder, which names what is wrong, instead of failing in
// the runtime's unmarshalling with an error the job never sees. An error is
// returned as the invocation's error (Lambda records it and retries an
// asynchronous event); otherwise the result is the JSON answer.
func Handler[T any](fn func(context.Context, json.RawMessage) (T, error)) lambda.Handler {
	return raw[T](fn)
}

type raw[T any] func(context.Context, json.RawMessage) (T, error)

func (h raw[T]) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	out, err := h(ctx, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}
