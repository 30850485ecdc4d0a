package cleanup

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/aws-commander/commander/shared/guard"
)

// breaker is the run's circuit breaker, one ledger per policy shared by
// every region. A policy's percentage is checked against the inventory
// listed where it acts (a filter that matches most of a region's inventory
// is the sign of trouble); its count cap holds over all regions together,
// and over the follow-ups of a run that handed over. Once a policy trips it
// acts on nothing more in the run: the breaker stops destruction, it does
// not trim it. Regions that acted before the trip keep what they did, which
// is within the cap.
type breaker struct {
	limits  guard.Breaker
	mu      sync.Mutex
	actions map[string]int    // policy -> destructive actions allowed so far
	tripped map[string]string // policy -> where it tripped
}

// newBreaker starts the ledger, from where the previous hop left it.
func newBreaker(limits guard.Breaker, resume *Resume) *breaker {
	b := &breaker{limits: limits, actions: map[string]int{}, tripped: map[string]string{}}
	if resume != nil {
		maps.Copy(b.actions, resume.Actions)
		for _, p := range resume.Tripped {
			b.tripped[p] = "an earlier invocation"
		}
	}
	return b
}

// allow reserves n destructive actions of policy in region, out of the
// inventory listed there, or says which limit they break.
func (b *breaker) allow(policy, region string, n, inventory int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if where, ok := b.tripped[policy]; ok {
		return fmt.Errorf("circuit breaker: tripped earlier in this run (in %s); the policy acts on nothing more until the next run", where)
	}
	err := b.limits.Check(n, inventory)
	if prior := b.actions[policy]; err == nil && prior > 0 {
		// With no candidates the guard checks the count alone.
		if err = b.limits.Check(prior+n, 0); err != nil {
			err = fmt.Errorf("%w; %d of them were allowed earlier in this run (the cap holds over every region)", err, prior)
		}
	}
	if err != nil {
		b.tripped[policy] = region
		return err
	}
	b.actions[policy] += n
	return nil
}

// state is the ledger a follow-up continues from.
func (b *breaker) state() (actions map[string]int, tripped []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for p, n := range b.actions {
		if n > 0 {
			if actions == nil {
				actions = map[string]int{}
			}
			actions[p] = n
		}
	}
	return actions, slices.Sorted(maps.Keys(b.tripped))
}
