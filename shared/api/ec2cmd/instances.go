package ec2cmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Instance is an instance as the commands answer it.
type Instance struct {
	ID               string            `json:"instanceId"`
	State            string            `json:"state"`
	Type             string            `json:"instanceType"`
	AMI              string            `json:"imageId"`
	AZ               string            `json:"availabilityZone,omitempty"`
	SubnetID         string            `json:"subnetId,omitempty"`
	VpcID            string            `json:"vpcId,omitempty"`
	PrivateIP        string            `json:"privateIp,omitempty"`
	PublicIP         string            `json:"publicIp,omitempty"`
	LaunchTime       *time.Time        `json:"launchTime,omitempty"`
	IMDSv2           string            `json:"httpTokens,omitempty"`
	InstanceProfile  string            `json:"instanceProfile,omitempty"`
	SecurityGroupIDs []string          `json:"securityGroupIds,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
}

func toInstance(i types.Instance) Instance {
	out := Instance{ID: aws.ToString(i.InstanceId), Type: string(i.InstanceType), AMI: aws.ToString(i.ImageId),
		SubnetID: aws.ToString(i.SubnetId), VpcID: aws.ToString(i.VpcId), PrivateIP: aws.ToString(i.PrivateIpAddress),
		PublicIP: aws.ToString(i.PublicIpAddress), LaunchTime: i.LaunchTime, Tags: tags.EC2(i.Tags)}
	if i.State != nil {
		out.State = string(i.State.Name)
	}
	if i.Placement != nil {
		out.AZ = aws.ToString(i.Placement.AvailabilityZone)
	}
	if i.MetadataOptions != nil {
		out.IMDSv2 = string(i.MetadataOptions.HttpTokens)
	}
	if i.IamInstanceProfile != nil {
		out.InstanceProfile = aws.ToString(i.IamInstanceProfile.Arn)
	}
	for _, g := range i.SecurityGroups {
		out.SecurityGroupIDs = append(out.SecurityGroupIDs, aws.ToString(g.GroupId))
	}
	return out
}

func (d Deps) get(ctx context.Context, id string) (types.Instance, error) {
	out, err := d.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		return types.Instance{}, fmt.Errorf("describe %s: %w", id, err)
	}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			return i, nil
		}
	}
	return types.Instance{}, api.NotFoundf("instance %s not found", id)
}

func (d Deps) describe(ctx context.Context, c *api.Call) (any, error) {
	i, err := d.get(ctx, c.Params.Str("id"))
	if err != nil {
		return nil, err
	}
	return toInstance(i), nil
}

// ListFilters are the server-side filters of ec2.list.
func ListFilters(states, tagFilters []string) []types.Filter {
	var f []types.Filter
	if len(states) > 0 {
		f = append(f, types.Filter{Name: aws.String("instance-state-name"), Values: states})
	}
	for _, kv := range tagFilters {
		k, v, _ := strings.Cut(kv, "=")
		f = append(f, types.Filter{Name: aws.String("tag:" + k), Values: []string{v}})
	}
	return f
}

func (d Deps) list(ctx context.Context, c *api.Call) (any, error) {
	p := c.Params
	in := &ec2.DescribeInstancesInput{Filters: ListFilters(p.List("state"), p.List("tag")), MaxResults: aws.Int32(int32(p.Int("maxResults")))}
	if t := p.Str("nextToken"); t != "" {
		in.NextToken = aws.String(t)
	}
	out, err := d.EC2.DescribeInstances(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	list := []Instance{}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			list = append(list, toInstance(i))
		}
	}
	return map[string]any{"instances": list, "nextToken": aws.ToString(out.NextToken)}, nil
}
