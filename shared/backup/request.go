package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws-commander/commander/shared/backup/retention"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/runner"
	"github.com/aws-commander/commander/shared/trigger"
)

// Request is what one invocation asks the backup job to do.
type Request struct {
	Trigger trigger.Trigger
	DryRun  bool   // the event asks for a dry run (settings can force one too)
	Policy  string // only this policy; empty for all
	RunID   string // direct invocations: names the run for idempotency
	// A continuation carries on a run that ran out of time: the same
	// event, under the same idempotency key, one hop further.
	Hop      int
	Ledger   guard.LedgerState // the breaker's, carried over from earlier hops
	Original json.RawMessage   // the event the first run received
	key      string
}

// Continuation is the cursor a run that ran out of time hands to its
// follow-up invocation: the original event and the run's idempotency key,
// so that the follow-up skips what is done (snapshots carry the key) and
// re-plans retention from the account's state.
type Continuation struct {
	Event json.RawMessage `json:"event"`
	Key   string          `json:"key"`
	Hop   int             `json:"hop"`
	// The breaker's ledger: deletions allowed so far, so the cap holds per
	// run, not per hop.
	Breaker guard.LedgerState `json:"breaker"`
}

// payload is the direct invocation, or the detail of an EventBridge event
// (a Scheduler schedule can set it as its input).
type payload struct {
	DryRun *bool  `json:"dryRun"`
	Now    string `json:"now"`
	Policy string `json:"policy"`
	RunID  string `json:"runId"`

	Continuation *Continuation `json:"continuation"`
}

// Decode reads an invocation: a Scheduled Event (rule or Scheduler), any
// other EventBridge event, or a direct invocation such as
// {"dryRun":true,"policy":"daily","now":"2026-02-01T02:00:00Z","runId":"manual-1"}.
func Decode(raw []byte) (Request, error) {
	t, err := trigger.Decode(raw)
	if err != nil {
		return Request{}, err
	}
	return decode(t, true)
}

func decode(t trigger.Trigger, top bool) (Request, error) {
	r := Request{Trigger: t, Original: t.Raw}
	var body []byte
	switch t.Kind {
	case trigger.HTTP:
		return Request{}, errors.New("backup does not serve HTTP requests: call the api function, or invoke backup directly with {\"dryRun\":true}")
	case trigger.Direct:
		body = t.Payload
	default:
		// Scheduler sends detail as the string "{}"; only an object can carry options.
		if d := bytes.TrimSpace(t.Detail); len(d) > 0 && d[0] == '{' {
			body = d
		}
	}
	if body != nil {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		var p payload
		if err := dec.Decode(&p); err != nil {
			return Request{}, fmt.Errorf(`backup request: %w: accepts {"dryRun": true|false, "policy": "<name>", "now": "<RFC 3339>", "runId": "<id>"}`, err)
		}
		if c := p.Continuation; c != nil {
			switch {
			case !top:
				return Request{}, errors.New(`backup request: field "continuation" cannot be nested`)
			case c.Hop < 1 || c.Hop > runner.MaxHops:
				return Request{}, fmt.Errorf(`backup request: field "continuation.hop" = %d: accepts 1 to %d`, c.Hop, runner.MaxHops)
			case c.Key == "":
				return Request{}, errors.New(`backup request: field "continuation.key" is required`)
			}
			it, err := trigger.Decode(c.Event)
			var inner Request
			if err == nil {
				inner, err = decode(it, false)
			}
			if err != nil {
				return Request{}, fmt.Errorf(`backup request: field "continuation.event": %w`, err)
			}
			for k, n := range c.Breaker.Actions {
				if n < 0 {
					return Request{}, fmt.Errorf(`backup request: field "continuation.breaker.actions.%s" = %d: accepts a count of 0 or more`, k, n)
				}
			}
			inner.Hop, inner.key, inner.Ledger = c.Hop, c.Key, c.Breaker
			return inner, nil
		}
		if p.DryRun != nil {
			r.DryRun = *p.DryRun
		}
		if p.Policy != "" && !retention.NameRE.MatchString(p.Policy) {
			return Request{}, fmt.Errorf(`backup request: field "policy" = %q: accepts a policy name of lowercase letters, digits, - and _`, p.Policy)
		}
		if len(p.RunID) > 128 {
			return Request{}, fmt.Errorf(`backup request: field "runId" is %d characters: accepts at most 128`, len(p.RunID))
		}
		r.Policy, r.RunID = p.Policy, p.RunID
	}
	return r, nil
}

// AsksDryRun, Event and Carried are what the runner reads of every request.
func (r Request) AsksDryRun() bool                  { return r.DryRun }
func (r Request) Event() trigger.Trigger            { return r.Trigger }
func (r Request) Carried() (guard.LedgerState, int) { return r.Ledger, r.Hop }

// Key is the idempotency key the run's snapshots carry: the schedule and
// its scheduled time for a schedule, the event id for another event, and
// for a direct invocation its runId, or else its (possibly simulated) now.
func (r Request) Key(now time.Time) string {
	switch {
	case r.key != "":
		return r.key
	case r.Trigger.Kind != trigger.Direct:
		return r.Trigger.IdempotencyKey()
	case r.RunID != "":
		return "direct:" + r.RunID
	default:
		return "direct@" + now.UTC().Format(time.RFC3339Nano)
	}
}
