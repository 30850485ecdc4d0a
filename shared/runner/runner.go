// Package runner is the one pipeline every job runs through: what each job
// function's main hands to lambda.Start. A job supplies how to decode its
// request and how to select, plan and act; the runner does the rest once.
package runner

import (
	"context"
	"encoding/json"
)

// Invoke is the lambda.Handler. The job receives the payload's bytes exactly
// as they came, so whatever is not JSON reaches the one strict decoder,
// which names what is wrong, instead of failing in the runtime's
// unmarshalling with an error the job never sees. A failed run is the
// invocation's error (Lambda records it, retries an asynchronous event, then
// sends it to the dead-letter queue); otherwise the answer is the report.
func (rn *Runner[R]) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	rep, err := rn.Handle(ctx, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(rep)
}
