package alarm

import (
	"context"
	"fmt"
	"maps"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"golang.org/x/sync/errgroup"
)

// lookupTargets finds each target's state and tags, a few at a time.
func (h *Handler) lookupTargets(ctx context.Context, c Clients, targets []Target) ([]TargetState, error) {
	states := make([]TargetState, len(targets))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, h.Settings.Concurrency))
	for i, t := range targets {
		g.Go(func() error {
			s, err := lookupTarget(gctx, c, t)
			states[i] = s
			return err
		})
	}
	return states, g.Wait()
}

func lookupTarget(ctx context.Context, c Clients, t Target) (TargetState, error) {
	s := TargetState{Target: t, Tags: map[string]string{}}
	switch t.Kind {
	case Instance:
		out, err := c.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{t.ID}})
		if gone(err) {
			s.Gone = "instance " + t.ID + " does not exist"
			return s, nil
		}
		if err != nil {
			return s, fmt.Errorf("describe instance %s: %w", t.ID, err)
		}
		for _, res := range out.Reservations {
			for _, in := range res.Instances {
				if in.State != nil && (in.State.Name == ec2types.InstanceStateNameTerminated || in.State.Name == ec2types.InstanceStateNameShuttingDown) {
					s.Gone = "instance " + t.ID + " is " + string(in.State.Name)
					return s, nil
				}
				s.Found = true
				maps.Copy(s.Tags, tags.EC2(in.Tags))
			}
		}
		if !s.Found {
			s.Gone = "instance " + t.ID + " does not exist"
		}
	case Volume:
		out, err := c.EC2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{t.ID}})
		if gone(err) {
			s.Gone = "volume " + t.ID + " does not exist"
			return s, nil
		}
		if err != nil {
			return s, fmt.Errorf("describe volume %s: %w", t.ID, err)
		}
		for _, v := range out.Volumes {
			s.Found = true
			maps.Copy(s.Tags, tags.EC2(v.Tags))
		}
		if !s.Found {
			s.Gone = "volume " + t.ID + " does not exist"
		}
	case Function:
		out, err := c.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(t.ID)})
		if gone(err) {
			s.Gone = "function " + t.ID + " does not exist"
			return s, nil
		}
		if err != nil {
			return s, fmt.Errorf("get function %s: %w", t.ID, err)
		}
		s.Found = true
		if out.Configuration != nil {
			s.ARN = aws.ToString(out.Configuration.FunctionArn)
		}
		maps.Copy(s.Tags, out.Tags)
	}
	return s, nil
}

// gone is a lookup error that no retry will fix: the target does not exist,
// or its id cannot exist (a malformed id in the alarm's dimensions).
func gone(err error) bool {
	k := awserr.Classify(err)
	return k == awserr.NotFound || k == awserr.InvalidInput
}
