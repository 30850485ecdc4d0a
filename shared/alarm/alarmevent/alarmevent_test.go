package alarmevent

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/events"
)

// event builds an alarm event with detail replaced by mutate's result.
func event(t testing.TB, mutate func(d map[string]any)) []byte {
	t.Helper()
	d := map[string]any{
		"alarmName": "cpu",
		"state": map[string]any{
			"value": "ALARM", "reason": "crossed",
			"reasonData": `{"version":"1.0","statistic":"Average","period":300,"recentDatapoints":[91.2],"threshold":70.0}`,
			"timestamp":  "2019-10-01T13:56:40.987+0000",
		},
		"previousState": map[string]any{"value": "OK", "reason": "fine", "timestamp": "2019-10-01T13:51:40.987+0000"},
		"configuration": map[string]any{"metrics": []any{map[string]any{
			"id": "m1", "returnData": true,
			"metricStat": map[string]any{"metric": map[string]any{
				"namespace": "AWS/EC2", "name": "CPUUtilization", "dimensions": map[string]any{"InstanceId": "i-1"},
			}, "period": 300, "stat": "Average"},
		}}},
	}
	if mutate != nil {
		mutate(d)
	}
	b, err := json.Marshal(map[string]any{
		"version": "0", "id": "e-1", "detail-type": DetailType, "source": Source, "account": "123456789012",
		"time": "2019-10-01T13:56:41Z", "region": "eu-west-1", "resources": []string{"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:cpu"},
		"detail": d,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func state(d map[string]any, key string) map[string]any { return d[key].(map[string]any) }

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		raw     []byte
		wantErr string
		check   func(t *testing.T, e Event)
	}{
		{name: "single metric", raw: event(t, nil), check: func(t *testing.T, e Event) {
			if e.ID != "e-1" || e.AlarmName != "cpu" || e.Region != "eu-west-1" || e.AlarmARN == "" {
				t.Errorf("envelope = %+v", e)
			}
			if e.State.Value != Alarm || e.Previous.Value != OK {
				t.Errorf("states = %s <- %s", e.State.Value, e.Previous.Value)
			}
			want := time.Date(2019, 10, 1, 13, 56, 40, 987e6, time.UTC)
			if !e.State.Timestamp.Equal(want) {
				t.Errorf("timestamp = %s, want %s", e.State.Timestamp, want)
			}
			if e.State.ReasonData == nil || *e.State.ReasonData.Threshold != 70 || e.State.ReasonData.RecentDatapoints[0] != 91.2 {
				t.Errorf("reasonData = %+v", e.State.ReasonData)
			}
			if e.Previous.ReasonData != nil {
				t.Errorf("previous reasonData = %+v, want none", e.Previous.ReasonData)
			}
			if e.Composite() || len(e.Config.Metrics) != 1 || e.Config.Metrics[0].Dimensions["InstanceId"] != "i-1" || !e.Config.Metrics[0].ReturnData {
				t.Errorf("config = %+v", e.Config)
			}
		}},
		{name: "metric math", raw: event(t, func(d map[string]any) {
			d["configuration"] = map[string]any{"metrics": []any{
				map[string]any{"id": "e1", "expression": "m1/m2", "returnData": true},
				map[string]any{"id": "m1", "returnData": false, "metricStat": map[string]any{"metric": map[string]any{"namespace": "AWS/Lambda", "name": "Errors", "dimensions": map[string]any{"FunctionName": "f"}}}},
			}}
		}), check: func(t *testing.T, e Event) {
			if len(e.Config.Metrics) != 2 || e.Config.Metrics[0].Expression != "m1/m2" || e.Config.Metrics[1].ReturnData || e.Config.Metrics[1].Dimensions["FunctionName"] != "f" {
				t.Errorf("config = %+v", e.Config)
			}
		}},
		{name: "composite", raw: event(t, func(d map[string]any) {
			d["configuration"] = map[string]any{"alarmRule": "ALARM(a) OR ALARM(b)"}
			state(d, "state")["reasonData"] = `{"triggeringAlarms":[{"arn":"arn:aws:cloudwatch:eu-west-1:1:alarm:a","state":{"value":"ALARM","timestamp":"2022-07-22T15:57:17.556+0000"}}]}`
		}), check: func(t *testing.T, e Event) {
			if !e.Composite() || e.Config.AlarmRule == "" {
				t.Errorf("config = %+v", e.Config)
			}
			if rd := e.State.ReasonData; rd == nil || len(rd.TriggeringAlarms) != 1 || rd.TriggeringAlarms[0].State.Value != "ALARM" {
				t.Errorf("reasonData = %+v", rd)
			}
		}},
		{name: "timestamp without fraction", raw: event(t, func(d map[string]any) { state(d, "state")["timestamp"] = "2019-10-01T13:56:40+0000" }),
			check: func(t *testing.T, e Event) {
				if e.State.Timestamp.Second() != 40 {
					t.Errorf("timestamp = %s", e.State.Timestamp)
				}
			}},
		{name: "reasonData is an object, not a string", raw: event(t, func(d map[string]any) { state(d, "state")["reasonData"] = map[string]any{"version": "1.0"} }),
			wantErr: `field "detail"`},
		{name: "reasonData string is not JSON", raw: event(t, func(d map[string]any) { state(d, "state")["reasonData"] = "threshold crossed" }),
			wantErr: `"detail.state.reasonData": accepts a string holding a JSON object`},
		{name: "reasonData string is broken JSON", raw: event(t, func(d map[string]any) { state(d, "state")["reasonData"] = `{"version":` }),
			wantErr: `"detail.state.reasonData"`},
		{name: "bad timestamp", raw: event(t, func(d map[string]any) { state(d, "previousState")["timestamp"] = "2019-10-01 13:56:40" }),
			wantErr: `"detail.previousState.timestamp" = "2019-10-01 13:56:40": accepts a time such as 2019-10-01T13:56:40.987+0000`},
		{name: "unknown state", raw: event(t, func(d map[string]any) { state(d, "state")["value"] = "FIRING" }),
			wantErr: `"detail.state.value" = "FIRING": accepts OK, ALARM or INSUFFICIENT_DATA`},
		{name: "missing state", raw: event(t, func(d map[string]any) { delete(d, "state") }), wantErr: `field "detail.state" is required`},
		{name: "missing previous value", raw: event(t, func(d map[string]any) { delete(state(d, "previousState"), "value") }), wantErr: `"detail.previousState.value" is required`},
		{name: "missing alarm name", raw: event(t, func(d map[string]any) { d["alarmName"] = " " }), wantErr: `"detail.alarmName" is required`},
		{name: "metric without id", raw: event(t, func(d map[string]any) {
			d["configuration"] = map[string]any{"metrics": []any{map[string]any{"expression": "m1"}}}
		}), wantErr: `"detail.configuration.metrics[0].id" is required`},
		{name: "metric neither stat nor expression", raw: event(t, func(d map[string]any) {
			d["configuration"] = map[string]any{"metrics": []any{map[string]any{"id": "m1"}}}
		}), wantErr: `accepts a metricStat or an expression`},
		{name: "other detail-type", raw: []byte(`{"id":"x","source":"aws.events","detail-type":"Scheduled Event","time":"2026-01-01T00:00:00Z","detail":{}}`),
			wantErr: `accepts "aws.cloudwatch"/"CloudWatch Alarm State Change"`},
		{name: "direct invocation", raw: []byte(`{"alarmName":"cpu"}`), wantErr: "not an EventBridge event"},
		{name: "detail not an object", raw: []byte(`{"id":"x","source":"aws.cloudwatch","detail-type":"CloudWatch Alarm State Change","time":"2026-01-01T00:00:00Z","detail":[1]}`),
			wantErr: `field "detail": accepts a JSON object`},
		{name: "not JSON", raw: []byte(`{"id":`), wantErr: "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Decode(tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, e)
		})
	}
}

// Every sample but the malformed one decodes; the malformed one names the field.
func TestDecodeSamples(t *testing.T) {
	samples, err := events.Samples("alarm")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		t.Run(s.Name, func(t *testing.T) {
			e, err := Decode(s.Body)
			if strings.Contains(s.Name, "malformed") {
				if err == nil || !strings.Contains(err.Error(), "detail") {
					t.Fatalf("err = %v, want a field error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.ID == "" || e.AlarmName == "" || e.State.Timestamp.IsZero() || e.State.ReasonData == nil {
				t.Errorf("decoded = %+v", e)
			}
		})
	}
}

// FuzzDecodeAlarmEvent: whatever arrives, Decode returns an event or an
// error, never panics, and a decoded event has what the handler relies on.
func FuzzDecodeAlarmEvent(f *testing.F) {
	samples, err := events.Samples("alarm")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range samples {
		f.Add(s.Body)
	}
	f.Add(event(f, nil))
	f.Add([]byte(`{"id":"x","source":"aws.cloudwatch","detail-type":"CloudWatch Alarm State Change","time":"2026-01-01T00:00:00Z","detail":{"alarmName":"a","state":{"value":"OK","timestamp":"x","reasonData":"["}}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := Decode(raw)
		if err != nil {
			return
		}
		if e.ID == "" || e.AlarmName == "" {
			t.Fatalf("decoded without id or alarm name: %+v", e)
		}
		for _, s := range []State{e.State, e.Previous} {
			if s.Value != OK && s.Value != Alarm && s.Value != InsufficientData {
				t.Fatalf("decoded state %q", s.Value)
			}
		}
	})
}
