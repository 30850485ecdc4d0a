// Package batch is how a batch API call's failure is split per resource:
// AWS fails a whole CreateTags or TerminateInstances for one bad id, and
// one resource that vanished, or one that may not be touched, must not
// fail the others.
package batch

import (
	"github.com/aws-commander/commander/shared/awserr"
)

// PerID calls call with list and, when that fails for a reason one
// resource can cause (not found, a conflict such as termination
// protection, access denied by a tag condition, an invalid id), calls it
// again on each half, and so on down to single ids: finding the one bad id
// of n takes about 2·log2(n) more calls, not n. A single id not found
// counts as done. A failure no single id causes (throttling, an
// unavailable service, a cancelled or expired context) is not retried:
// every id fails with it, and the next run tries again. It answers an
// error per id that failed.
func PerID(list []string, call func([]string) error) map[string]error {
	out := map[string]error{}
	split(list, call, out)
	return out
}

func split(list []string, call func([]string) error, out map[string]error) {
	if len(list) == 0 {
		return
	}
	err := call(list)
	switch {
	case err == nil:
	case len(list) == 1:
		if err = awserr.IgnoreNotFound(err); err != nil {
			out[list[0]] = err
		}
	case !oneCanCause(err):
		for _, id := range list {
			out[id] = err
		}
	default:
		mid := len(list) / 2
		split(list[:mid], call, out)
		split(list[mid:], call, out)
	}
}

// oneCanCause: an error one resource of a batch can cause.
func oneCanCause(err error) bool {
	switch awserr.Classify(err) {
	case awserr.NotFound, awserr.Conflict, awserr.AccessDenied, awserr.InvalidInput:
		return true
	}
	return false
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
