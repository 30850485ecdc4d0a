package ec2cmd

import (
	"context"
	"fmt"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/cwcmd"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// guarded fetches the instance and refuses it when protected.
func (d Deps) guarded(ctx context.Context, id string) (types.Instance, error) {
	i, err := d.get(ctx, id)
	if err != nil {
		return i, err
	}
	return i, d.protected("instance "+id, i.Tags)
}

// dry answers an EC2 DryRun call: DryRunOperation means it would succeed.
func dry(call string, in any, err error) (any, error) {
	if awserr.Is(err, awserr.DryRunOK) {
		return api.Plan{WouldCall: []api.Step{{Call: call, Input: in}}, Note: "EC2 DryRun: the call would succeed"}, nil
	}
	if err == nil {
		return nil, fmt.Errorf("%s: EC2 answered a DryRun call without DryRunOperation", call)
	}
	return nil, err
}

func stateChange(id string, prev, cur *types.InstanceState) map[string]string {
	out := map[string]string{"instanceId": id}
	if prev != nil {
		out["previousState"] = string(prev.Name)
	}
	if cur != nil {
		out["state"] = string(cur.Name)
	}
	return out
}

func (d Deps) start(ctx context.Context, c *api.Call) (any, error) {
	id := c.Params.Str("id")
	in := &ec2.StartInstancesInput{InstanceIds: []string{id}, DryRun: aws.Bool(c.DryRun)}
	out, err := d.EC2.StartInstances(ctx, in)
	if c.DryRun {
		return dry("EC2.StartInstances", in, err)
	}
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", id, err)
	}
	for _, s := range out.StartingInstances {
		return stateChange(id, s.PreviousState, s.CurrentState), nil
	}
	return map[string]string{"instanceId": id}, nil
}

func (d Deps) stop(ctx context.Context, c *api.Call) (any, error) {
	id := c.Params.Str("id")
	if _, err := d.guarded(ctx, id); err != nil {
		return nil, err
	}
	in := &ec2.StopInstancesInput{InstanceIds: []string{id}, Force: aws.Bool(c.Params.Bool("force")), DryRun: aws.Bool(c.DryRun)}
	out, err := d.EC2.StopInstances(ctx, in)
	if c.DryRun {
		return dry("EC2.StopInstances", in, err)
	}
	if err != nil {
		return nil, fmt.Errorf("stop %s: %w", id, err)
	}
	for _, s := range out.StoppingInstances {
		return stateChange(id, s.PreviousState, s.CurrentState), nil
	}
	return map[string]string{"instanceId": id}, nil
}

func (d Deps) reboot(ctx context.Context, c *api.Call) (any, error) {
	id := c.Params.Str("id")
	if _, err := d.guarded(ctx, id); err != nil {
		return nil, err
	}
	in := &ec2.RebootInstancesInput{InstanceIds: []string{id}, DryRun: aws.Bool(c.DryRun)}
	_, err := d.EC2.RebootInstances(ctx, in)
	if c.DryRun {
		return dry("EC2.RebootInstances", in, err)
	}
	if err != nil {
		return nil, fmt.Errorf("reboot %s: %w", id, err)
	}
	return map[string]string{"instanceId": id, "rebooting": "true"}, nil
}

func (d Deps) terminate(ctx context.Context, c *api.Call) (any, error) {
	id := c.Params.Str("id")
	if _, err := d.guarded(ctx, id); err != nil {
		return nil, err
	}
	in := &ec2.TerminateInstancesInput{InstanceIds: []string{id}, DryRun: aws.Bool(c.DryRun)}
	out, err := d.EC2.TerminateInstances(ctx, in)
	if c.DryRun {
		return dry("EC2.TerminateInstances", in, err)
	}
	if err != nil {
		return nil, fmt.Errorf("terminate %s: %w", id, err)
	}
	res := map[string]any{"instanceId": id}
	for _, s := range out.TerminatingInstances {
		res = map[string]any{"instanceId": id, "previousState": string(s.PreviousState.Name), "state": string(s.CurrentState.Name)}
	}
	// The alarm of a terminated instance would sit in INSUFFICIENT_DATA
	// forever; a protected one is left as it is.
	alarm := cwcmd.CPUAlarmName(id)
	if p, err := cwcmd.FirstProtected(ctx, d.CW, []string{alarm}, d.Settings.ProtectTag); err != nil || p != "" {
		if err != nil {
			res["warning"] = fmt.Sprintf("instance terminated; its alarm %s was not deleted: %s", alarm, api.FromError(err).Message)
		} else {
			res["alarmKept"] = alarm + ": protected"
		}
		return res, nil
	}
	if _, err := d.CW.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{cwcmd.CPUAlarmName(id)}}); awserr.IgnoreNotFound(err) != nil {
		res["warning"] = fmt.Sprintf("instance terminated; its alarm %s was not deleted: %s", cwcmd.CPUAlarmName(id), api.FromError(err).Message)
	} else {
		res["alarmDeleted"] = cwcmd.CPUAlarmName(id)
	}
	return res, nil
}
