// Package audit puts one event per run on EventBridge, so users can route
// what the system did to SNS, chat or e-mail.
package audit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// Source of every audit event.
const Source = "commander"

// MaxDetailBytes keeps an entry under PutEvents' 256 KB limit with room for the envelope.
const MaxDetailBytes = 200 * 1024

// PutEventsAPI is the slice of EventBridge this package calls.
type PutEventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Emitter sends audit events to one bus.
type Emitter struct {
	API PutEventsAPI
	Bus string
}

// Emit sends detail (JSON-encoded) under detailType. An entry EventBridge
// refuses is an error, not a silent loss.
func (e Emitter) Emit(ctx context.Context, detailType string, detail any, resources ...string) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit %s: encode: %w", detailType, err)
	}
	if len(b) > MaxDetailBytes {
		return fmt.Errorf("audit %s: detail is %d bytes, over %d", detailType, len(b), MaxDetailBytes)
	}
	out, err := e.API.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{{
		EventBusName: aws.String(e.Bus),
		Source:       aws.String(Source),
		DetailType:   aws.String(detailType),
		Detail:       aws.String(string(b)),
		Resources:    resources,
	}}})
	if err != nil {
		return fmt.Errorf("audit %s: %w", detailType, err)
	}
	if out.FailedEntryCount > 0 && len(out.Entries) > 0 {
		return fmt.Errorf("audit %s: refused: %s %s", detailType,
			aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage))
	}
	return nil
}
