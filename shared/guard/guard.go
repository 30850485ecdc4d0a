// Package guard holds the safety rules every destructive action passes:
// the protection tag, and a circuit breaker on how much one run may destroy.
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
