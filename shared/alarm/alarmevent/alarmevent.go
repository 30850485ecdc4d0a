// Package alarmevent decodes EventBridge "CloudWatch Alarm State Change"
// events exactly as documented: reasonData is a JSON string inside the JSON,
// timestamps look like 2019-10-01T13:56:40.987+0000, metric alarms carry
// configuration.metrics[] and composite alarms carry none.
// aws-lambda-go has no type for this event.
package alarmevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/trigger"
)

// Envelope values of an alarm state change.
const (
	Source     = "aws.cloudwatch"
	DetailType = "CloudWatch Alarm State Change"
)

// Alarm states.
const (
	OK               = "OK"
	Alarm            = "ALARM"
	InsufficientData = "INSUFFICIENT_DATA"
)

// TimeLayout is CloudWatch's timestamp format in these events. Go accepts
// the fractional seconds when parsing even though the layout omits them.
const TimeLayout = "2006-01-02T15:04:05-0700"

// Event is a decoded alarm state change.
type Event struct {
	ID        string    // EventBridge event id: the idempotency key
	Time      time.Time // EventBridge time
	Region    string
	Account   string
	AlarmName string
	AlarmARN  string // from resources; may be empty
	State     State
	Previous  State
	Config    Configuration
}

// Composite reports whether the event is for a composite alarm: those carry
// no metrics (and usually an alarmRule).
func (e Event) Composite() bool { return len(e.Config.Metrics) == 0 }

// State is one side of the transition.
type State struct {
	Value      string // OK, ALARM or INSUFFICIENT_DATA
	Reason     string
	ReasonData *ReasonData // nil when the event has none
	Timestamp  time.Time
}

// ReasonData is the decoded reasonData string. Metric alarms fill the
// statistics fields, composite alarms the triggering alarms.
type ReasonData struct {
	Version             string            `json:"version"`
	QueryDate           string            `json:"queryDate"`
	StartDate           string            `json:"startDate"`
	Statistic           string            `json:"statistic"`
	Period              int               `json:"period"`
	RecentDatapoints    []float64         `json:"recentDatapoints"`
	Threshold           *float64          `json:"threshold"`
	EvaluatedDatapoints []json.RawMessage `json:"evaluatedDatapoints"`
	TriggeringAlarms    []TriggeringAlarm `json:"triggeringAlarms"`
}

// TriggeringAlarm is a child alarm named in a composite alarm's reasonData.
type TriggeringAlarm struct {
	ARN   string `json:"arn"`
	State struct {
		Value     string `json:"value"`
		Timestamp string `json:"timestamp"`
	} `json:"state"`
}

// Configuration is the alarm's configuration as the event carries it.
type Configuration struct {
	Description string
	AlarmRule   string // composite alarms
	Metrics     []Metric
}

// Metric is one entry of configuration.metrics: a metric (MetricStat) or a
// metric math expression.
type Metric struct {
	ID         string
	Expression string // metric math; empty for a metric
	Label      string
	ReturnData bool
	Namespace  string
	Name       string
	Dimensions map[string]string
	Period     int
	Stat       string
}

// wire types follow the documented JSON names.
type wireDetail struct {
	AlarmName     *string     `json:"alarmName"`
	State         *wireState  `json:"state"`
	PreviousState *wireState  `json:"previousState"`
	Configuration *wireConfig `json:"configuration"`
}

type wireState struct {
	Value      *string `json:"value"`
	Reason     string  `json:"reason"`
	ReasonData *string `json:"reasonData"`
	Timestamp  *string `json:"timestamp"`
}

type wireConfig struct {
	Description string       `json:"description"`
	AlarmRule   string       `json:"alarmRule"`
	Metrics     []wireMetric `json:"metrics"`
}

type wireMetric struct {
	ID         string `json:"id"`
	Expression string `json:"expression"`
	Label      string `json:"label"`
	ReturnData *bool  `json:"returnData"`
	MetricStat *struct {
		Metric struct {
			Namespace  string            `json:"namespace"`
			Name       string            `json:"name"`
			Dimensions map[string]string `json:"dimensions"`
		} `json:"metric"`
		Period int    `json:"period"`
		Stat   string `json:"stat"`
	} `json:"metricStat"`
}

// Decode reads a raw Lambda event into an Event.
func Decode(raw []byte) (Event, error) {
	t, err := trigger.Decode(raw)
	if err != nil {
		return Event{}, err
	}
	return FromTrigger(t)
}

// FromTrigger reads an already decoded trigger into an Event. Every error
// names the field and what it accepts.
func FromTrigger(t trigger.Trigger) (Event, error) {
	if t.Kind != trigger.Event && t.Kind != trigger.Schedule {
		return Event{}, fmt.Errorf("not an EventBridge event (a %s invocation): accepts a %q event", t.Kind, DetailType)
	}
	if t.Source != Source || t.DetailType != DetailType {
		return Event{}, fmt.Errorf(`field "source"/"detail-type" = %q/%q: accepts %q/%q`, t.Source, t.DetailType, Source, DetailType)
	}
	e := Event{ID: t.ID, Time: t.Time, Region: t.Region, Account: t.Account}
	if len(t.Resources) > 0 {
		e.AlarmARN = t.Resources[0]
	}
	d := bytes.TrimSpace(t.Detail)
	if len(d) == 0 || d[0] != '{' {
		return Event{}, errors.New(`field "detail": accepts a JSON object`)
	}
	var w wireDetail
	if err := json.Unmarshal(d, &w); err != nil {
		return Event{}, fmt.Errorf(`field "detail": %w`, err)
	}
	if w.AlarmName == nil || strings.TrimSpace(*w.AlarmName) == "" {
		return Event{}, errors.New(`field "detail.alarmName" is required: accepts the alarm's name`)
	}
	if len(*w.AlarmName) > 255 {
		return Event{}, fmt.Errorf(`field "detail.alarmName" is %d characters: accepts at most 255`, len(*w.AlarmName))
	}
	e.AlarmName = *w.AlarmName
	var err error
	if e.State, err = decodeState("detail.state", w.State); err != nil {
		return Event{}, err
	}
	if e.Previous, err = decodeState("detail.previousState", w.PreviousState); err != nil {
		return Event{}, err
	}
	if w.Configuration != nil {
		e.Config = Configuration{Description: w.Configuration.Description, AlarmRule: w.Configuration.AlarmRule}
		for i, m := range w.Configuration.Metrics {
			if m.ID == "" {
				return Event{}, fmt.Errorf(`field "detail.configuration.metrics[%d].id" is required`, i)
			}
			if m.MetricStat == nil && m.Expression == "" {
				return Event{}, fmt.Errorf(`field "detail.configuration.metrics[%d]": accepts a metricStat or an expression`, i)
			}
			out := Metric{ID: m.ID, Expression: m.Expression, Label: m.Label, ReturnData: m.ReturnData == nil || *m.ReturnData}
			if ms := m.MetricStat; ms != nil {
				out.Namespace, out.Name, out.Period, out.Stat = ms.Metric.Namespace, ms.Metric.Name, ms.Period, ms.Stat
				out.Dimensions = ms.Metric.Dimensions
			}
			e.Config.Metrics = append(e.Config.Metrics, out)
		}
	}
	return e, nil
}

func decodeState(field string, w *wireState) (State, error) {
	if w == nil {
		return State{}, fmt.Errorf("field %q is required", field)
	}
	var s State
	if w.Value == nil {
		return State{}, fmt.Errorf("field %q is required", field+".value")
	}
	switch *w.Value {
	case OK, Alarm, InsufficientData:
		s.Value = *w.Value
	default:
		return State{}, fmt.Errorf("field %q = %q: accepts OK, ALARM or INSUFFICIENT_DATA", field+".value", *w.Value)
	}
	s.Reason = w.Reason
	if w.Timestamp == nil {
		return State{}, fmt.Errorf("field %q is required", field+".timestamp")
	}
	ts, err := ParseTime(*w.Timestamp)
	if err != nil {
		return State{}, fmt.Errorf("field %q = %q: accepts a time such as 2019-10-01T13:56:40.987+0000", field+".timestamp", *w.Timestamp)
	}
	s.Timestamp = ts
	if w.ReasonData != nil && strings.TrimSpace(*w.ReasonData) != "" {
		var rd ReasonData
		inner := bytes.TrimSpace([]byte(*w.ReasonData))
		if inner[0] != '{' {
			return State{}, fmt.Errorf("field %q: accepts a string holding a JSON object", field+".reasonData")
		}
		if err := json.Unmarshal(inner, &rd); err != nil {
			return State{}, fmt.Errorf("field %q: accepts a string holding a JSON object: %w", field+".reasonData", err)
		}
		s.ReasonData = &rd
	}
	return s, nil
}

// ParseTime reads CloudWatch's event timestamps (2019-10-01T13:56:40.987+0000),
// and RFC 3339 for good measure.
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(TimeLayout, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}
