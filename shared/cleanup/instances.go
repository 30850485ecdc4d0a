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
	"golang.org/x/sync/errgroup"
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

// guardInstances drops instances whose termination (or stop) protection is
// on for the action planned: AWS would refuse the call, and the owner has
// said plainly that the instance must stay.
func guardInstances(ctx context.Context, r *run, c Clients, items []item) []item {
	api := c.EC2
	keep := make([]bool, len(items))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(r.job.Settings.Concurrency)
	for i, it := range items {
		attr, label := types.InstanceAttributeNameDisableApiTermination, "termination protection (disableApiTermination)"
		if it.dec.Action == "stop" {
			attr, label = types.InstanceAttributeNameDisableApiStop, "stop protection (disableApiStop)"
		}
		g.Go(func() error {
			out, err := api.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: aws.String(it.res.ID), Attribute: attr})
			switch {
			case awserr.Is(err, awserr.NotFound) && it.dec.Step == plan.Mark:
				r.add(decision(it, "mark", report.Skipped, "instance no longer exists"))
			case awserr.Is(err, awserr.NotFound):
				r.add(decision(it, it.dec.Action, report.Done, "instance no longer exists"))
			case err != nil:
				r.add(failed(it, it.dec.Action, fmt.Errorf("describe instance attribute %s: %w", attr, err)))
			case attr == types.InstanceAttributeNameDisableApiTermination && out.DisableApiTermination != nil && aws.ToBool(out.DisableApiTermination.Value),
				attr == types.InstanceAttributeNameDisableApiStop && out.DisableApiStop != nil && aws.ToBool(out.DisableApiStop.Value):
				r.add(decision(it, it.dec.Action, report.Skipped, "protected: "+label+" is on; would match policy "+it.dec.Policy))
			default:
				keep[i] = true
			}
			return nil
		})
	}
	_ = g.Wait() // every error is reported per instance
	var out []item
	for i, it := range items {
		if keep[i] {
			out = append(out, it)
		}
	}
	return out
}

// terminateBatch is how many instances one TerminateInstances call names
// (AWS documents "up to 1000 instance IDs"). StopInstances documents no
// limit, and some EC2 instance-id lists stop at 100 (DescribeInstanceStatus),
// so stopBatch stays at 100: an oversized batch rejected by AWS would fall
// back to one call per instance (batch.PerID), far worse than a few more batches.
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
			if err := errs[it.res.ID]; err != nil {
				r.add(failed(it, p.Action, fmt.Errorf("%s: %w", p.Action, err)))
				continue
			}
			r.add(decision(it, p.Action, report.Done, it.dec.Reason))
		}
	}
}
