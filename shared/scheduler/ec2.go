package scheduler

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/batch"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/runner"
	"github.com/aws-commander/commander/shared/tagger"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// EC2API is what the scheduler calls of EC2 (the tagger's CreateTags among them).
type EC2API interface {
	ec2.DescribeInstancesAPIClient
	StartInstances(ctx context.Context, in *ec2.StartInstancesInput, opts ...func(*ec2.Options)) (*ec2.StartInstancesOutput, error)
	StopInstances(ctx context.Context, in *ec2.StopInstancesInput, opts ...func(*ec2.Options)) (*ec2.StopInstancesOutput, error)
	tagger.EC2
}

// plan lists region's scheduled instances, page by page (only those with
// the tag, in a state a schedule can change), and plans each. inventory is
// how many were listed.
func (j *Job) plan(ctx context.Context, r Region, now time.Time) (steps []Step, inventory int, err error) {
	p := ec2.NewDescribeInstancesPaginator(r.EC2, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000), Filters: []types.Filter{
		{Name: aws.String("tag-key"), Values: []string{tags.Schedule}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}},
	}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, inventory, fmt.Errorf("describe instances: %w", err)
		}
		for _, res := range page.Reservations {
			for _, in := range res.Instances {
				inventory++
				i := Instance{ID: aws.ToString(in.InstanceId), Region: r.Name, Type: string(in.InstanceType), Tags: tags.EC2(in.Tags),
					ARN: tagger.EC2ARN(r.Name, aws.ToString(res.OwnerId), "instance", aws.ToString(in.InstanceId))}
				if in.State != nil {
					i.State = string(in.State.Name)
				}
				if st, ok := Plan(j.Schedules, i, now, j.Settings.ProtectTag); ok {
					steps = append(steps, st)
				}
			}
		}
	}
	return steps, inventory, nil
}

// stateBatch is how many instances one StartInstances or StopInstances call
// names: neither documents a limit, and some instance-id lists of EC2 stop
// at 100, so 100, as cleanup's stops (an oversized batch AWS refused would
// be split down to single ids).
const stateBatch = 100

// act guards and performs region's steps: each start or stop counts
// against the circuit breaker, then goes in batches; what was done (or
// was already so) is remembered in the instance's commander:schedule-state.
func (j *Job) act(ctx context.Context, rr *runner.Run, r Region, steps []Step, inventory int, sv *savings) {
	var starts, stops, remember []Step
	for _, s := range steps {
		switch {
		case s.Skip != "":
			rr.Report.Add(decision(s, report.Skipped, s.Skip))
		case s.Action == Record:
			remember = append(remember, s)
		case s.Action == Start:
			starts = append(starts, s)
		case s.Action == Stop:
			stops = append(stops, s)
		}
	}
	for _, group := range [][]Step{stops, starts} {
		if len(group) == 0 {
			continue
		}
		action := group[0].Action
		// Every instance on a schedule moves at once by design, so only the
		// breaker's count applies, not its share of the inventory.
		if err := rr.Ledger.Allow(Function+":"+action, r.Name, len(group), 0); err != nil {
			rr.Measure(report.MetricBreakerTrips, 1)
			rr.Report.PartialIn(r.Name, err.Error())
			for _, s := range group {
				rr.Report.Add(decision(s, report.Skipped, fmt.Sprintf("%v; %s", err, s.Reason)))
			}
			continue
		}
		remember = append(remember, j.change(ctx, rr, r, group, sv)...)
	}
	if len(remember) == 0 {
		return
	}
	if rr.DryRun {
		for _, s := range remember {
			if s.Action == Record {
				rr.Report.Add(decision(s, report.Planned, s.Reason))
			}
		}
		return
	}
	j.record(ctx, rr, r, remember)
}

// change starts or stops group (all one action) in batches and reports
// each; it answers the steps whose state is now to be remembered.
func (j *Job) change(ctx context.Context, rr *runner.Run, r Region, group []Step, sv *savings) []Step {
	var done []Step
	for chunk := range slices.Chunk(group, stateBatch) {
		var errs map[string]error
		if !rr.DryRun {
			errs = batch.PerID(instanceIDs(chunk), func(ids []string) error {
				var err error
				if chunk[0].Action == Start {
					_, err = r.EC2.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: ids})
				} else {
					_, err = r.EC2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: ids})
				}
				return err
			})
		}
		for _, s := range chunk {
			err := errs[s.ID]
			d := sv.decision(s)
			switch {
			case rr.DryRun:
				d.Outcome = report.Planned
			case err == nil:
				d.Outcome = report.Done
				done = append(done, s)
			case awserr.Describe(err).Code == "OperationNotPermitted":
				// Stop protection (disableApiStop): the owner said it must
				// run. Remembered, so the next runs do not try again until
				// the schedule next changes.
				d.Saving = nil
				d.Outcome, d.Reason = report.Skipped, "EC2 refused: stop protection (disableApiStop) is on ("+awserr.Explain(err)+"); "+s.Reason
				done = append(done, s)
			case awserr.Is(err, awserr.Conflict):
				d.Saving = nil
				d.Outcome, d.Reason = report.Skipped, "EC2 refused it in its present state ("+awserr.Explain(err)+"): the next run decides again"
			default:
				d.Saving = nil
				d.Outcome, d.Error = report.Failed, fmt.Sprintf("%s: %s", s.Action, awserr.Explain(err))
			}
			rr.Report.Add(d)
		}
	}
	return done
}

// record writes what each step enforced into its instance's
// commander:schedule-state, grouped by value (the tagger batches each
// group's ids). A failed write is reported: the next run would act again.
func (j *Job) record(ctx context.Context, rr *runner.Run, r Region, steps []Step) {
	byValue := map[string][]Step{}
	var values []string
	for _, s := range steps {
		v := s.Enforced()
		if _, ok := byValue[v]; !ok {
			values = append(values, v)
		}
		byValue[v] = append(byValue[v], s)
	}
	tg := tagger.Tagger{EC2: r.EC2, Region: r.Name}
	for _, v := range values {
		group := byValue[v]
		arns := make([]string, len(group))
		for i, s := range group {
			arns[i] = s.ARN
		}
		errs := tg.Tag(ctx, arns, map[string]string{tags.ScheduleState: v})
		for _, s := range group {
			err := errs[s.ARN]
			switch {
			case err != nil:
				d := decision(s, report.Failed, s.Reason)
				d.Action, d.Error = Record, fmt.Sprintf("remember %s=%s: %s", tags.ScheduleState, v, awserr.Explain(err))
				rr.Report.Add(d)
			case s.Action == Record:
				rr.Report.Add(decision(s, report.Done, s.Reason))
			}
		}
	}
}

func instanceIDs(steps []Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.ID
	}
	return out
}
