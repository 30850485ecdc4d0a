package cleanup

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// A live run that marks emits "Commander Cleanup Planned" with the marked
// resources, and every run emits "Commander Cleanup Completed". moto never
// runs patterns through TestEventPattern, so a rule on a custom bus feeds
// a queue, and the test reads the queue.
func TestAuditEvents(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	eb, q := eventbridge.NewFromConfig(f.cfg), sqs.NewFromConfig(f.cfg)
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("commander-audit")}); err != nil {
		t.Fatal(err)
	}
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("audit")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: queue.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	pattern := `{"source":["commander"],"detail-type":["` + events.CleanupPlanned + `","` + events.CleanupCompleted + `"]}`
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("audit"), EventBusName: aws.String("commander-audit"), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("audit"), EventBusName: aws.String("commander-audit"),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(attrs.Attributes["QueueArn"])}}}); err != nil {
		t.Fatal(err)
	}
	addr := f.address(nil)
	j := f.job(everything, map[string]string{"COMMANDER_EVENT_BUS": "commander-audit"})
	f.run(j, time.Now().UTC(), "")

	got := map[string]map[string]any{}
	for range 5 {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			var ev struct {
				DetailType string         `json:"detail-type"`
				Detail     map[string]any `json:"detail"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
				t.Fatalf("message: %v %s", err, aws.ToString(m.Body))
			}
			got[ev.DetailType] = ev.Detail
		}
		if len(got) == 2 {
			break
		}
	}
	planned, ok := got[events.CleanupPlanned]
	if !ok {
		t.Fatalf("no %q event; got %v", events.CleanupPlanned, got)
	}
	if b, _ := json.Marshal(planned); !strings.Contains(string(b), addr) || planned["marked"] != float64(1) {
		t.Errorf("planned detail = %s", b)
	}
	done, ok := got[events.CleanupCompleted]
	if !ok || done["status"] != "ok" || done["dryRun"] != false {
		t.Errorf("completed detail = %v", done)
	}
}
