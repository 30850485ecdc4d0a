package alarm

import (
	"context"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/alarm/alarmevent"
	"github.com/aws-commander/commander/shared/audit"
	"github.com/aws-commander/commander/shared/report"
)

// ReactionDetail is the detail of a "Commander Alarm Reaction" event.
type ReactionDetail struct {
	Alarm         string     `json:"alarm"`
	AlarmARN      string     `json:"alarmArn,omitempty"`
	State         string     `json:"state"`
	PreviousState string     `json:"previousState"`
	Reason        string     `json:"stateReason,omitempty"`
	EventID       string     `json:"eventId"`
	Target        *TargetRef `json:"target,omitempty"` // absent: a notify-only alarm without a target
	Action        string     `json:"action"`
	Outcome       string     `json:"outcome"` // done, planned (dry-run), failed
	Why           string     `json:"reason"`
	Error         string     `json:"error,omitempty"`
	DryRun        bool       `json:"dryRun"`
	At            string     `json:"at"`
}

// TargetRef names the target in a reaction event.
type TargetRef struct {
	Type   string `json:"type"`
	ID     string `json:"id"`
	Region string `json:"region"`
}

func (h *Handler) emit(ctx context.Context, c Clients, ev alarmevent.Event, st Step, d report.Decision, dryRun bool, now time.Time) error {
	detail := ReactionDetail{
		Alarm: ev.AlarmName, AlarmARN: ev.AlarmARN, State: ev.State.Value, PreviousState: ev.Previous.Value,
		Reason: truncate(ev.State.Reason, 1024), EventID: ev.ID, Action: string(st.Action), Outcome: d.Outcome,
		Why: d.Reason, Error: d.Error, DryRun: dryRun, At: now.UTC().Format(time.RFC3339),
	}
	if st.Kind != AlarmRes {
		detail.Target = &TargetRef{Type: string(st.Kind), ID: st.ID, Region: d.Region}
	}
	var resources []string
	if ev.AlarmARN != "" {
		resources = append(resources, ev.AlarmARN)
	}
	return audit.Emitter{API: c.Events, Bus: h.Settings.EventBus}.Emit(ctx, events.AlarmReaction, detail, resources...)
}
