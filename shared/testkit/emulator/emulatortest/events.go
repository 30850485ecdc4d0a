package emulatortest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Event is an EventBridge event as a rule delivered it.
type Event struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
}

// Rule is an EventBridge rule in moto whose target is an SQS queue: the way
// to see which events a pattern matches and what reached a bus, since moto's
// TestEventPattern is a stub that never matches.
type Rule struct {
	sqs *sqs.Client
	url *string
}

// NewRule creates bus (unless "default"), a queue, and a rule on bus with
// pattern that sends what it matches to the queue.
func NewRule(t testing.TB, cfg aws.Config, bus, pattern string) *Rule {
	t.Helper()
	ctx := context.Background()
	eb, q := eventbridgeclient.New(cfg), sqs.NewFromConfig(cfg)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("event rule: %s: %v", what, err)
		}
	}
	if bus != "default" {
		_, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)})
		must("create bus "+bus, err)
	}
	name := strings.NewReplacer("/", "-", ":", "-").Replace(bus) + "-capture"
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	must("create queue", err)
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: queue.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	must("queue arn", err)
	_, err = eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: aws.String(bus), EventPattern: aws.String(pattern)})
	must("put rule", err)
	_, err = eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes["QueueArn"])}}})
	must("put targets", err)
	return &Rule{sqs: q, url: queue.QueueUrl}
}

// Receive returns the events delivered since the last call, polling a few
// times until at least want have arrived (want 0: one look). Each is
// removed from the queue.
func (r *Rule) Receive(t testing.TB, want int) []Event {
	t.Helper()
	ctx := context.Background()
	var got []Event
	in := &sqs.ReceiveMessageInput{QueueUrl: r.url, MaxNumberOfMessages: 10}
	if want > 0 {
		in.WaitTimeSeconds = 1 // answers at once when there is something
	}
	for range 5 {
		out, err := r.sqs.ReceiveMessage(ctx, in)
		if err != nil {
			t.Fatalf("receive events: %v", err)
		}
		for _, m := range out.Messages {
			var e Event
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &e); err != nil {
				t.Fatalf("delivered event is not JSON: %v: %s", err, aws.ToString(m.Body))
			}
			got = append(got, e)
			if _, err := r.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: r.url, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatalf("delete message: %v", err)
			}
		}
		if len(got) >= want {
			break
		}
	}
	return got
}
