package inventory_test

import (
	"fmt"
	"testing"

	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The scheduled instances: listed with the scheduler's filters in exact
// pages, stopped and started in batches, tagged a thousand at a time; the
// rest of the estate is the one seeded without them.
func TestScheduledInstancesStopStartAndTag(t *testing.T) {
	const n = 2500
	srv, c, _, ctx, counter := start(t, inventory.Spec{Instances: 8, Volumes: 20, Scheduled: n})
	list := func(state ...string) ([]ec2types.Instance, int) {
		t.Helper()
		var out []ec2types.Instance
		pages := 0
		p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000), Filters: []ec2types.Filter{
			{Name: aws.String("tag-key"), Values: []string{tags.Schedule}},
			{Name: aws.String("instance-state-name"), Values: state}}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, r := range page.Reservations {
				out = append(out, r.Instances...)
			}
		}
		return out, pages
	}
	got, pages := list("pending", "running", "stopping", "stopped")
	if len(got) != n || pages != 3 {
		t.Fatalf("listed %d scheduled instances in %d pages, want %d in 3", len(got), pages, n)
	}
	ids := make([]string, n)
	for k, in := range got {
		ids[k] = aws.ToString(in.InstanceId)
		v, _ := tagValue(in.Tags, tags.Schedule)
		name, _ := tagValue(in.Tags, "Name")
		if in.State.Name != ec2types.InstanceStateNameRunning || in.InstanceType != ec2types.InstanceTypeT3Micro || v != inventory.DefaultSchedule ||
			name != fmt.Sprintf("bench-sched-%06d", k) || len(in.BlockDeviceMappings) != 1 {
			t.Fatalf("scheduled instance %d: %s %s schedule=%q name=%q volumes=%d", k, in.State.Name, in.InstanceType, v, name, len(in.BlockDeviceMappings))
		}
	}
	// The estate's own instances are unchanged: t2.micro, not on a schedule.
	all, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("instance-type"), Values: []string{"t2.micro"}}}})
	if err != nil || len(all.Reservations) != 8 {
		t.Fatalf("t2.micro instances: %d, %v; want the 8 of the estate", len(all.Reservations), err)
	}
	vols, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{{Name: aws.String("tag:Name"), Values: []string{"bench-sched-vol-*"}}}})
	if err != nil || len(vols.Volumes) != n || vols.Volumes[0].Attachments[0].InstanceId == nil {
		t.Fatalf("scheduled root volumes: %d, %v", len(vols.Volumes), err)
	}

	srv.Reset()
	for k := 0; k < n; k += 100 {
		out, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: ids[k:min(k+100, n)]})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.StoppingInstances {
			if s.PreviousState.Name != ec2types.InstanceStateNameRunning || s.CurrentState.Name != ec2types.InstanceStateNameStopping {
				t.Fatalf("stop answered %s→%s", s.PreviousState.Name, s.CurrentState.Name)
			}
		}
	}
	for k := 0; k < n; k += 1000 {
		if _, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids[k:min(k+1000, n)],
			Tags: []ec2types.Tag{{Key: aws.String(tags.ScheduleState), Value: aws.String("stopped@2026-12-04T18:00:00Z")}}}); err != nil {
			t.Fatal(err)
		}
	}
	if calls := srv.Calls(); calls["EC2.StopInstances"] != 25 || calls["EC2.CreateTags"] != 3 {
		t.Errorf("calls %v, want 25 StopInstances and 3 CreateTags", calls)
	}
	stopped, _ := list("stopped")
	if len(stopped) != n {
		t.Fatalf("%d stopped, want %d", len(stopped), n)
	}
	for _, in := range stopped {
		if v, _ := tagValue(in.Tags, tags.ScheduleState); v != "stopped@2026-12-04T18:00:00Z" || aws.ToString(in.StateTransitionReason) == "" {
			t.Fatalf("%s: schedule-state %q, reason %q", aws.ToString(in.InstanceId), v, aws.ToString(in.StateTransitionReason))
		}
	}

	// Start: stopped → pending (stored running); running → running/running.
	out, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: ids[:2]})
	if err != nil || len(out.StartingInstances) != 2 {
		t.Fatalf("start: %v %v", out, err)
	}
	for _, s := range out.StartingInstances {
		if s.PreviousState.Name != ec2types.InstanceStateNameStopped || s.CurrentState.Name != ec2types.InstanceStateNamePending ||
			aws.ToInt32(s.CurrentState.Code) != 0 || aws.ToInt32(s.PreviousState.Code) != 80 {
			t.Errorf("start answered %+v → %+v", *s.PreviousState, *s.CurrentState)
		}
	}
	again, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: ids[:1]})
	if err != nil || again.StartingInstances[0].CurrentState.Name != ec2types.InstanceStateNameRunning || again.StartingInstances[0].PreviousState.Name != ec2types.InstanceStateNameRunning {
		t.Errorf("start a running instance: %+v %v", again, err)
	}
	running, _ := list("running")
	if len(running) != 2 || aws.ToString(running[0].StateTransitionReason) != "" {
		t.Errorf("running after start: %d (want 2), reason %q", len(running), aws.ToString(running[0].StateTransitionReason))
	}
	if _, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: ids[2:3], DryRun: aws.Bool(true)}); code(err) != "DryRunOperation" {
		t.Errorf("dry-run start: %v", err)
	}
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids[3:4]}); err != nil {
		t.Fatal(err)
	}
	// One terminated id refuses the whole call: nothing else starts.
	if _, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: ids[2:4]}); code(err) != "IncorrectInstanceState" {
		t.Errorf("start a terminated instance: %v, want IncorrectInstanceState", err)
	}
	if running, _ := list("running"); len(running) != 2 {
		t.Errorf("a refused start changed something: %d running", len(running))
	}
	if _, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}}); code(err) != "InvalidInstanceID.NotFound" {
		t.Errorf("start an unknown instance: %v", err)
	}
	if counter.Calls()["EC2.StartInstances"] != 5 {
		t.Errorf("StartInstances counted %d, want 5", counter.Calls()["EC2.StartInstances"])
	}
}

func TestScheduledSpecValidation(t *testing.T) {
	if err := (inventory.Spec{Scheduled: -1}).Validate(); err == nil || err.Error() != "inventory spec: Scheduled=-1 is invalid: accepts 0 to 50000000" {
		t.Errorf("Scheduled=-1: %v", err)
	}
	long := make([]byte, 257)
	for i := range long {
		long[i] = 'a'
	}
	if err := (inventory.Spec{Scheduled: 1, Schedule: string(long)}).Validate(); err == nil {
		t.Error("a 257-character schedule was accepted")
	}
}
