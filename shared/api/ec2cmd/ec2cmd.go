// Package ec2cmd holds the EC2 commands: launch (hardened defaults, CPU
// alarm), list, describe, start, stop, reboot, terminate, security groups,
// VPCs and subnets.
package ec2cmd

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"regexp"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/cwcmd"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// API is the slice of EC2 these commands call.
type API interface {
	ec2.DescribeInstancesAPIClient
	ec2.DescribeImagesAPIClient
	ec2.DescribeSecurityGroupsAPIClient
	ec2.DescribeVpcsAPIClient
	ec2.DescribeSubnetsAPIClient
	RunInstances(ctx context.Context, in *ec2.RunInstancesInput, opts ...func(*ec2.Options)) (*ec2.RunInstancesOutput, error)
	StartInstances(ctx context.Context, in *ec2.StartInstancesInput, opts ...func(*ec2.Options)) (*ec2.StartInstancesOutput, error)
	StopInstances(ctx context.Context, in *ec2.StopInstancesInput, opts ...func(*ec2.Options)) (*ec2.StopInstancesOutput, error)
	RebootInstances(ctx context.Context, in *ec2.RebootInstancesInput, opts ...func(*ec2.Options)) (*ec2.RebootInstancesOutput, error)
	TerminateInstances(ctx context.Context, in *ec2.TerminateInstancesInput, opts ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error)
	CreateSecurityGroup(ctx context.Context, in *ec2.CreateSecurityGroupInput, opts ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error)
	AuthorizeSecurityGroupIngress(ctx context.Context, in *ec2.AuthorizeSecurityGroupIngressInput, opts ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error)
	DeleteSecurityGroup(ctx context.Context, in *ec2.DeleteSecurityGroupInput, opts ...func(*ec2.Options)) (*ec2.DeleteSecurityGroupOutput, error)
}

// AlarmAPI is the slice of CloudWatch launch and terminate call.
type AlarmAPI interface {
	cwcmd.AlarmAPI
	cwcmd.TagAPI
	DeleteAlarms(ctx context.Context, in *cloudwatch.DeleteAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DeleteAlarmsOutput, error)
}

// ProfileAPI is the slice of IAM launch reads: which role a profile holds.
type ProfileAPI interface {
	GetInstanceProfile(ctx context.Context, in *iam.GetInstanceProfileInput, opts ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error)
}

// Deps are what the commands are built from.
type Deps struct {
	EC2      API
	CW       AlarmAPI
	IAM      ProfileAPI // nil: launch refuses any instance profile
	Settings settings.Settings
	// Bounds: an instance profile passes its role, so launch accepts only
	// profiles whose roles the api may pass.
	Bounds deputy.Bounds
}

var (
	instanceIDRE   = regexp.MustCompile(`^i-[0-9a-f]{8,17}$`)
	amiRE          = regexp.MustCompile(`^ami-[0-9a-f]{8,17}$`)
	instanceTypeRE = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	// Length limits are checked apart from the patterns (api.Bound): a
	// counted repetition such as {1,255} costs every cold start.
	nameRE      = api.Bound(`^[\w+=,.@/: -]+$`, 255)
	subnetRE    = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	sgRE        = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)
	vpcRE       = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
	kmsKeyRE    = regexp.MustCompile(`^(arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[\w/+=,.@-]+|alias/[\w/+=,.@-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)
	tagFilterRE = api.Bound(`^([^=]+)=(.*)$`, 0, 128, 256) // key and value
	sgRefRE     = api.Bound(`^(?:sg-[0-9a-f]{8,17}|[\w .:/()#,@\[\]+=&;{}!$*-]+)$`, 255)
	sgNameRE    = api.Bound(`^[\w .:/()#,@\[\]+=&;{}!$*-]+$`, 255)
)

var states = []string{"pending", "running", "shutting-down", "terminated", "stopping", "stopped"}

// ClientToken derives RunInstances' idempotency token from the request's
// token, so a retried request (same Lambda request id, or the same
// Idempotency-Key header) launches one instance. At most 64 ASCII characters.
func ClientToken(token string) string {
	sum := sha256.Sum256([]byte("ec2.launch:" + token))
	return "commander-" + hex.EncodeToString(sum[:])[:48]
}

func idParam() api.Param {
	return api.Param{Name: "id", Type: api.String, Required: true, Pattern: instanceIDRE, Accepts: "an instance id such as i-0123456789abcdef0"}
}

// Commands are the EC2 commands.
func Commands(d Deps) []api.Command {
	s := d.Settings
	launch := []api.Param{
		{Name: "name", Type: api.String, Pattern: nameRE, Accepts: "1 to 255 characters", Doc: "the Name tag"},
		{Name: "instanceType", Type: api.String, Default: s.InstanceType, Pattern: instanceTypeRE, Accepts: "an instance type such as t3.micro"},
		{Name: "ami", Type: api.String, Pattern: amiRE, Accepts: "an AMI id such as ami-0abcdef1234567890", Doc: "default: COMMANDER_AMI_ID, else the newest Amazon Linux 2023"},
		{Name: "keyPair", Type: api.String, Pattern: nameRE, Accepts: "a key pair name", Doc: "default: COMMANDER_KEY_PAIR"},
		{Name: "instanceProfile", Type: api.String, Pattern: nameRE, Accepts: "the name or ARN of an instance profile whose role the api may pass (one it created, or one the stage lists)", Doc: "default: COMMANDER_INSTANCE_PROFILE"},
		{Name: "subnetId", Type: api.String, Pattern: subnetRE, Accepts: "a subnet id such as subnet-0123456789abcdef0"},
		{Name: "securityGroupIds", Type: api.List, Max: 5, Pattern: sgRE, Accepts: "security group ids such as sg-0123456789abcdef0"},
		api.Tags(""),
		{Name: "userData", Type: api.String, Max: 16 << 10, Doc: "plain text (a script or cloud-init), encoded by commander"},
		{Name: "kmsKeyId", Type: api.String, Pattern: kmsKeyRE, Accepts: "a KMS key id, alias or ARN", Doc: "root volume key; default COMMANDER_ROOT_VOLUME_KMS_KEY, else the account's EBS key"},
		{Name: "alarm", Type: api.Bool, Default: true, Doc: "create the instance's CPU alarm"},
		{Name: "wait", Type: api.Bool, Default: false, Doc: "direct invocation only: wait until running within the remaining time"},
	}
	launch = append(launch, cwcmd.AlarmParams(s)...)
	return []api.Command{
		{Action: "ec2.launch", Method: "POST", Path: "/ec2/instances", Mutates: true,
			Summary: "Launch an instance: encrypted root volume, IMDSv2 required, CPU alarm; answers at once with id and state.",
			Params:  launch, Run: d.launch},
		{Action: "ec2.list", Method: "GET", Path: "/ec2/instances",
			Summary: "List instances by state and tags, paginated.",
			Params: []api.Param{
				{Name: "state", Type: api.List, Enum: states},
				{Name: "tag", Type: api.List, Max: 10, Pattern: tagFilterRE, Accepts: "Key=Value filters, e.g. env=prod"},
				{Name: "maxResults", Type: api.Int, Min: 5, Max: 1000, Default: int64(100)},
				{Name: "nextToken", Type: api.String, Max: 4096},
			}, Run: d.list},
		{Action: "ec2.describe", Method: "GET", Path: "/ec2/instances/{id}", Summary: "Describe one instance.",
			Params: []api.Param{idParam()}, Run: d.describe},
		{Action: "ec2.start", Method: "POST", Path: "/ec2/instances/{id}/start", Mutates: true, Summary: "Start an instance.",
			Params: []api.Param{idParam()}, Run: d.start},
		{Action: "ec2.stop", Method: "POST", Path: "/ec2/instances/{id}/stop", Mutates: true,
			Summary: "Stop an instance (refused when protected).",
			Params:  []api.Param{idParam(), {Name: "force", Type: api.Bool, Default: false}}, Run: d.stop},
		{Action: "ec2.reboot", Method: "POST", Path: "/ec2/instances/{id}/reboot", Mutates: true, Summary: "Reboot an instance (refused when protected).",
			Params: []api.Param{idParam()}, Run: d.reboot},
		{Action: "ec2.terminate", Method: "DELETE", Path: "/ec2/instances/{id}", Mutates: true,
			Summary: "Terminate an instance (refused when protected) and delete its commander CPU alarm.",
			Params:  []api.Param{idParam()}, Run: d.terminate},
		{Action: "ec2.createSecurityGroup", Method: "POST", Path: "/ec2/security-groups", Mutates: true,
			Summary: "Create a security group in a VPC with ingress rules.",
			Params: []api.Param{
				{Name: "name", Type: api.String, Required: true, Pattern: sgNameRE, Accepts: "1 to 255 characters, not starting with sg-"},
				{Name: "description", Type: api.String, Default: "created by commander", Pattern: sgNameRE, Accepts: "1 to 255 characters"},
				{Name: "vpcId", Type: api.String, Pattern: vpcRE, Accepts: "a VPC id such as vpc-0123456789abcdef0", Doc: "default: the default VPC"},
				{Name: "ingress", Type: api.Object, Max: 32 << 10, Doc: `[{"protocol":"tcp","fromPort":443,"toPort":443,"cidr":"10.0.0.0/16","description":"..."}]`},
				api.Tags(""),
			}, Run: d.createSecurityGroup},
		{Action: "ec2.listSecurityGroups", Method: "GET", Path: "/ec2/security-groups", Summary: "List security groups, optionally of one VPC.",
			Params: []api.Param{{Name: "vpcId", Type: api.String, Pattern: vpcRE, Accepts: "a VPC id"}}, Run: d.listSecurityGroups},
		{Action: "ec2.deleteSecurityGroup", Method: "DELETE", Path: "/ec2/security-groups/{id}", Mutates: true,
			Summary: "Delete a security group by id or name (refused when protected); one already gone counts as deleted.",
			Params: []api.Param{
				{Name: "id", Type: api.String, Required: true, Pattern: sgRefRE, Accepts: "a security group id such as sg-0123456789abcdef0, or its name"},
				{Name: "vpcId", Type: api.String, Pattern: vpcRE, Accepts: "a VPC id", Doc: "with a name: the VPC it is in"},
			},
			Run: d.deleteSecurityGroup},
		{Action: "ec2.listVpcs", Method: "GET", Path: "/ec2/vpcs", Summary: "List VPCs (to choose where to launch).", Run: d.listVpcs},
		{Action: "ec2.listSubnets", Method: "GET", Path: "/ec2/subnets", Summary: "List subnets, optionally of one VPC.",
			Params: []api.Param{{Name: "vpcId", Type: api.String, Pattern: vpcRE, Accepts: "a VPC id"}}, Run: d.listSubnets},
	}
}

func ec2Tags(m map[string]string) []types.Tag {
	return tags.List(m, func(k, v *string) types.Tag { return types.Tag{Key: k, Value: v} })
}

// protected answers the protection refusal for resource when its tags
// protect it (guard.Protected).
func (d Deps) protected(resource string, list []types.Tag) error {
	return api.RefuseProtected(resource, tags.EC2(list), d.Settings.ProtectTag)
}

func encodeUserData(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(base64.StdEncoding.EncodeToString([]byte(s)))
}
