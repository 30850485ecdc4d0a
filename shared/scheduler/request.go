package scheduler

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/trigger"
)

// Request is what one invocation asks the scheduler to do.
type Request struct {
	DryRun bool   `json:"dryRun"` // forces a dry run; never lifts COMMANDER_DRY_RUN
	Now    string `json:"now"`    // simulated now (only with COMMANDER_ALLOW_SIMULATED_TIME=true)
	RunID  string `json:"runId"`  // names a direct run for idempotency

	trigger trigger.Trigger
}

var runIDRE = regexp.MustCompile(`^[!-~]{1,128}$`) // an API request id, a console label

const accepts = `accepts {"dryRun": true|false, "now": "<RFC 3339>", "runId": "<id>"}`

// DecodeRequest reads a Scheduled Event (its detail may carry the
// options), or a direct invocation such as {"dryRun": true, "now":
// "2026-12-07T07:00:00Z"} (also the contract the api's jobs.start keeps).
func DecodeRequest(t trigger.Trigger) (Request, error) {
	switch t.Kind {
	case trigger.Schedule, trigger.Direct:
	case trigger.HTTP:
		return Request{}, errors.New("scheduler does not serve HTTP requests: call the api's jobs.start, or invoke scheduler directly with {\"dryRun\":true}")
	default:
		return Request{}, fmt.Errorf("a %s trigger is not accepted: scheduler runs on its schedule or on a direct invocation such as {\"dryRun\": true}", t.Kind)
	}
	req := Request{trigger: t}
	if _, err := t.DecodeOptions(&req); err != nil {
		return Request{}, fmt.Errorf("scheduler request: %w: %s", err, accepts)
	}
	if req.RunID != "" && !runIDRE.MatchString(req.RunID) {
		return Request{}, fmt.Errorf(`scheduler request: field "runId" = %q: accepts 1 to 128 printable ASCII characters, no spaces`, req.RunID)
	}
	return req, nil
}

// AsksDryRun, Event, Key and Carried are what the runner reads of a request.
func (q Request) AsksDryRun() bool                  { return q.DryRun }
func (q Request) Event() trigger.Trigger            { return q.trigger }
func (q Request) Carried() (guard.LedgerState, int) { return guard.LedgerState{}, 0 }

// Key is the schedule and its scheduled time for a schedule (a retry has
// the same), the runId of a direct run, or else its (maybe simulated) now.
func (q Request) Key(now time.Time) string {
	switch {
	case q.trigger.Kind != trigger.Direct:
		return q.trigger.IdempotencyKey()
	case q.RunID != "":
		return "direct:" + q.RunID
	default:
		return "direct@" + now.UTC().Format(time.RFC3339Nano)
	}
}
