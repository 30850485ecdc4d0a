package awsclient

import (
	"context"
	"maps"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Counter counts API calls (and their attempts, retries included) per
// "Service.Operation" for one run. Attach it to the run's context with
// WithCounter; every client built by this package counts into it.
type Counter struct {
	mu       sync.Mutex
	calls    map[string]int64
	attempts map[string]int64
}

// NewCounter returns an empty counter.
func NewCounter() *Counter {
	return &Counter{calls: map[string]int64{}, attempts: map[string]int64{}}
}

type counterKey struct{}

// WithCounter makes calls made with ctx count into c.
func WithCounter(ctx context.Context, c *Counter) context.Context {
	return context.WithValue(ctx, counterKey{}, c)
}

// CounterFrom is the counter attached to ctx, or nil.
func CounterFrom(ctx context.Context) *Counter {
	c, _ := ctx.Value(counterKey{}).(*Counter)
	return c
}

// Calls are the operations called, by "Service.Operation".
func (c *Counter) Calls() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.calls)
}

// Total is the number of operations called.
func (c *Counter) Total() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, v := range c.calls {
		n += v
	}
	return n
}

// Retries is the number of attempts beyond the first, over all calls.
func (c *Counter) Retries() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for k, a := range c.attempts {
		if extra := a - c.calls[k]; extra > 0 {
			n += extra
		}
	}
	return n
}

func (c *Counter) add(m map[string]int64, ctx context.Context) {
	key := awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
	c.mu.Lock()
	m[key]++
	c.mu.Unlock()
}

// counterMiddleware counts each call once at Initialize and each attempt
// after the retry loop, so retries show up as attempts minus calls.
func counterMiddleware(stack *middleware.Stack) error {
	err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("commander.CountCall",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if c := CounterFrom(ctx); c != nil {
				c.add(c.calls, ctx)
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
	if err != nil {
		return err
	}
	attempt := middleware.FinalizeMiddlewareFunc("commander.CountAttempt",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if c := CounterFrom(ctx); c != nil {
				c.add(c.attempts, ctx)
			}
			return next.HandleFinalize(ctx, in)
		})
	if _, ok := stack.Finalize.Get("Retry"); ok {
		return stack.Finalize.Insert(attempt, "Retry", middleware.After)
	}
	return stack.Finalize.Add(attempt, middleware.After)
}
