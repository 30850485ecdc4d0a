package guard

import "time"

// Steps of mark-then-act.
const (
	StepMark = "mark" // (re)mark: the action becomes due after a full grace
	StepWait = "wait" // marked, not yet due
	StepAct  = "act"  // marked for this action, and due
)

// MarkThenAct is where a candidate stands in mark-then-act, from the marks
// it carries (markAction and due, as the resource's tags hold them; empty
// when it has none). A resource is acted on only after it was marked for
// that same action and the mark's due time passed, so every destructive
// action is announced by a tag at least one grace period before: a new
// candidate, a mark for another action and an unreadable due date all
// (re)mark with a full grace, never act at once.
func MarkThenAct(markAction, due, action string, now time.Time, grace time.Duration) (step string, at time.Time) {
	t, err := time.Parse(time.RFC3339, due)
	if due == "" || err != nil || markAction != action {
		return StepMark, now.Add(grace).UTC().Truncate(time.Second)
	}
	if now.Before(t) {
		return StepWait, t
	}
	return StepAct, t
}
