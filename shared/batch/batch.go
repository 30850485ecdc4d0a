// Package batch is how a batch API call's failure is split per resource:
// AWS fails a whole CreateTags or TerminateInstances for one bad id, and
// one resource that vanished must not fail the others.
package batch

import (
	"context"
	"errors"

	"github.com/aws-commander/commander/shared/awserr"
)

// PerID calls call with list and, when that fails, once per id, so that
// one resource that vanished (not-found, which counts as done) or one the
// caller may not touch does not fail the others. A cancelled or expired
// context is not retried: every id fails with it. It answers an error per
// id that failed.
func PerID(list []string, call func([]string) error) map[string]error {
	err := call(list)
	if err == nil || len(list) == 1 {
		return Errors(list, awserr.IgnoreNotFound(err))
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Errors(list, err)
	}
	out := map[string]error{}
	for _, id := range list {
		if err := awserr.IgnoreNotFound(call([]string{id})); err != nil {
			out[id] = err
		}
	}
	return out
}

// Errors maps each id of list to err (none when err is nil): all failed alike.
func Errors(list []string, err error) map[string]error {
	out := map[string]error{}
	if err == nil {
		return out
	}
	for _, id := range list {
		out[id] = err
	}
	return out
}
