package ec2cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Ingress is one ingress rule of ec2.createSecurityGroup.
type Ingress struct {
	Protocol    string `json:"protocol"` // tcp, udp, icmp or -1
	FromPort    int32  `json:"fromPort"`
	ToPort      int32  `json:"toPort"`
	Port        int32  `json:"port"` // shorthand for fromPort = toPort
	CIDR        string `json:"cidr"`
	Description string `json:"description"`
}

const ingressRule = `a list of {"protocol": "tcp|udp|icmp|-1", "fromPort": 0-65535, "toPort": 0-65535 (or "port"), "cidr": "a.b.c.d/n", "description": "..."}`

// IngressPermissions validates rules and turns them into EC2 permissions.
func IngressPermissions(rules []Ingress) ([]types.IpPermission, error) {
	var out []types.IpPermission
	for i, r := range rules {
		bad := func(why string) error {
			return api.Invalid(fmt.Sprintf("ingress[%d]", i), ingressRule+"; "+why)
		}
		switch r.Protocol {
		case "tcp", "udp", "icmp", "-1":
		default:
			return nil, bad("protocol must be tcp, udp, icmp or -1")
		}
		if r.Port != 0 {
			r.FromPort, r.ToPort = r.Port, r.Port
		}
		if r.Protocol != "-1" && r.Protocol != "icmp" && (r.FromPort < 0 || r.ToPort > 65535 || r.FromPort > r.ToPort || r.ToPort == 0) {
			return nil, bad("ports must satisfy 0 <= fromPort <= toPort <= 65535")
		}
		if !validCIDR(r.CIDR) {
			return nil, bad("cidr must be an IPv4 CIDR such as 10.0.0.0/16")
		}
		p := types.IpPermission{IpProtocol: aws.String(r.Protocol), IpRanges: []types.IpRange{{CidrIp: aws.String(r.CIDR)}}}
		if r.Description != "" {
			p.IpRanges[0].Description = aws.String(r.Description)
		}
		if r.Protocol != "-1" {
			p.FromPort, p.ToPort = aws.Int32(r.FromPort), aws.Int32(r.ToPort)
		}
		out = append(out, p)
	}
	return out, nil
}

func validCIDR(s string) bool {
	var a, b, c, d, n int
	if _, err := fmt.Sscanf(s, "%d.%d.%d.%d/%d", &a, &b, &c, &d, &n); err != nil {
		return false
	}
	for _, x := range []int{a, b, c, d} {
		if x < 0 || x > 255 {
			return false
		}
	}
	return n >= 0 && n <= 32 && fmt.Sprintf("%d.%d.%d.%d/%d", a, b, c, d, n) == s
}

func (d Deps) createSecurityGroup(ctx context.Context, c *api.Call) (any, error) {
	p := c.Params
	if strings.HasPrefix(strings.ToLower(p.Str("name")), "sg-") {
		return nil, api.Invalid("name", "a name not starting with sg-")
	}
	if err := deputy.CheckTags("tags", p.Map("tags"), d.Settings.ProtectTag); err != nil {
		return nil, err
	}
	var rules []Ingress
	if err := p.Decode("ingress", &rules, ingressRule); err != nil {
		return nil, err
	}
	perms, err := IngressPermissions(rules)
	if err != nil {
		return nil, err
	}
	in := &ec2.CreateSecurityGroupInput{
		GroupName: aws.String(p.Str("name")), Description: aws.String(p.Str("description")),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: ec2Tags(c.Tags(p.Map("tags")))}},
		DryRun:            aws.Bool(c.DryRun),
	}
	if v := p.Str("vpcId"); v != "" {
		in.VpcId = aws.String(v)
	}
	out, err := d.EC2.CreateSecurityGroup(ctx, in)
	if c.DryRun {
		if awserr.Is(err, awserr.DryRunOK) {
			pl := api.Plan{Note: "EC2 DryRun: the group would be created"}
			pl.Add("EC2.CreateSecurityGroup", in)
			if len(perms) > 0 {
				pl.Add("EC2.AuthorizeSecurityGroupIngress", perms)
			}
			return pl, nil
		}
		return dry("EC2.CreateSecurityGroup", in, err)
	}
	if err != nil {
		return nil, fmt.Errorf("create security group: %w", err)
	}
	id := aws.ToString(out.GroupId)
	if len(perms) > 0 {
		if _, err := d.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: perms}); err != nil {
			// Roll back: a group without the asked rules is not what was asked.
			if _, derr := d.EC2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)}); derr != nil {
				return nil, fmt.Errorf("authorize ingress on %s: %w; and the rollback failed, group %s still exists: %v", id, err, id, derr)
			}
			return nil, fmt.Errorf("authorize ingress (group %s rolled back): %w", id, err)
		}
	}
	return map[string]any{"groupId": id, "name": p.Str("name"), "ingressRules": len(perms)}, nil
}

// SecurityGroup is a group in a listing.
type SecurityGroup struct {
	ID          string            `json:"groupId"`
	Name        string            `json:"name"`
	VpcID       string            `json:"vpcId,omitempty"`
	Description string            `json:"description,omitempty"`
	Ingress     int               `json:"ingressRules"`
	Tags        map[string]string `json:"tags,omitempty"`
}

func (d Deps) listSecurityGroups(ctx context.Context, c *api.Call) (any, error) {
	in := &ec2.DescribeSecurityGroupsInput{}
	if v := c.Params.Str("vpcId"); v != "" {
		in.Filters = []types.Filter{{Name: aws.String("vpc-id"), Values: []string{v}}}
	}
	list := []SecurityGroup{}
	pg := ec2.NewDescribeSecurityGroupsPaginator(d.EC2, in)
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list security groups: %w", err)
		}
		for _, g := range out.SecurityGroups {
			list = append(list, SecurityGroup{ID: aws.ToString(g.GroupId), Name: aws.ToString(g.GroupName), VpcID: aws.ToString(g.VpcId),
				Description: aws.ToString(g.Description), Ingress: len(g.IpPermissions), Tags: tags.EC2(g.Tags)})
		}
	}
	return map[string]any{"securityGroups": list}, nil
}

func (d Deps) deleteSecurityGroup(ctx context.Context, c *api.Call) (any, error) {
	ref := c.Params.Str("id")
	in := &ec2.DescribeSecurityGroupsInput{}
	if strings.HasPrefix(ref, "sg-") {
		in.GroupIds = []string{ref}
	} else {
		// A name, so a script (or a sample) can delete what it created by name.
		in.Filters = []types.Filter{{Name: aws.String("group-name"), Values: []string{ref}}}
		if v := c.Params.Str("vpcId"); v != "" {
			in.Filters = append(in.Filters, types.Filter{Name: aws.String("vpc-id"), Values: []string{v}})
		}
	}
	out, err := d.EC2.DescribeSecurityGroups(ctx, in)
	if awserr.Is(err, awserr.NotFound) || (err == nil && len(out.SecurityGroups) == 0) {
		return map[string]any{"group": ref, "deleted": true, "note": "already gone"}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe security group %s: %w", ref, err)
	}
	if len(out.SecurityGroups) > 1 {
		return nil, api.Conflictf("%d security groups are named %s: pass vpcId, or the group id", len(out.SecurityGroups), ref)
	}
	g := out.SecurityGroups[0]
	id := aws.ToString(g.GroupId)
	if err := d.protected("security group "+id, g.Tags); err != nil {
		return nil, err
	}
	del := &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id), DryRun: aws.Bool(c.DryRun)}
	_, err = d.EC2.DeleteSecurityGroup(ctx, del)
	if c.DryRun {
		return dry("EC2.DeleteSecurityGroup", del, err)
	}
	if err = awserr.IgnoreNotFound(err); err != nil {
		return nil, fmt.Errorf("delete security group %s: %w", id, err)
	}
	return map[string]any{"groupId": id, "name": aws.ToString(g.GroupName), "deleted": true}, nil
}

func (d Deps) listVpcs(ctx context.Context, c *api.Call) (any, error) {
	type vpc struct {
		ID        string            `json:"vpcId"`
		CIDR      string            `json:"cidr"`
		IsDefault bool              `json:"isDefault"`
		State     string            `json:"state"`
		Tags      map[string]string `json:"tags,omitempty"`
	}
	list := []vpc{}
	pg := ec2.NewDescribeVpcsPaginator(d.EC2, &ec2.DescribeVpcsInput{})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list VPCs: %w", err)
		}
		for _, v := range out.Vpcs {
			list = append(list, vpc{ID: aws.ToString(v.VpcId), CIDR: aws.ToString(v.CidrBlock), IsDefault: aws.ToBool(v.IsDefault), State: string(v.State), Tags: tags.EC2(v.Tags)})
		}
	}
	return map[string]any{"vpcs": list}, nil
}

func (d Deps) listSubnets(ctx context.Context, c *api.Call) (any, error) {
	type subnet struct {
		ID        string            `json:"subnetId"`
		VpcID     string            `json:"vpcId"`
		AZ        string            `json:"availabilityZone"`
		CIDR      string            `json:"cidr"`
		Available int32             `json:"availableIpAddresses"`
		PublicIP  bool              `json:"mapPublicIpOnLaunch"`
		Tags      map[string]string `json:"tags,omitempty"`
	}
	in := &ec2.DescribeSubnetsInput{}
	if v := c.Params.Str("vpcId"); v != "" {
		in.Filters = []types.Filter{{Name: aws.String("vpc-id"), Values: []string{v}}}
	}
	list := []subnet{}
	pg := ec2.NewDescribeSubnetsPaginator(d.EC2, in)
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list subnets: %w", err)
		}
		for _, s := range out.Subnets {
			list = append(list, subnet{ID: aws.ToString(s.SubnetId), VpcID: aws.ToString(s.VpcId), AZ: aws.ToString(s.AvailabilityZone),
				CIDR: aws.ToString(s.CidrBlock), Available: aws.ToInt32(s.AvailableIpAddressCount), PublicIP: aws.ToBool(s.MapPublicIpOnLaunch), Tags: tags.EC2(s.Tags)})
		}
	}
	return map[string]any{"subnets": list}, nil
}
