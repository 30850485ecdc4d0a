package awsclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws/aws-sdk-go-v2/aws"
)

// A create that has no client token (EC2's CreateSnapshot, CreateSnapshots,
// CopySnapshot, ...) makes a second resource each time it is sent again
// after it landed. The SDK's retryer sends it again after a 5xx, a timeout
// or a reset: exactly the failures where the call may have landed and only
// its answer was lost. So such a create is sent with OnlyRefused's retryer
// (each service's client package has the per-call option, e.g.
// ec2client.NoBlindRetry), tagged with the run's idempotency key, and
// through CreateOnce, which looks for what the key made before it tries
// again. Where AWS offers a client token, send one instead.

// OnlyRefused is r retrying only failures that certainly did not take
// effect (awserr.Refused: throttling, refusals, a connection never made),
// and those only when r would. It keeps r's attempts, backoff and retry quota
// (GetAttemptToken): it decides only what is retried.
func OnlyRefused(r aws.Retryer) aws.Retryer {
	if r == nil {
		return nil
	}
	if o, ok := r.(onlyRefused); ok {
		return o
	}
	v2, ok := r.(aws.RetryerV2)
	if !ok {
		v2 = retryerV2{r}
	}
	return onlyRefused{v2}
}

type onlyRefused struct{ aws.RetryerV2 }

func (o onlyRefused) IsErrorRetryable(err error) bool {
	return awserr.Refused(err) && o.RetryerV2.IsErrorRetryable(err)
}

// retryerV2 lifts a Retryer without GetAttemptToken (as the SDK's own
// wrappers do).
type retryerV2 struct{ aws.Retryer }

func (r retryerV2) GetAttemptToken(context.Context) (func(error) error, error) {
	return r.GetInitialToken(), nil
}

// ErrAnswerLost marks a create that may have landed (its answer was lost)
// and whose result could not be found.
var ErrAnswerLost = errors.New("the create's answer was lost")

// CreateOnce makes a resource at most once although answers get lost.
//
// create sends the create once, with the service's no-blind-retry option
// (ec2client.NoBlindRetry) and tagged with the run's idempotency key. find
// looks for what that key made from that source, narrowly (filters on the
// key's tag and the source, not a listing), and reports it as create would
// have; found false means nothing was made.
//
// A success or a refusal (awserr.Refused: nothing was made) is returned as
// it is. After an ambiguous failure, find runs: what it finds is the
// result; if nothing, create is sent once more, and after a second
// ambiguous failure find runs once more. So at most two creates and two
// finds. An error that is still ambiguous wraps ErrAnswerLost and the
// create's error (its kind stays the create's); when the context has ended,
// nothing is looked for: the next delivery finds the resource by the key.
func CreateOnce[T any](ctx context.Context, create func(context.Context) (T, error), find func(context.Context) (T, bool, error)) (T, error) {
	var zero T
	v, err := create(ctx)
	if err == nil || awserr.Refused(err) {
		return v, err
	}
	for try := 1; ; try++ {
		if ctx.Err() != nil {
			return zero, fmt.Errorf("%w (not looked for: %w): %w", ErrAnswerLost, ctx.Err(), err)
		}
		got, ok, ferr := find(ctx)
		switch {
		case ferr != nil:
			return zero, fmt.Errorf("%w: %w; looking for what it made: %w", ErrAnswerLost, err, ferr)
		case ok:
			return got, nil
		case try == 2:
			return zero, fmt.Errorf("%w twice, and nothing it made was found: %w", ErrAnswerLost, err)
		}
		v, err = create(ctx)
		if err == nil || awserr.Refused(err) {
			return v, err
		}
	}
}
