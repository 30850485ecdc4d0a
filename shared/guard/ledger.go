package guard

import (
	"fmt"
	"maps"
	"slices"
	"sync"
)

// Ledger is a run's circuit breaker across everything the run does: one
// count per key (a cleanup policy, backup's retention) shared by every
// region and carried by the deadline hand-over, so the cap holds per run,
// not per region or per hop. A key's percentage is checked against the
// inventory listed where it acts (a filter that matches most of a region's
// inventory is the sign of trouble). Once a key trips it acts on nothing
// more in the run: the breaker stops destruction, it does not trim it.
//
// A hop reserves what it plans (Allow) but hands over only what it did
// (Done): the follow-up lists again and plans what is left, so carrying
// the reservations would count the actions the deadline stopped twice
// (at 200 000 snapshots a backup's seventh hop tripped the cap on
// deletions planned again, not done).
type Ledger struct {
	limits  Breaker
	mu      sync.Mutex
	actions map[string]int    // key -> destructive actions done earlier, plus allowed in this hop
	done    map[string]int    // key -> destructive actions done, over every hop
	tripped map[string]string // key -> where it tripped
}

// LedgerState is what a follow-up invocation continues from.
type LedgerState struct {
	Actions map[string]int `json:"actions,omitempty"` // key -> destructive actions done so far
	Tripped []string       `json:"tripped,omitempty"` // keys the breaker stopped
}

// NewLedger starts the ledger from where the previous hop left it.
func NewLedger(limits Breaker, prior LedgerState) *Ledger {
	l := &Ledger{limits: limits, actions: map[string]int{}, done: map[string]int{}, tripped: map[string]string{}}
	maps.Copy(l.actions, prior.Actions)
	maps.Copy(l.done, prior.Actions)
	for _, k := range prior.Tripped {
		l.tripped[k] = "an earlier invocation"
	}
	return l
}

// Allow reserves n destructive actions of key in where (a region), out of
// the inventory listed there, or says which limit they break.
func (l *Ledger) Allow(key, where string, n, inventory int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if at, ok := l.tripped[key]; ok {
		return fmt.Errorf("circuit breaker: tripped earlier in this run (in %s); %s acts on nothing more until the next run", at, key)
	}
	err := l.limits.Check(n, inventory)
	if prior := l.actions[key]; err == nil && prior > 0 {
		// With no candidates the guard checks the count alone.
		if err = l.limits.Check(prior+n, 0); err != nil {
			err = fmt.Errorf("%w; %d of them were allowed earlier in this run (the cap holds over every region and every follow-up)", err, prior)
		}
	}
	if err != nil {
		l.tripped[key] = where
		return err
	}
	l.actions[key] += n
	return nil
}

// Done counts n of key's allowed actions as done.
func (l *Ledger) Done(key string, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done[key] += n
}

// State is the ledger a follow-up continues from: the actions done, and
// the keys that tripped.
func (l *Ledger) State() LedgerState {
	l.mu.Lock()
	defer l.mu.Unlock()
	var s LedgerState
	for k, n := range l.done {
		if n > 0 {
			if s.Actions == nil {
				s.Actions = map[string]int{}
			}
			s.Actions[k] = n
		}
	}
	s.Tripped = slices.Sorted(maps.Keys(l.tripped))
	return s
}
