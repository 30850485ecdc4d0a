// Package report is the one JSON result every job returns: what triggered
// it, whether it was a dry run, what it decided per resource and why, how
// many AWS calls it made, how long it took, and what went wrong.
package report

import (
	"errors"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awserr"
)

// Status of a whole run.
const (
	StatusOK      = "ok"      // everything planned was done (or planned, in dry-run)
	StatusPartial = "partial" // some resources failed, or the circuit breaker tripped
	StatusFailed  = "failed"  // the run could not do its job
	StatusSkipped = "skipped" // nothing to do for this event (duplicate, not applicable, can never succeed)
)

// Decision is what a run decided for one resource, and why.
type Decision struct {
	Resource string `json:"resource"`         // id or name
	Type     string `json:"type"`             // e.g. ec2:snapshot
	Region   string `json:"region,omitempty"` // where it lives
	Action   string `json:"action"`           // e.g. delete, snapshot, mark, keep
	Outcome  string `json:"outcome"`          // done, planned (dry-run), skipped, failed
	Policy   string `json:"policy,omitempty"` // the cleanup policy that decided it
	Reason   string `json:"reason"`
	Error    string `json:"error,omitempty"`
	// Saving is the estimated monthly saving in USD of a remove, stop,
	// release or deregister, its basis in Reason; nil is "no estimate",
	// never zero (see AddSaving).
	Saving *float64 `json:"monthlySavingUSD,omitempty"`
}

// Outcomes of a decision.
const (
	Done    = "done"
	Planned = "planned"
	Skipped = "skipped"
	Failed  = "failed"
)

// Report is safe for concurrent use while a run is in progress.
type Report struct {
	mu sync.Mutex

	Function       string           `json:"function"`
	Trigger        string           `json:"trigger"` // schedule, event, http, direct
	EventID        string           `json:"eventId,omitempty"`
	IdempotencyKey string           `json:"idempotencyKey,omitempty"`
	DryRun         bool             `json:"dryRun"`
	Status         string           `json:"status"`
	Reason         string           `json:"reason,omitempty"` // why skipped, failed or partial
	StartedAt      time.Time        `json:"startedAt"`
	DurationMs     int64            `json:"durationMs"`
	Counts         map[string]int   `json:"counts"` // "<action>.<outcome>" -> resources
	Resources      []Decision       `json:"resources"`
	Truncated      int              `json:"truncatedResources,omitempty"` // decisions counted but not listed
	APICalls       map[string]int64 `json:"apiCalls"`
	APICallsTotal  int64            `json:"apiCallsTotal"`
	Retries        int64            `json:"retries"`
	Errors         []string         `json:"errors,omitempty"`
	Next           any              `json:"next,omitempty"`    // cursor handed to a follow-up run
	Region         string           `json:"region,omitempty"`  // the one region of a run that reacts to one event
	Sections       []*Section       `json:"regions,omitempty"` // one per region, when a run covers several
	// SavingsUSD totals the estimated monthly savings of decisions done, or
	// planned in a dry run (what would be saved); Prices names the price
	// table the estimates come from.
	SavingsUSD   float64 `json:"estimatedMonthlySavingUSD,omitempty"`
	Prices       string  `json:"prices,omitempty"`
	estimated    bool    // some decision carried an estimate, whatever its outcome
	maxResources int
}

// Section is one region's share of a run that covers several: its own
// status and reason, its counts and errors, and how long it took. Decisions
// stay in the run's one list (each names its region), so a report is no
// bigger for being split.
type Section struct {
	Region     string         `json:"region"`
	Status     string         `json:"status"`
	Reason     string         `json:"reason,omitempty"`
	Counts     map[string]int `json:"counts"`
	Errors     []string       `json:"errors,omitempty"`
	DurationMs int64          `json:"durationMs"`
}

// New starts a report. maxResources bounds the per-resource list (counts
// stay complete), so a report fits Lambda's 6 MB response at any inventory.
func New(function, trigger string, dryRun bool, started time.Time, maxResources int) *Report {
	return &Report{
		Function: function, Trigger: trigger, DryRun: dryRun, StartedAt: started.UTC(),
		Status: StatusOK, Counts: map[string]int{}, Resources: []Decision{}, APICalls: map[string]int64{},
		maxResources: maxResources,
	}
}

// Regions gives the report one section per region, in this order. Decisions
// and regional outcomes recorded afterwards also count in their section.
func (r *Report) Regions(names ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range names {
		if r.section(n) == nil {
			r.Sections = append(r.Sections, &Section{Region: n, Status: StatusOK, Counts: map[string]int{}})
		}
	}
}

func (r *Report) section(region string) *Section {
	for _, s := range r.Sections {
		if s.Region == region {
			return s
		}
	}
	return nil
}

// PartialIn marks region's section and the run partial, with the reason.
func (r *Report) PartialIn(region, reason string) {
	r.Partial(region + ": " + reason)
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.section(region); s != nil {
		if s.Status != StatusFailed {
			s.Status = StatusPartial
		}
		s.Reason = joinReason(s.Reason, reason)
	}
}

// FailIn marks region's section failed and the run partial: the other
// regions may still have done their work. A job whose every region failed
// calls Fail as well.
func (r *Report) FailIn(region string, err error) {
	r.Partial(region + ": " + err.Error())
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Errors = append(r.Errors, region+": "+err.Error())
	if s := r.section(region); s != nil {
		s.Status = StatusFailed
		s.Errors = append(s.Errors, err.Error())
		s.Reason = joinReason(s.Reason, err.Error())
	}
}

// Took records how long region's share of the run took.
func (r *Report) Took(region string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.section(region); s != nil {
		s.DurationMs = d.Milliseconds()
	}
}

// Add records one decision. A decision with a Saving counts in SavingsUSD
// when it is done or planned; skipped and failed ones saved nothing.
func (r *Report) Add(d Decision) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Counts[d.Action+"."+d.Outcome]++
	if d.Saving != nil && !validSaving(*d.Saving) {
		d.Saving = nil // a negative or non-finite figure is no estimate
	}
	if d.Saving != nil {
		r.estimated = true
		if d.Outcome == Done || d.Outcome == Planned {
			// Cents, after each addition, so a long sum does not drift.
			r.SavingsUSD = math.Round((r.SavingsUSD+*d.Saving)*100) / 100
		}
	}
	sec := r.section(d.Region)
	if sec != nil {
		sec.Counts[d.Action+"."+d.Outcome]++
	}
	if d.Outcome == Failed {
		r.Errors = append(r.Errors, d.Resource+": "+d.Error)
		if r.Status == StatusOK {
			r.Status = StatusPartial
		}
		if sec != nil {
			sec.Errors = append(sec.Errors, d.Resource+": "+d.Error)
			if sec.Status == StatusOK {
				sec.Status = StatusPartial
			}
		}
	}
	if len(r.Resources) < r.maxResources {
		r.Resources = append(r.Resources, d)
	} else {
		r.Truncated++
	}
}

// AddSaving records a decision with its estimated monthly saving: usd on the
// decision, basis appended to its reason. A negative or non-finite usd is no
// estimate: the decision is recorded without one, and its reason says so.
func (r *Report) AddSaving(d Decision, usd float64, basis string) {
	if !validSaving(usd) {
		d.Saving = nil
		d.Reason = joinReason(d.Reason, "no estimate of the saving")
		r.Add(d)
		return
	}
	d.Saving = &usd
	d.Reason = joinReason(d.Reason, basis)
	r.Add(d)
}

func validSaving(usd float64) bool { return usd >= 0 && !math.IsInf(usd, 1) }

// PricedBy names the price table the run's estimates come from (its date
// and sources), for the reader of the report.
func (r *Report) PricedBy(label string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Prices = label
}

// Partial marks the run as not complete, with the reason (e.g. a tripped breaker).
func (r *Report) Partial(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Status != StatusFailed {
		r.Status = StatusPartial
	}
	r.Reason = joinReason(r.Reason, reason)
}

// Fail marks the run as failed with err.
func (r *Report) Fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Status = StatusFailed
	r.Errors = append(r.Errors, err.Error())
	r.Reason = joinReason(r.Reason, err.Error())
}

// Skip marks the run as having nothing to do, and why.
func (r *Report) Skip(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Status = StatusSkipped
	r.Reason = reason
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// Finish records duration and the API calls counted for this run.
func (r *Report) Finish(now time.Time, c *awsclient.Counter) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.DurationMs = now.Sub(r.StartedAt).Milliseconds()
	if c != nil {
		r.APICalls = c.Calls()
		r.APICallsTotal = c.Total()
		r.Retries = c.Retries()
	}
}

// Count is the number of resources with that action and outcome.
func (r *Report) Count(action, outcome string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.Counts[action+"."+outcome]
}

// Total is the number of resources with that outcome, whatever the action.
func (r *Report) Total(outcome string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for key, c := range r.Counts {
		if _, o, _ := strings.Cut(key, "."); o == outcome {
			n += c
		}
	}
	return n
}

// Sorted returns the listed decisions ordered by type and resource, for
// stable output from concurrent runs.
func (r *Report) Sorted() []Decision {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]Decision(nil), r.Resources...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Resource < out[j].Resource
	})
	return out
}

// Err is non-nil when the run failed, for handlers that must return an error
// so that the platform retries.
func (r *Report) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Status == StatusFailed {
		return errors.New(r.Reason)
	}
	return nil
}

// Failure is d for an action that returned err: failed, with the error
// explained (unless d already says it); or, when err is the run's context ending (its deadline, or a
// cancel), skipped as not done, since the call was stopped rather than
// refused: the follow-up invocation or the next run does it (every action
// is idempotent), and it is no failure of the run.
func Failure(d Decision, err error) Decision {
	if awserr.Is(err, awserr.Canceled) {
		d.Outcome, d.Error = Skipped, ""
		d.Reason = strings.TrimPrefix(d.Reason+"; not done: the run's time ran out (a follow-up or the next run does it)", "; ")
		return d
	}
	d.Outcome = Failed
	if d.Error == "" {
		d.Error = awserr.Explain(err)
	}
	return d
}
