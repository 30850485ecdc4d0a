// Package guard holds the safety rules every destructive action passes, in
// the order every job applies them to a planned action:
//
//  1. protection (protect.go): a protected resource is never stopped,
//     rewritten or deleted; the same rule is the IAM Deny's conditions;
//  2. repeats (repeat.go): an event handled already, or an action within
//     its cooldown, is not run again;
//  3. mark-then-act (marks.go): cleanup acts only on what it marked for that
//     action at least one grace period before;
//  4. the circuit breaker (this file) and its ledger (ledger.go): one run,
//     across every region and hand-over, destroys no more than its limits;
//  5. dry-run (dryrun.go): what passed is planned, not done, when the
//     deployment or the request says so.
package guard

import "fmt"

// Breaker bounds destructive actions in one run (or one policy of a run).
// A plan over the limit is a sign that something upstream went wrong (a tag
// removed everywhere, a bad filter), so the breaker stops the destruction
// rather than trimming it.
type Breaker struct {
	MaxCount   int     // at most this many actions; 0 allows none
	MaxPercent float64 // and at most this percentage of the candidates...
	MinCount   int     // ...once more than this many actions are planned (small inventories would otherwise allow nothing)
}

// Check returns nil when planned destructive actions out of candidates may
// proceed, or an error saying which limit they exceed.
func (b Breaker) Check(planned, candidates int) error {
	if planned <= 0 {
		return nil
	}
	if planned > b.MaxCount {
		return fmt.Errorf("circuit breaker: %d destructive actions planned, more than the limit of %d per run (COMMANDER_BREAKER_MAX_COUNT)", planned, b.MaxCount)
	}
	if planned > b.MinCount && candidates > 0 {
		if pct := 100 * float64(planned) / float64(candidates); pct > b.MaxPercent {
			return fmt.Errorf("circuit breaker: %d of %d candidates (%.1f%%) planned for destruction, more than the limit of %g%% (COMMANDER_BREAKER_MAX_PERCENT)", planned, candidates, pct, b.MaxPercent)
		}
	}
	return nil
}
