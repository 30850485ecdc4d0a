package cleanup

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/batch"
	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tagger"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

var liveInstanceStates = []string{"pending", "running", "stopping", "stopped"}

// stopTimeRE reads the time out of "User initiated (2026-01-31 02:00:00 GMT)".
var stopTimeRE = regexp.MustCompile(`\((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (GMT|UTC)\)`)

// StoppedAt is when an instance stopped, from its state transition reason
// (zero when the reason carries no time).
func StoppedAt(reason string) time.Time {
	m := stopTimeRE.FindStringSubmatch(reason)
	if m == nil {
		return time.Time{}
	}
	t, err := time.Parse("2006-01-02 15:04:05", m[1])
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

func listInstances(ctx context.Context, _ *run, c Clients, region string, pols []policy.Policy, yield func(plan.Resource)) error {
	api := c.EC2
	match, rest := narrow(pols, liveInstanceStates)
	queries := [][]types.Filter{{filter("instance-state-name", match...)}}
	if len(rest) > 0 {
		queries = append(queries, []types.Filter{filter("instance-state-name", rest...), filter("tag-key", tags.CleanupAction)})
	}
	for _, q := range queries {
		p := ec2.NewDescribeInstancesPaginator(api, &ec2.DescribeInstancesInput{Filters: q, MaxResults: aws.Int32(1000)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("describe instances: %w", err)
			}
			for _, res := range page.Reservations {
				for _, in := range res.Instances {
					tg := tags.EC2(in.Tags)
					r := plan.Resource{
						Type: policy.EC2Instance, ID: aws.ToString(in.InstanceId), Region: region, Name: tg["Name"],
						ARN:     tagger.EC2ARN(region, aws.ToString(res.OwnerId), "instance", aws.ToString(in.InstanceId)),
						Created: aws.ToTime(in.LaunchTime), Tags: tg, Billing: plan.Billing{Type: string(in.InstanceType)},
					}
					if in.State != nil {
						r.State = string(in.State.Name)
					}
					if r.State == "stopped" {
						r.StoppedAt = StoppedAt(aws.ToString(in.StateTransitionReason))
					}
					yield(r)
				}
			}
		}
	}
	return nil
}

// protection names the instance attribute that refuses action.
func protection(action string) string {
	if action == "stop" {
		return "stop protection (disableApiStop)"
	}
	return "termination protection (disableApiTermination)"
}

// terminateBatch is how many instances one TerminateInstances call names
// (AWS documents "up to 1000 instance IDs"). StopInstances documents no
// limit, and some EC2 instance-id lists stop at 100 (DescribeInstanceStatus),
// so stopBatch stays at 100: an oversized batch rejected by AWS would fall
// back to smaller and smaller batches (batch.PerID), worse than a few more batches.
const (
	terminateBatch = 1000
	stopBatch      = 100
)

func actInstances(ctx context.Context, r *run, c Clients, p policy.Policy, items []item) {
	api := c.EC2
	size := terminateBatch
	if p.Action == "stop" {
		size = stopBatch
	}
	for chunk := range slices.Chunk(items, size) {
		errs := batch.PerID(ids(chunk), func(list []string) error {
			var err error
			if p.Action == "stop" {
				_, err = api.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: list})
			} else {
				_, err = api.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: list})
			}
			return err
		})
		for _, it := range chunk {
			err := errs[it.res.ID]
			switch {
			case err == nil:
				r.add(decision(it, p.Action, report.Done, it.dec.Reason))
			case awserr.Describe(err).Code == "OperationNotPermitted":
				// The owner's own protection, learned from the batch (split
				// down to the ids AWS refused) rather than read per instance.
				r.add(decision(it, p.Action, report.Skipped, "protected: "+protection(p.Action)+" is on; would match policy "+p.Name))
			default:
				r.add(failed(it, p.Action, fmt.Errorf("%s: %w", p.Action, err)))
			}
		}
	}
}
