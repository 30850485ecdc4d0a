package scheduler

import (
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/trigger"
)

// The scheduler's request: its options from a direct invocation or a
// schedule's detail, refused with the field named otherwise.
func TestDecodeRequest(t *testing.T) {
	cases := []struct {
		name, event string
		wantErr     string // a part of the error; empty: accepted
		dryRun      bool
		key         string
	}{
		{"direct dry run", `{"dryRun":true,"runId":"r-1"}`, "", true, "direct:r-1"},
		{"scheduler's default detail", `{"version":"0","id":"e1","detail-type":"Scheduled Event","source":"aws.scheduler","account":"1","time":"2026-12-07T07:05:00Z","region":"us-east-1","resources":["arn:s"],"detail":"{}"}`, "", false, "arn:s@2026-12-07T07:05:00Z"},
		{"a rule's detail with options", `{"version":"0","id":"e1","detail-type":"Scheduled Event","source":"aws.events","account":"1","time":"2026-12-07T07:05:00Z","region":"us-east-1","resources":["arn:r"],"detail":{"dryRun":true}}`, "", true, "arn:r@2026-12-07T07:05:00Z"},
		{"unknown field", `{"dryRunn":true}`, `scheduler request: unknown field "dryRunn": accepts {"dryRun"`, false, ""},
		{"wrong type", `{"dryRun":"yes"}`, `field "dryRun" is a JSON string`, false, ""},
		{"run id with a space", `{"runId":"a b"}`, `field "runId" = "a b": accepts 1 to 128 printable ASCII characters`, false, ""},
		{"an alarm event", `{"version":"0","id":"e1","detail-type":"CloudWatch Alarm State Change","source":"aws.cloudwatch","account":"1","time":"2026-12-07T07:05:00Z","region":"us-east-1","resources":[],"detail":{}}`, "a event trigger is not accepted", false, ""},
		{"an HTTP request", `{"version":"2.0","routeKey":"POST /jobs/scheduler","requestContext":{"requestId":"x"}}`, "scheduler does not serve HTTP requests", false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, err := trigger.Decode([]byte(c.event))
			if err != nil {
				t.Fatal(err)
			}
			req, err := DecodeRequest(tr)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.AsksDryRun() != c.dryRun || req.Key(tr.Time) != c.key {
				t.Errorf("dryRun %v key %q, want %v %q", req.AsksDryRun(), req.Key(tr.Time), c.dryRun, c.key)
			}
		})
	}
}
