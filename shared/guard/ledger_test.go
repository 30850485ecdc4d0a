package guard

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// The breaker's ledger: a key's percentage is checked where it acts, its
// count cap over every region (and every hop) of the run; once tripped, the
// key acts on nothing more. A hop hands over what it did, not what it was
// allowed: the follow-up plans the rest again.
func TestLedger(t *testing.T) {
	limits := Breaker{MaxCount: 10, MaxPercent: 20, MinCount: 2}
	type ask struct {
		policy, region string
		n, inventory   int
		wantErr        string // "" allowed
		done           int    // of the allowed, how many the hop did (-1: all)
	}
	cases := []struct {
		name        string
		prior       LedgerState
		asks        []ask
		wantActions map[string]int
		wantTripped []string
	}{
		{"regions add up to the cap", LedgerState{}, []ask{
			{"p", "us-east-1", 6, 100, "", -1},
			{"p", "us-west-2", 4, 100, "", -1},
		}, map[string]int{"p": 10}, []string{}},
		{"past the cap over regions", LedgerState{}, []ask{
			{"p", "us-east-1", 6, 100, "", -1},
			{"p", "us-west-2", 5, 100, "11 destructive actions planned, more than the limit of 10 per run (COMMANDER_BREAKER_MAX_COUNT); 6 of them were allowed earlier", -1},
			{"p", "eu-west-1", 1, 100, "tripped earlier in this run (in us-west-2)", -1},
		}, map[string]int{"p": 6}, []string{"p"}},
		{"percentage of one region's inventory", LedgerState{}, []ask{
			{"p", "us-east-1", 3, 10, "3 of 10 candidates (30.0%)", -1},
			{"q", "us-east-1", 3, 10, "3 of 10 candidates (30.0%)", -1},
			{"r", "us-east-1", 3, 100, "", -1},
		}, map[string]int{"r": 3}, []string{"p", "q"}},
		{"keys count apart", LedgerState{}, []ask{
			{"p", "us-east-1", 10, 100, "", -1},
			{"q", "us-east-1", 10, 100, "", -1},
		}, map[string]int{"p": 10, "q": 10}, []string{}},
		{"a follow-up continues the ledger", LedgerState{Actions: map[string]int{"p": 8}, Tripped: []string{"q"}}, []ask{
			{"p", "us-west-2", 3, 100, "11 destructive actions planned", -1},
			{"q", "us-west-2", 1, 100, "tripped earlier in this run (in an earlier invocation)", -1},
			{"r", "us-west-2", 1, 100, "", -1},
		}, map[string]int{"p": 8, "r": 1}, []string{"p", "q"}},
		{"a hop hands over what it did, not what it was allowed", LedgerState{}, []ask{
			{"p", "us-east-1", 10, 100, "", 4},
		}, map[string]int{"p": 4}, []string{}},
		{"so its follow-up may do the rest", LedgerState{Actions: map[string]int{"p": 4}}, []ask{
			{"p", "us-east-1", 6, 100, "", -1},
		}, map[string]int{"p": 10}, []string{}},
		{"but no more than the rest", LedgerState{Actions: map[string]int{"p": 4}}, []ask{
			{"p", "us-east-1", 7, 100, "11 destructive actions planned", 0},
		}, map[string]int{"p": 4}, []string{"p"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := NewLedger(limits, c.prior)
			for _, a := range c.asks {
				err := b.Allow(a.policy, a.region, a.n, a.inventory)
				if (err == nil) != (a.wantErr == "") || (err != nil && !strings.Contains(err.Error(), a.wantErr)) {
					t.Errorf("allow(%s, %s, %d of %d) = %v, want %q", a.policy, a.region, a.n, a.inventory, err, a.wantErr)
				}
				if err == nil {
					done := a.done
					if done < 0 {
						done = a.n
					}
					b.Done(a.policy, done)
				}
			}
			st := b.State()
			if !maps.Equal(st.Actions, c.wantActions) || !slices.Equal(st.Tripped, c.wantTripped) {
				t.Errorf("state = %v %v, want %v %v", st.Actions, st.Tripped, c.wantActions, c.wantTripped)
			}
		})
	}
}
