package alarm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/alarm/alarmevent"
	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// act carries out one step. It returns the outcome, a note for the report,
// and the error of a failed call. In dry-run, EC2 actions are sent with
// DryRun so that EC2 confirms the permission and the target; nothing else
// is called.
func (h *Handler) act(ctx context.Context, c Clients, ev alarmevent.Event, st Step, dryRun bool, now time.Time) (string, string, error) {
	var (
		note string
		err  error
	)
	id := []string{st.ID}
	probe := aws.Bool(dryRun)
	switch st.Action {
	case Notify:
		if dryRun {
			return report.Planned, "dry-run", nil
		}
		return report.Done, "", nil
	case Stop:
		_, err = c.EC2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: id, DryRun: probe})
	case Start:
		_, err = c.EC2.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: id, DryRun: probe})
	case Reboot:
		_, err = c.EC2.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: id, DryRun: probe})
	case Terminate:
		_, err = c.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: id, DryRun: probe})
	case Snapshot:
		note, err = snapshot(ctx, c.EC2, st, ev, now, dryRun)
	case Throttle:
		if dryRun {
			return report.Planned, "dry-run: reserved concurrency would be set to 0", nil
		}
		_, err = c.Lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
			FunctionName: aws.String(st.ID), ReservedConcurrentExecutions: aws.Int32(0),
		})
		note = "reserved concurrency set to 0"
	case Unthrottle:
		if dryRun {
			return report.Planned, "dry-run: reserved concurrency would be removed", nil
		}
		_, err = c.Lambda.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String(st.ID)})
		note = "reserved concurrency removed"
	default:
		return report.Failed, "", fmt.Errorf("action %q has no implementation", st.Action)
	}
	switch {
	case dryRun && awserr.Is(err, awserr.DryRunOK):
		return report.Planned, "dry-run: EC2 confirmed the call would succeed", nil
	case dryRun && err == nil:
		return report.Failed, "", fmt.Errorf("%s %s: EC2 did not answer the dry-run", st.Action, st.ID)
	case err == nil:
		return report.Done, note, nil
	case awserr.Is(err, awserr.NotFound):
		// Gone between lookup and action: nothing left to do, and no retry will change that.
		return report.Skipped, "target gone: " + awserr.Explain(err), nil
	default:
		return report.Failed, "", fmt.Errorf("%s %s: %w", st.Action, st.ID, err)
	}
}

// snapshot takes the reaction's snapshots, tagged with the event id (the
// run key): CreateSnapshot(s) has no client token, so after a lost answer
// CreateOnce looks for what this event took of the target before trying
// again. A delivery of the event whose reaction was not remembered (it
// failed after the snapshot was taken) looks first: one narrow
// DescribeSnapshots, and what it finds is the reaction's.
func snapshot(ctx context.Context, api EC2API, st Step, ev alarmevent.Event, now time.Time, dryRun bool) (string, error) {
	tagMap := tags.Managed(truncate("alarm "+ev.AlarmName, maxTagValue), now)
	tagMap[tags.RunKey] = truncate(ev.ID, maxTagValue)
	tagMap[AlarmTag] = truncate(ev.AlarmName, maxTagValue)
	source := ec2client.Filter("volume-id", st.ID)
	if st.Kind != Volume {
		tagMap[tags.SourceInstance] = st.ID
		source = ec2client.Filter("tag:"+tags.SourceInstance, st.ID)
	}
	var list []ec2types.Tag
	for k, v := range tagMap {
		list = append(list, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	spec := []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSnapshot, Tags: list}}
	desc := truncate(fmt.Sprintf("commander: alarm %s went %s (event %s)", ev.AlarmName, ev.State.Value, ev.ID), 255)
	find := func(ctx context.Context) ([]string, bool, error) {
		l, err := ec2client.FindSnapshots(ctx, api, ec2client.Filter("tag:"+tags.RunKey, tagMap[tags.RunKey]), source)
		var ids []string
		for _, s := range l {
			ids = append(ids, aws.ToString(s.SnapshotId))
		}
		return ids, len(ids) > 0, err
	}
	if !dryRun {
		ids, found, err := find(ctx)
		if err != nil {
			return "", fmt.Errorf("look for an earlier delivery's snapshots: %w", err)
		}
		if found {
			return "snapshots " + strings.Join(ids, ", ") + " (taken by an earlier delivery of this event)", nil
		}
	}
	if st.Kind == Volume {
		ids, err := awsclient.CreateOnce(ctx, func(ctx context.Context) ([]string, error) {
			out, err := api.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: aws.String(st.ID), Description: aws.String(desc), TagSpecifications: spec, DryRun: aws.Bool(dryRun)},
				ec2client.NoBlindRetry)
			if err != nil {
				return nil, err
			}
			return []string{aws.ToString(out.SnapshotId)}, nil
		}, find)
		if err != nil {
			return "", err
		}
		return "snapshot " + strings.Join(ids, ", "), nil
	}
	ids, err := awsclient.CreateOnce(ctx, func(ctx context.Context) ([]string, error) {
		out, err := api.CreateSnapshots(ctx, &ec2.CreateSnapshotsInput{
			InstanceSpecification: &ec2types.InstanceSpecification{InstanceId: aws.String(st.ID), ExcludeBootVolume: aws.Bool(false)},
			Description:           aws.String(desc), TagSpecifications: spec, DryRun: aws.Bool(dryRun),
		}, ec2client.NoBlindRetry)
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, s := range out.Snapshots {
			ids = append(ids, aws.ToString(s.SnapshotId))
		}
		return ids, nil
	}, find)
	if err != nil {
		return "", err
	}
	return "snapshots " + strings.Join(ids, ", "), nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// remember writes the reaction on the target (or the alarm, when there is
// no target), for idempotency and the cooldown: there is no database.
func (h *Handler) remember(ctx context.Context, c Clients, st Step, ev alarmevent.Event, now time.Time) error {
	v := ReactedValue(ev.AlarmName, now, ev.ID)
	var err error
	switch st.Kind {
	case Instance, Volume:
		_, err = c.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{st.ID}, Tags: []ec2types.Tag{{Key: aws.String(ReactedTag), Value: aws.String(v)}}})
	case Function:
		_, err = c.Lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(st.ARN), Tags: map[string]string{ReactedTag: v}})
	case AlarmRes:
		_, err = c.CloudWatch.TagResource(ctx, &cloudwatch.TagResourceInput{ResourceARN: aws.String(st.ARN), Tags: []cwtypes.Tag{{Key: aws.String(ReactedTag), Value: aws.String(v)}}})
	}
	if err != nil {
		return fmt.Errorf("tag %s %s with %s: %w", st.Kind, st.ID, ReactedTag, err)
	}
	return nil
}
