// Package pace keeps a function's EC2 calls within the account's request
// rate limits before AWS has to refuse them: EC2 throttles each account,
// per region and per action, with token buckets, and a job that bursts
// into an empty bucket spends its time in RequestLimitExceeded and
// backoff. A Pacer holds a bucket of the same size and refill rate per
// region and action (and per instance for the actions AWS also meters by
// resource) and makes every attempt, retries included, wait for its token.
package pace

import "strings"

// Bucket is one token bucket: it holds at most Burst tokens and gains Rate
// tokens a second; every bucket starts full.
type Bucket struct {
	Burst int
	Rate  float64 // tokens a second
}

// Limits are the buckets of one service's actions.
type Limits struct {
	// Request is each action's request-token bucket (one token a call).
	Request map[string]Bucket
	// NonMutating and Mutating are the buckets of actions not in Request:
	// Describe*/Get*/List* are non-mutating, every other action mutating.
	NonMutating, Mutating Bucket
	// Resource is the resource-token bucket of the actions AWS also meters
	// per instance named (one token an instance).
	Resource map[string]Bucket
}

// Bucket is action's request-token bucket.
func (l Limits) Bucket(action string) Bucket {
	if b, ok := l.Request[action]; ok {
		return b
	}
	for _, p := range []string{"Describe", "Get", "List"} {
		if strings.HasPrefix(action, p) {
			return l.NonMutating
		}
	}
	return l.Mutating
}

// EC2 are the EC2 token buckets AWS documents for every account ("Request
// throttling for the Amazon EC2 API",
// https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html):
// non-mutating actions 100 tokens refilled at 20 a second; mutating
// actions 50 at 5; the actions listed on their own there with their own
// figures; and the resource-token buckets of starting, stopping and
// terminating instances. An account whose limits AWS raised can pace
// faster only by asking AWS first; COMMANDER_EC2_PACE_PERCENT paces slower.
//
// The inventory server's realistic account throttles with the same table,
// so the benchmarks measure the pacer against the limits it paces to.
func EC2() Limits {
	snapshotsAndTerminations := Bucket{Burst: 100, Rate: 5}
	tags := Bucket{Burst: 100, Rate: 10}
	launches := Bucket{Burst: 5, Rate: 2}
	return Limits{
		Request: map[string]Bucket{
			"CreateSnapshot":     snapshotsAndTerminations,
			"CreateSnapshots":    snapshotsAndTerminations,
			"DeleteSnapshot":     snapshotsAndTerminations,
			"DeleteVolume":       snapshotsAndTerminations,
			"DeregisterImage":    snapshotsAndTerminations,
			"TerminateInstances": snapshotsAndTerminations,
			"CreateTags":         tags,
			"DeleteTags":         tags,
			"StartInstances":     launches,
			"RunInstances":       launches,
		},
		NonMutating: Bucket{Burst: 100, Rate: 20},
		Mutating:    Bucket{Burst: 50, Rate: 5},
		Resource: map[string]Bucket{
			"RunInstances":       {Burst: 1000, Rate: 2},
			"StartInstances":     {Burst: 1000, Rate: 2},
			"StopInstances":      {Burst: 1000, Rate: 20},
			"TerminateInstances": {Burst: 1000, Rate: 20},
		},
	}
}
