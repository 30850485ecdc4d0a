package pace

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// Pacer holds the buckets of one process: every EC2 client built from the
// aws.Config it is added to shares them, per region and per action.
type Pacer struct {
	limits Limits
	share  float64

	mu       sync.Mutex
	limiters map[key]*rate.Limiter
}

type key struct {
	region, kind, action string
}

// New paces EC2 calls to percent (1 to 100) of the limits' refill rates;
// the bursts are the limits' own, so a short run is not slowed at all.
func New(l Limits, percent int) (*Pacer, error) {
	if percent < 1 || percent > 100 {
		return nil, fmt.Errorf("pace: percent=%d is invalid: accepts 1 to 100", percent)
	}
	return &Pacer{limits: l, share: float64(percent) / 100, limiters: map[key]*rate.Limiter{}}, nil
}

func (p *Pacer) limiter(k key, b Bucket) *rate.Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.limiters[k]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(b.Rate*p.share), max(1, b.Burst))
		p.limiters[k] = l
	}
	return l
}

// Wait returns once a call of action in region may go: its request token
// and, for an action metered per instance, one resource token per
// instance. It returns the context's error if the context ends first, as
// a call in flight would.
func (p *Pacer) Wait(ctx context.Context, region, action string, instances int) error {
	if err := p.take(ctx, key{region, "request", action}, p.limits.Bucket(action), 1); err != nil {
		return err
	}
	if b, ok := p.limits.Resource[action]; ok && instances > 0 {
		// A batch larger than the bucket could never be admitted by AWS
		// either; it waits for a full bucket.
		return p.take(ctx, key{region, "resource", action}, b, min(instances, max(1, b.Burst)))
	}
	return nil
}

func (p *Pacer) take(ctx context.Context, k key, b Bucket, n int) error {
	r := p.limiter(k, b).ReserveN(time.Now(), n)
	d := r.Delay()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel() // give the token back to the calls that still can go
		return ctx.Err()
	}
}

// costKey carries a call's resource-token cost from its input (seen at
// Initialize) to each of its attempts (at Finalize).
type costKey struct{}

// Middleware is the aws.Config APIOptions entry that paces EC2 calls;
// other services pass through. It waits before each attempt, after the
// retry middleware, so retries take tokens as AWS counts them.
func (p *Pacer) Middleware(stack *middleware.Stack) error {
	err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("commanderPaceCost",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if n := instances(in.Parameters); n > 0 {
				ctx = middleware.WithStackValue(ctx, costKey{}, n)
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
	if err != nil {
		return err
	}
	mw := middleware.FinalizeMiddlewareFunc("commanderPace",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if awsmiddleware.GetServiceID(ctx) == ec2.ServiceID {
				n, _ := middleware.GetStackValue(ctx, costKey{}).(int)
				if err := p.Wait(ctx, awsmiddleware.GetRegion(ctx), awsmiddleware.GetOperationName(ctx), n); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
			}
			return next.HandleFinalize(ctx, in)
		})
	if _, ok := stack.Finalize.Get("Retry"); !ok {
		// A presigning client has no retry step (and sends nothing).
		return stack.Finalize.Add(mw, middleware.After)
	}
	return stack.Finalize.Insert(mw, "Retry", middleware.After)
}

// instances is how many instances a call names, for the actions AWS
// meters per instance.
func instances(params any) int {
	switch in := params.(type) {
	case *ec2.StartInstancesInput:
		return len(in.InstanceIds)
	case *ec2.StopInstancesInput:
		return len(in.InstanceIds)
	case *ec2.TerminateInstancesInput:
		return len(in.InstanceIds)
	case *ec2.RunInstancesInput:
		return int(aws.ToInt32(in.MaxCount))
	}
	return 0
}
