package trigger

import (
	"strings"
	"testing"
	"time"
)

func TestDecode(t *testing.T) {
	cases := []struct {
		name     string
		event    string
		kind     string
		key, now string
		wantErr  string
	}{
		{
			name:  "scheduler event",
			event: `{"version":"0","id":"exec-1","detail-type":"Scheduled Event","source":"aws.scheduler","account":"123456789012","time":"2026-01-31T02:00:00Z","region":"eu-west-1","resources":["arn:aws:scheduler:eu-west-1:123456789012:schedule/default/backup"],"detail":"{}"}`,
			kind:  Schedule, key: "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/backup@2026-01-31T02:00:00Z",
		},
		{
			name:  "rule schedule with simulated now",
			event: `{"version":"0","id":"e-2","detail-type":"Scheduled Event","source":"aws.events","time":"2026-01-31T02:00:00Z","resources":["arn:aws:events:eu-west-1:123456789012:rule/cleanup"],"detail":{"now":"2026-03-01T00:00:00Z"}}`,
			kind:  Schedule, key: "arn:aws:events:eu-west-1:123456789012:rule/cleanup@2026-01-31T02:00:00Z", now: "2026-03-01T00:00:00Z",
		},
		{
			name:  "alarm state change",
			event: `{"version":"0","id":"alarm-ev-1","detail-type":"CloudWatch Alarm State Change","source":"aws.cloudwatch","time":"2026-01-31T02:00:00Z","resources":["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:cpu"],"detail":{"alarmName":"cpu"}}`,
			kind:  Event, key: "alarm-ev-1",
		},
		{
			name:  "http api",
			event: `{"version":"2.0","routeKey":"GET /commands","rawPath":"/commands","requestContext":{"requestId":"req-9","http":{"method":"GET","path":"/commands"}}}`,
			kind:  HTTP, key: "req-9",
		},
		{
			name:  "direct with now",
			event: `{"action":"ec2.list","params":{},"now":"2026-03-01T00:00:00Z"}`,
			kind:  Direct, now: "2026-03-01T00:00:00Z",
		},
		{name: "not an object", event: `[1,2]`, wantErr: "JSON object"},
		{name: "empty", event: ``, wantErr: "JSON object"},
		{name: "broken json", event: `{"action":`, wantErr: "not valid JSON"},
		{name: "duplicate key in the envelope", event: `{"id":"a","id":"b","source":"aws.events","detail-type":"Scheduled Event","time":"2026-01-31T09:00:00Z"}`, wantErr: `key "id" is given twice`},
		{name: "duplicate now in the detail", event: `{"id":"a","source":"aws.events","detail-type":"Scheduled Event","time":"2026-01-31T09:00:00Z","detail":{"now":"2026-01-01T00:00:00Z","now":"2030-01-01T00:00:00Z"}}`, wantErr: `$.detail: key "now" is given twice`},
		{name: "keys differing in case", event: `{"dryRun":true,"DryRun":false}`, wantErr: "differ only in case"},
		{name: "NaN", event: `{"limit":NaN}`, wantErr: "NaN is not a JSON number"},
		{name: "byte order mark", event: "\xef\xbb\xbf{}", wantErr: "byte order mark"},
		{name: "invalid UTF-8", event: "{\"k\xff\":1}", wantErr: "invalid UTF-8"},
		{name: "envelope without id", event: `{"detail-type":"Scheduled Event","source":"aws.events","time":"2026-01-31T02:00:00Z"}`, wantErr: `"id"`},
		{name: "envelope with bad time", event: `{"id":"x","detail-type":"Scheduled Event","source":"aws.events","time":"yesterday"}`, wantErr: `"time"`},
		{name: "http payload 1.0", event: `{"version":"1.0","routeKey":"GET /","requestContext":{}}`, wantErr: `"version"`},
		{name: "too large", event: `{"x":"` + strings.Repeat("a", MaxEventBytes) + `"}`, wantErr: "at most"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Decode([]byte(c.event))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != c.kind || got.IdempotencyKey() != c.key || got.Now != c.now {
				t.Errorf("got kind %s key %q now %q; want %s %q %q", got.Kind, got.IdempotencyKey(), got.Now, c.kind, c.key, c.now)
			}
		})
	}
}

func TestScheduleRetryKeepsKey(t *testing.T) {
	// Scheduler retries carry a new id but the same scheduled time.
	a, _ := Decode([]byte(`{"id":"a","detail-type":"Scheduled Event","source":"aws.scheduler","time":"2026-01-31T02:00:00Z","resources":["s"]}`))
	b, _ := Decode([]byte(`{"id":"b","detail-type":"Scheduled Event","source":"aws.scheduler","time":"2026-01-31T02:00:00Z","resources":["s"]}`))
	c, _ := Decode([]byte(`{"id":"c","detail-type":"Scheduled Event","source":"aws.scheduler","time":"2026-02-01T02:00:00Z","resources":["s"]}`))
	if a.IdempotencyKey() != b.IdempotencyKey() {
		t.Error("a retry of the same scheduled time must have the same key")
	}
	if a.IdempotencyKey() == c.IdempotencyKey() {
		t.Error("a new scheduled time must have a new key")
	}
	if !a.Time.Equal(time.Date(2026, 1, 31, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("time = %v", a.Time)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"id":"a","detail-type":"Scheduled Event","source":"aws.scheduler","time":"2026-01-31T02:00:00Z","resources":["s"],"detail":{"now":"x"}}`))
	f.Add([]byte(`{"version":"2.0","routeKey":"GET /","requestContext":{"requestId":"r"}}`))
	f.Add([]byte(`{"action":"x","now":"2026-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := Decode(b)
		if err == nil {
			_ = tr.IdempotencyKey()
		}
	})
}

// Options is the object of options whatever the trigger: the payload of a
// direct invocation, or a detail Scheduler sent as a string.
func TestOptions(t *testing.T) {
	cases := []struct {
		name    string
		t       Trigger
		want    string
		wantErr string
	}{
		{"direct payload", Trigger{Kind: Direct, Payload: []byte(`{"dryRun":true}`)}, `{"dryRun":true}`, ""},
		{"scheduler's default detail", Trigger{Kind: Schedule, Detail: []byte(`"{}"`)}, "", ""},
		{"scheduler's input as a string", Trigger{Kind: Schedule, Detail: []byte(`"{\"dryRun\":true}"`)}, `{"dryRun":true}`, ""},
		{"a rule's object", Trigger{Kind: Schedule, Detail: []byte(` {"dryRun":true} `)}, `{"dryRun":true}`, ""},
		{"no detail", Trigger{Kind: Event}, "", ""},
		{"null detail", Trigger{Kind: Event, Detail: []byte(`null`)}, "", ""},
		{"an array", Trigger{Kind: Event, Detail: []byte(`[1]`)}, "", `field "detail": must be a JSON object of options`},
		{"a string of a number", Trigger{Kind: Schedule, Detail: []byte(`"7"`)}, "", `field "detail": must be a JSON object of options`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.t.Options()
			if c.wantErr != "" {
				if err == nil || err.Error() != c.wantErr {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || string(got) != c.want {
				t.Fatalf("Options() = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
