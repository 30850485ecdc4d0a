package cleanup

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws-commander/commander/shared/batch"
	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"golang.org/x/sync/errgroup"
)

// CloudWatchAPI is the slice of CloudWatch the cleanup job calls.
type CloudWatchAPI interface {
	cloudwatch.DescribeAlarmsAPIClient
	cloudwatch.GetMetricDataAPIClient // the metric filter (metrics.go)
	ListTagsForResource(ctx context.Context, in *cloudwatch.ListTagsForResourceInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.ListTagsForResourceOutput, error)
	TagResource(ctx context.Context, in *cloudwatch.TagResourceInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.TagResourceOutput, error)
	UntagResource(ctx context.Context, in *cloudwatch.UntagResourceInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.UntagResourceOutput, error)
	DeleteAlarms(ctx context.Context, in *cloudwatch.DeleteAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DeleteAlarmsOutput, error)
}

// alarmBatch is DeleteAlarms' limit of names per call.
const alarmBatch = 100

func listAlarms(ctx context.Context, _ *run, c Clients, region string, _ []policy.Policy, yield func(plan.Resource)) error {
	// All metric alarms: StateValue takes one state, and marked alarms in
	// any state must be seen to lose their marks when they stop matching.
	p := cloudwatch.NewDescribeAlarmsPaginator(c.CloudWatch, &cloudwatch.DescribeAlarmsInput{
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}, MaxRecords: aws.Int32(100),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe alarms: %w", err)
		}
		if err := alarmPage(ctx, c, region, page.MetricAlarms, yield); err != nil {
			return err
		}
	}
	return nil
}

// alarmPage reads one page's tags (one call per alarm, bounded) and whether
// each alarm's instance still exists (a few calls per page).
func alarmPage(ctx context.Context, c Clients, region string, alarms []cwtypes.MetricAlarm, yield func(plan.Resource)) error {
	tagsOf := make([]map[string]string, len(alarms))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, a := range alarms {
		g.Go(func() error {
			out, err := c.CloudWatch.ListTagsForResource(gctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: a.AlarmArn})
			if err != nil {
				return fmt.Errorf("list tags of alarm %s: %w", aws.ToString(a.AlarmName), err)
			}
			m := map[string]string{}
			for _, t := range out.Tags {
				m[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			tagsOf[i] = m
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var instances []string
	for _, a := range alarms {
		if id := alarmInstance(a); id != "" && !slices.Contains(instances, id) {
			instances = append(instances, id)
		}
	}
	live := map[string]bool{}
	for batch := range slices.Chunk(instances, volumeFilterBatch) {
		p := ec2.NewDescribeInstancesPaginator(c.EC2, &ec2.DescribeInstancesInput{Filters: []types.Filter{
			filter("instance-id", batch...), filter("instance-state-name", liveInstanceStates...),
		}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("describe alarm instances: %w", err)
			}
			for _, r := range page.Reservations {
				for _, in := range r.Instances {
					live[aws.ToString(in.InstanceId)] = true
				}
			}
		}
	}
	for i, a := range alarms {
		r := plan.Resource{
			Type: policy.CloudWatchAlarm, ID: aws.ToString(a.AlarmName), ARN: aws.ToString(a.AlarmArn), Region: region,
			Name: aws.ToString(a.AlarmName), State: string(a.StateValue), StateSince: aws.ToTime(a.StateUpdatedTimestamp),
			Created: aws.ToTime(a.AlarmConfigurationUpdatedTimestamp), Tags: tagsOf[i],
		}
		if id := alarmInstance(a); id != "" {
			gone := !live[id]
			r.Gone = &gone
		}
		yield(r)
	}
	return nil
}

// alarmInstance is the instance an alarm watches (its InstanceId dimension).
func alarmInstance(a cwtypes.MetricAlarm) string {
	for _, d := range a.Dimensions {
		if aws.ToString(d.Name) == "InstanceId" {
			return aws.ToString(d.Value)
		}
	}
	return ""
}

func actAlarms(ctx context.Context, r *run, c Clients, p policy.Policy, items []item) {
	for chunk := range slices.Chunk(items, alarmBatch) {
		errs := batch.PerID(ids(chunk), func(names []string) error {
			_, err := c.CloudWatch.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: names})
			return err
		})
		for _, it := range chunk {
			if err := errs[it.res.ID]; err != nil {
				r.add(failed(it, p.Action, fmt.Errorf("delete alarm: %w", err)))
				continue
			}
			r.add(decision(it, p.Action, report.Done, it.dec.Reason))
		}
	}
}
