// Package trigger decodes whatever invoked a function (an EventBridge or
// Scheduler event, an HTTP API request, a direct invocation) into one typed
// value, with its id, its idempotency key and any simulated "now".
package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/strictjson"
	"github.com/aws/aws-lambda-go/events"
)

// Kind of trigger.
const (
	Schedule = "schedule" // EventBridge rule or Scheduler "Scheduled Event"
	Event    = "event"    // any other EventBridge event (e.g. an alarm state change)
	HTTP     = "http"     // API Gateway HTTP API, payload 2.0
	Direct   = "direct"   // console test event, aws lambda invoke, another function
)

// MaxEventBytes bounds what Decode accepts (Lambda's own async limit is 1 MB).
const MaxEventBytes = 1 << 20

// Trigger is a decoded invocation.
type Trigger struct {
	Kind       string
	ID         string    // event id or HTTP request id; empty for a direct invocation
	Source     string    // EventBridge source, e.g. aws.scheduler
	DetailType string    // EventBridge detail-type
	Time       time.Time // EventBridge time: for a schedule, the scheduled time
	Resources  []string  // EventBridge resources: for a schedule, its ARN
	Region     string
	Account    string
	Detail     json.RawMessage                 // EventBridge detail
	HTTP       *events.APIGatewayV2HTTPRequest // HTTP API request
	Payload    json.RawMessage                 // direct invocation: the whole event
	Now        string                          // simulated now (RFC 3339) the event asks for, if any
	Raw        json.RawMessage                 // the event as it came, for a follow-up that continues its work
}

// envelope is an EventBridge event as Lambda receives it.
type envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// probe has the members that tell the kinds apart.
type probe struct {
	DetailType     *string         `json:"detail-type"`
	Source         *string         `json:"source"`
	RouteKey       *string         `json:"routeKey"`
	RequestContext json.RawMessage `json:"requestContext"`
	Version        string          `json:"version"`
	Now            *string         `json:"now"`
}

// Decode reads raw into a Trigger. It fails with a message naming the field
// when the event is not one of the shapes the functions accept.
func Decode(raw []byte) (Trigger, error) {
	t, err := decode(bytes.TrimSpace(raw))
	if err == nil {
		t.Raw = json.RawMessage(bytes.TrimSpace(raw))
	}
	return t, err
}

func decode(raw []byte) (Trigger, error) {
	if len(raw) > MaxEventBytes {
		return Trigger{}, fmt.Errorf("event is %d bytes, at most %d accepted", len(raw), MaxEventBytes)
	}
	// One strict decoder: a duplicate key (two "now"s, two "detail"s), invalid
	// UTF-8, NaN or deep nesting is refused before encoding/json picks one.
	if len(raw) == 0 {
		return Trigger{}, errors.New("event must be a JSON object: it is empty")
	}
	if raw[0] != '{' && !bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) {
		return Trigger{}, errors.New("event must be a JSON object")
	}
	if err := strictjson.Check(raw); err != nil {
		return Trigger{}, fmt.Errorf("event is not valid JSON (strict: each key once, UTF-8, finite numbers): %w", err)
	}
	var p probe
	if err := json.Unmarshal(raw, &p); err != nil {
		return Trigger{}, fmt.Errorf("event is not valid JSON: %w", err)
	}
	switch {
	case p.DetailType != nil || p.Source != nil:
		return decodeEnvelope(raw)
	case p.RouteKey != nil && p.RequestContext != nil:
		var req events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			return Trigger{}, fmt.Errorf("HTTP API request: %w", err)
		}
		if req.Version != "2.0" {
			return Trigger{}, fmt.Errorf(`HTTP API request: field "version" = %q: accepts "2.0" (payload format 2.0)`, req.Version)
		}
		return Trigger{Kind: HTTP, ID: req.RequestContext.RequestID, HTTP: &req}, nil
	}
	t := Trigger{Kind: Direct, Payload: json.RawMessage(raw)}
	if p.Now != nil {
		t.Now = *p.Now
	}
	return t, nil
}

func decodeEnvelope(raw []byte) (Trigger, error) {
	var e envelope
	if err := json.Unmarshal(raw, &e); err != nil {
		return Trigger{}, fmt.Errorf("EventBridge event: %w", err)
	}
	switch {
	case e.ID == "":
		return Trigger{}, errors.New(`EventBridge event: field "id" is required`)
	case e.Source == "":
		return Trigger{}, errors.New(`EventBridge event: field "source" is required`)
	case e.DetailType == "":
		return Trigger{}, errors.New(`EventBridge event: field "detail-type" is required`)
	}
	when, err := time.Parse(time.RFC3339, e.Time)
	if err != nil {
		return Trigger{}, fmt.Errorf(`EventBridge event: field "time" = %q: accepts an RFC 3339 time such as 2026-01-31T09:00:00Z`, e.Time)
	}
	t := Trigger{
		Kind: Event, ID: e.ID, Source: e.Source, DetailType: e.DetailType, Time: when.UTC(),
		Resources: e.Resources, Region: e.Region, Account: e.Account, Detail: e.Detail,
	}
	if e.DetailType == "Scheduled Event" && (e.Source == "aws.events" || e.Source == "aws.scheduler") {
		t.Kind = Schedule
	}
	if d := bytes.TrimSpace(e.Detail); len(d) > 0 && d[0] == '{' {
		var n struct {
			Now *string `json:"now"`
		}
		if err := json.Unmarshal(d, &n); err != nil {
			return Trigger{}, fmt.Errorf(`EventBridge event: field "detail": %w`, err)
		}
		if n.Now != nil {
			t.Now = *n.Now
		}
	}
	return t, nil
}

// IdempotencyKey identifies the work an invocation asks for, so that a
// re-delivery does nothing new. For a schedule it is the schedule and its
// scheduled time: Scheduler gives each retry a new event id, but the same time.
func (t Trigger) IdempotencyKey() string {
	if t.Kind == Schedule {
		schedule := "schedule"
		if len(t.Resources) > 0 {
			schedule = t.Resources[0]
		}
		return schedule + "@" + t.Time.Format(time.RFC3339)
	}
	return t.ID
}

// Options is the JSON object of options a job's trigger carries, or nil
// when it carries none: a direct invocation's whole payload, or a
// schedule's or event's detail (Scheduler sends it as a JSON string, "{}"
// by default; a rule sends an object).
func (t Trigger) Options() ([]byte, error) {
	if t.Kind == Direct {
		return t.Payload, nil
	}
	d := bytes.TrimSpace(t.Detail)
	if len(d) > 0 && d[0] == '"' {
		var s string
		if err := json.Unmarshal(d, &s); err != nil {
			return nil, fmt.Errorf(`field "detail": %w`, err)
		}
		d = bytes.TrimSpace([]byte(s))
	}
	if len(d) == 0 || string(d) == "null" || string(d) == "{}" {
		return nil, nil
	}
	if d[0] != '{' {
		return nil, errors.New(`field "detail": must be a JSON object of options`)
	}
	return d, nil
}

// DecodeOptions decodes the options t carries (Options) into v, refusing an
// unknown field; false when it carries none. The error says what is wrong,
// naming the field where encoding/json does, for the caller to add what it
// accepts.
func (t Trigger) DecodeOptions(v any) (bool, error) {
	body, err := t.Options()
	if err != nil || body == nil {
		return false, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) && te.Field != "" {
			return true, fmt.Errorf("field %q is a JSON %s", te.Field, te.Value)
		}
		return true, errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	return true, nil
}
