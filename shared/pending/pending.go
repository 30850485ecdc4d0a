// Package pending answers for a function whose job has not landed yet: it
// decodes the event (so bad input still gets a clear error) and then says
// plainly that the job is not implemented, instead of pretending to work.
package pending

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws-commander/commander/shared/trigger"
)

// Handler returns a Lambda handler for function that refuses every event.
func Handler(function string, log *slog.Logger) func(context.Context, json.RawMessage) (any, error) {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		t, err := trigger.Decode(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", function, err)
		}
		log.WarnContext(ctx, "not implemented yet", "trigger", t.Kind, "eventId", t.ID)
		return nil, fmt.Errorf("%s: not implemented yet (received a %s trigger)", function, t.Kind)
	}
}
