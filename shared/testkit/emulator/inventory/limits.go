package inventory

import (
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws-commander/commander/shared/pace"
)

// Bucket is a token bucket: it holds at most Size tokens (a full bucket is
// the burst a caller may spend at once) and gains Rate tokens a second,
// continuously, up to Size. Every bucket starts full.
type Bucket struct {
	Size float64 // tokens; at least 1
	Rate float64 // tokens per second; 0 never refills
}

// Limits throttle EC2 the way AWS does: per region, per action, with token
// buckets ("Request throttling for the Amazon EC2 API", EC2 developer
// guide). A call that finds a bucket it needs short of tokens is answered
// RequestLimitExceeded (HTTP 503) and takes no token from any bucket. S3 is
// not throttled. AWSLimits gives the documented figures; docs/PERFORMANCE.md
// ("A realistic account") lists them with their sources.
type Limits struct {
	// Request is each action's request-token bucket: a call takes one
	// token. AWS evaluates "each API individually", so DescribeSnapshots
	// and DescribeVolumes never share a bucket even where their figures are
	// the same. An action without a bucket here is not throttled.
	Request map[string]Bucket
	// Unpaginated is the smaller bucket an action's call takes its token
	// from instead when it names no filter and does not paginate (no
	// Filter.N, no MaxResults, no NextToken); AWS keeps one for
	// DescribeInstances, DescribeSnapshots and DescribeVolumes among those
	// served here. A call naming ids but no filter counts as unfiltered (AWS
	// does not say; this is the stricter reading).
	Unpaginated map[string]Bucket
	// Resource is each action's resource-token bucket: a call takes one
	// token per instance it names (InstanceId.N), on top of its request
	// token: StartInstances, StopInstances and TerminateInstances here.
	Resource map[string]Bucket
}

// AWSLimits are the EC2 token buckets AWS documents, for every action this
// server serves: the request and resource buckets of pace.EC2 (the table
// the functions pace themselves to, with its source,
// https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html),
// plus the smaller bucket of unfiltered and unpaginated DescribeInstances,
// DescribeSnapshots and DescribeVolumes (50 tokens, 10 a second), which the
// functions never use (their listings paginate), so pace does not hold it.
//
// Each call returns a new value, free to change.
func AWSLimits() *Limits {
	ec2 := pace.EC2()
	l := &Limits{Request: map[string]Bucket{}, Resource: map[string]Bucket{}}
	for action := range ec2Actions {
		l.Request[action] = bucketOf(ec2.Bucket(action))
		if b, ok := ec2.Resource[action]; ok {
			l.Resource[action] = bucketOf(b)
		}
	}
	unpaginated := Bucket{Size: 50, Rate: 10}
	l.Unpaginated = map[string]Bucket{
		"DescribeSnapshots": unpaginated,
		"DescribeVolumes":   unpaginated,
		"DescribeInstances": unpaginated,
	}
	return l
}

func bucketOf(b pace.Bucket) Bucket { return Bucket{Size: float64(b.Burst), Rate: b.Rate} }

func (l *Limits) validate() error {
	for _, set := range []struct {
		name string
		m    map[string]Bucket
	}{{"Request", l.Request}, {"Unpaginated", l.Unpaginated}, {"Resource", l.Resource}} {
		for _, action := range slices.Sorted(maps.Keys(set.m)) {
			b := set.m[action]
			if !(b.Size >= 1) || math.IsInf(b.Size, 0) {
				return fmt.Errorf("inventory: Limits.%s[%q].Size=%v is invalid: accepts a finite number of tokens, at least 1", set.name, action, b.Size)
			}
			if !(b.Rate >= 0) || math.IsInf(b.Rate, 0) {
				return fmt.Errorf("inventory: Limits.%s[%q].Rate=%v is invalid: accepts a finite number of tokens a second, 0 or more", set.name, action, b.Rate)
			}
		}
	}
	return nil
}

// bucketKey names one bucket's state: buckets are per region (AWS throttles
// "for each AWS account on a per-Region basis"), per kind and per action.
type bucketKey struct {
	region, kind, action string
}

type bucketState struct {
	tokens float64
	at     time.Time
}

// limiter holds the buckets' state.
type limiter struct {
	limits *Limits
	clock  Clock

	mu      sync.Mutex
	buckets map[bucketKey]*bucketState
}

func newLimiter(l *Limits, clock Clock) *limiter {
	return &limiter{limits: l, clock: clock, buckets: map[bucketKey]*bucketState{}}
}

// refill forgets every bucket's state: each is created full again.
func (lm *limiter) refill() {
	lm.mu.Lock()
	lm.buckets = map[bucketKey]*bucketState{}
	lm.mu.Unlock()
}

// state is key's bucket refilled to now (created full).
func (lm *limiter) state(key bucketKey, b Bucket, now time.Time) *bucketState {
	st := lm.buckets[key]
	if st == nil {
		st = &bucketState{tokens: b.Size, at: now}
		lm.buckets[key] = st
		return st
	}
	if dt := now.Sub(st.at).Seconds(); dt > 0 {
		st.tokens = math.Min(b.Size, st.tokens+dt*b.Rate)
		st.at = now
	}
	return st
}

// admit takes the tokens an EC2 call needs, all or none: false means the
// call is throttled.
func (lm *limiter) admit(region, action string, form url.Values) bool {
	kind := "request"
	b, ok := lm.limits.Request[action]
	if small, has := lm.limits.Unpaginated[action]; has && unpaginated(form) {
		kind, b, ok = "unpaginated", small, true
	}
	res, hasRes := lm.limits.Resource[action]
	cost := 0.0
	if hasRes {
		cost = float64(len(queryList(form, "InstanceId")))
	}
	if !ok && (!hasRes || cost == 0) {
		return true
	}
	lm.mu.Lock()
	defer lm.mu.Unlock()
	now := lm.clock.Now()
	var req, rs *bucketState
	if ok {
		if req = lm.state(bucketKey{region, kind, action}, b, now); req.tokens < 1 {
			return false
		}
	}
	if hasRes && cost > 0 {
		if rs = lm.state(bucketKey{region, "resource", action}, res, now); rs.tokens < cost {
			return false
		}
	}
	if req != nil {
		req.tokens--
	}
	if rs != nil {
		rs.tokens -= cost
	}
	return true
}

// unpaginated is a call with no filter and no paging: the requests AWS
// charges to the smaller bucket.
func unpaginated(form url.Values) bool {
	for k := range form {
		if k == "MaxResults" || k == "NextToken" || strings.HasPrefix(k, "Filter.") {
			return false
		}
	}
	return true
}

// throttledErr is EC2's answer to a call over its limit: the code AWS
// documents ("If you exceed an API throttling limit, you get the
// RequestLimitExceeded error code"), listed with the server errors (5xx),
// and the message EC2 sends with it.
func throttledErr() *apiError {
	return &apiError{code: "RequestLimitExceeded", msg: "Request limit exceeded.", status: http.StatusServiceUnavailable}
}
