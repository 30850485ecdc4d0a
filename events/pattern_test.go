package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

// envelope is the part of a sample EventBridge would take in PutEvents.
type envelope struct {
	Source     *string         `json:"source"`
	DetailType *string         `json:"detail-type"`
	Time       string          `json:"time"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// The alarm rule's pattern, as the stack deploys it, is checked by moto's own
// EventBridge matcher (TestEventPattern is a stub there): a rule on a custom
// bus sends matches to SQS, every sample under samples/*/ is put on the bus,
// and only the alarm samples arrive. Samples of other functions are read
// from whatever exists, so new ones are covered as they are added.
func TestAlarmPatternMatchesAlarmSamplesOnly(t *testing.T) {
	cfg := emulatortest.Config(t)
	ctx := context.Background()
	eb := eventbridgeclient.New(cfg)
	pattern, err := events.AlarmStateChange.JSON()
	if err != nil {
		t.Fatal(err)
	}
	const bus = "pattern-test"
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	rule := emulatortest.NewRule(t, cfg, bus, pattern)

	dirs, err := os.ReadDir("samples")
	must("read samples", err)
	matched := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		samples, err := events.Samples(d.Name())
		must("samples of "+d.Name(), err)
		for _, s := range samples {
			t.Run(d.Name()+"/"+s.Name, func(t *testing.T) {
				var e envelope
				if err := json.Unmarshal(s.Body, &e); err != nil {
					t.Fatalf("sample is not JSON: %v", err)
				}
				wantMatch := d.Name() == "alarm"
				if e.Source == nil || e.DetailType == nil {
					// A direct or HTTP invocation never travels on a bus, so no rule can match it.
					if wantMatch {
						t.Fatal("an alarm sample must be an EventBridge event")
					}
					t.Logf("not an EventBridge event (direct or HTTP invocation): cannot match")
					return
				}
				entry := ebtypes.PutEventsRequestEntry{EventBusName: aws.String(bus), Source: e.Source, DetailType: e.DetailType,
					Detail: aws.String(string(e.Detail)), Resources: e.Resources}
				if at, err := time.Parse(time.RFC3339, e.Time); err == nil {
					entry.Time = aws.Time(at)
				}
				out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry}})
				must("put event", err)
				if out.FailedEntryCount != 0 {
					t.Fatalf("event refused: %s %s", aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage))
				}
				want := 0
				if wantMatch {
					want = 1
				}
				got := rule.Receive(t, want)
				switch {
				case len(got) != want:
					t.Fatalf("%s sample delivered %d times, want %d: %+v", d.Name(), len(got), want, got)
				case wantMatch:
					matched++
					if !jsonEqual(t, got[0].Detail, e.Detail) {
						t.Errorf("delivered detail differs from the sample's:\n%s\n%s", got[0].Detail, e.Detail)
					}
				}
			})
		}
	}
	// Near misses: right source or right detail-type alone does not match.
	for _, miss := range []struct{ source, detailType string }{
		{"aws.cloudwatch", "CloudWatch Alarm Configuration Change"},
		{"commander", "CloudWatch Alarm State Change"},
	} {
		out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{EventBusName: aws.String(bus),
			Source: aws.String(miss.source), DetailType: aws.String(miss.detailType), Detail: aws.String(`{"alarmName":"x"}`)}}})
		must("put near miss", err)
		if out.FailedEntryCount != 0 {
			t.Fatalf("near miss refused: %+v", out.Entries)
		}
		if got := rule.Receive(t, 0); len(got) != 0 {
			t.Errorf("the alarm pattern matched %s/%s", miss.source, miss.detailType)
		}
	}
	if matched == 0 {
		t.Fatal("no alarm sample matched: the test proved nothing")
	}
}

func jsonEqual(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}
