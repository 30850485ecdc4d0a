package backup

import "github.com/aws-commander/commander/shared/runner"

// handOver ends a run that ran out of time: the report carries the
// continuation, and (unless dry-run: a dry run leaves no snapshot behind to
// resume from) the runner hands it to a follow-up invocation.
func (ru *run) handOver(rr *runner.Run) {
	next := Continuation{Event: ru.req.Original, Key: ru.key, Hop: ru.req.Hop + 1, Breaker: ru.ledger.State()}
	var payload any
	if !ru.dry {
		payload = map[string]Continuation{"continuation": next}
	}
	rr.HandOver(next, payload)
}
