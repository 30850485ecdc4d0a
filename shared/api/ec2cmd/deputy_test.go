package ec2cmd

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// oneInstance is EC2 holding one instance and one security group with the
// same tags; every change is recorded.
type oneInstance struct {
	API
	tags    []types.Tag
	changes *[]string
}

func (o oneInstance) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	if len(in.Filters) > 0 { // launch looking for a previous launch of the request
		return &ec2.DescribeInstancesOutput{}, nil
	}
	return &ec2.DescribeInstancesOutput{Reservations: []types.Reservation{{Instances: []types.Instance{{InstanceId: aws.String("i-0123456789abcdef0"), Tags: o.tags}}}}}, nil
}

func (o oneInstance) DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []types.SecurityGroup{{GroupId: aws.String("sg-0123456789abcdef0"), Tags: o.tags}}}, nil
}

func (o oneInstance) record(call string) error {
	*o.changes = append(*o.changes, call)
	return errors.New("stop here")
}

func (o oneInstance) StopInstances(context.Context, *ec2.StopInstancesInput, ...func(*ec2.Options)) (*ec2.StopInstancesOutput, error) {
	return nil, o.record("StopInstances")
}

func (o oneInstance) RebootInstances(context.Context, *ec2.RebootInstancesInput, ...func(*ec2.Options)) (*ec2.RebootInstancesOutput, error) {
	return nil, o.record("RebootInstances")
}

func (o oneInstance) TerminateInstances(context.Context, *ec2.TerminateInstancesInput, ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error) {
	return nil, o.record("TerminateInstances")
}

func (o oneInstance) DeleteSecurityGroup(context.Context, *ec2.DeleteSecurityGroupInput, ...func(*ec2.Options)) (*ec2.DeleteSecurityGroupOutput, error) {
	return nil, o.record("DeleteSecurityGroup")
}

func (o oneInstance) CreateSecurityGroup(context.Context, *ec2.CreateSecurityGroupInput, ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error) {
	return nil, o.record("CreateSecurityGroup")
}

func (o oneInstance) RunInstances(context.Context, *ec2.RunInstancesInput, ...func(*ec2.Options)) (*ec2.RunInstancesOutput, error) {
	return nil, o.record("RunInstances")
}

func (o oneInstance) DescribeImages(context.Context, *ec2.DescribeImagesInput, ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	return &ec2.DescribeImagesOutput{Images: []types.Image{{ImageId: aws.String("ami-0123456789abcdef0")}}}, nil
}

// profiles is IAM holding instance profiles.
type profiles map[string]iamtypes.InstanceProfile

func (p profiles) GetInstanceProfile(_ context.Context, in *iam.GetInstanceProfileInput, _ ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error) {
	ip, ok := p[aws.ToString(in.InstanceProfileName)]
	if !ok {
		return nil, &iamtypes.NoSuchEntityException{Message: aws.String("no profile")}
	}
	return &iam.GetInstanceProfileOutput{InstanceProfile: &ip}, nil
}

func profile(path, name string, roleArns ...string) iamtypes.InstanceProfile {
	ip := iamtypes.InstanceProfile{InstanceProfileName: aws.String(name), Path: aws.String(path), Arn: aws.String("arn:aws:iam::123456789012:instance-profile" + path + name)}
	for _, a := range roleArns {
		ip.Roles = append(ip.Roles, iamtypes.Role{Arn: aws.String(a)})
	}
	return ip
}

func tagList(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

// Stop, reboot, terminate and security group deletion refuse a protected
// resource (the key in any case or padding, any value but false); launch
// refuses a profile holding a role the api may not pass, and tags writing
// protection off. Nothing changes before the refusal.
func TestEC2OutOfBounds(t *testing.T) {
	const own, listed, admin = "arn:aws:iam::123456789012:role/commander/prod/app", "arn:aws:iam::123456789012:role/team/listed", "arn:aws:iam::123456789012:role/admin"
	iamState := profiles{
		"foreign":     profile("/", "foreign", admin),
		"mixed":       profile("/commander/prod/", "mixed", own, admin),
		"own":         profile("/commander/prod/", "own", own),
		"listed-role": profile("/", "listed-role", listed),
		"empty":       profile("/", "empty"),
	}
	b := deputy.Bounds{RolePath: "/commander/prod/", PassableRoles: []string{listed}}
	id := api.Params{"id": "i-0123456789abcdef0"}
	launch := func(p api.Params) api.Params {
		out := api.Params{"instanceType": "t3.micro", "ami": "ami-0123456789abcdef0", "alarm": false}
		for k, v := range p {
			out[k] = v
		}
		return out
	}
	cases := []struct {
		name   string
		action string
		params api.Params
		tags   []types.Tag
		status int // 0: allowed up to the first change
		field  string
		want   string
	}{
		{"stop, protected", "ec2.stop", id, tagList(tags.Protect, "true"), 409, "", "protect"},
		{"reboot, protected in another case", "ec2.reboot", id, tagList("Commander:Protect", "true"), 409, "", "protect"},
		{"reboot, protected with an empty value", "ec2.reboot", id, tagList(tags.Protect, ""), 409, "", "protect"},
		{"terminate, protected with padding", "ec2.terminate", id, tagList(" commander:protect", "yes"), 409, "", "protect"},
		{"reboot, protection false", "ec2.reboot", id, tagList(tags.Protect, "False"), 0, "", ""},
		{"delete a protected group", "ec2.deleteSecurityGroup", api.Params{"id": "sg-0123456789abcdef0"}, tagList("COMMANDER:PROTECT", "1"), 409, "", "protect"},
		{"a group tagged with protection off", "ec2.createSecurityGroup", api.Params{"name": "web", "description": "d", "tags": map[string]string{"commander:protect": "false"}}, nil, 400, "tags", "does not protect"},
		{"launch with a profile holding a foreign role", "ec2.launch", launch(api.Params{"instanceProfile": "foreign", "userData": "#!/bin/sh\ncurl evil"}), nil, 403, "instanceProfile", "role/admin"},
		{"launch with a profile holding its own and a foreign role", "ec2.launch", launch(api.Params{"instanceProfile": "mixed"}), nil, 403, "instanceProfile", "role/admin"},
		{"launch with a foreign profile by ARN", "ec2.launch", launch(api.Params{"instanceProfile": "arn:aws:iam::123456789012:instance-profile/foreign"}), nil, 403, "instanceProfile", "role/admin"},
		{"launch with another account's profile ARN", "ec2.launch", launch(api.Params{"instanceProfile": "arn:aws:iam::999999999999:instance-profile/commander/prod/own"}), nil, 403, "instanceProfile", "not the profile"},
		{"launch with tags writing protection off", "ec2.launch", launch(api.Params{"tags": map[string]string{"Commander:Protect": "false"}}), nil, 400, "tags", "does not protect"},
		{"launch with its own profile", "ec2.launch", launch(api.Params{"instanceProfile": "own"}), nil, 0, "", ""},
		{"launch with its own profile by ARN", "ec2.launch", launch(api.Params{"instanceProfile": "arn:aws:iam::123456789012:instance-profile/commander/prod/own"}), nil, 0, "", ""},
		{"launch with a profile holding a listed role", "ec2.launch", launch(api.Params{"instanceProfile": "listed-role"}), nil, 0, "", ""},
		{"launch with a profile holding no role", "ec2.launch", launch(api.Params{"instanceProfile": "empty"}), nil, 0, "", ""},
	}
	for _, tc := range cases {
		for _, dry := range []bool{false, true} {
			name := tc.name
			if dry {
				name += " (dry run)"
			}
			t.Run(name, func(t *testing.T) {
				var changes []string
				d := Deps{EC2: oneInstance{tags: tc.tags, changes: &changes}, IAM: iamState, Settings: settings.Settings{ProtectTag: tags.Protect}, Bounds: b}
				var cmd *api.Command
				for _, c := range Commands(d) {
					if c.Action == tc.action {
						cmd = &c
					}
				}
				_, err := cmd.Run(context.Background(), &api.Call{Action: tc.action, Params: tc.params, DryRun: dry, Caller: "test", Token: "t", Now: time.Now()})
				if tc.status == 0 {
					if err == nil || !strings.Contains(err.Error(), "stop here") {
						t.Fatalf("err = %v, want the call made (stop here)", err)
					}
					return
				}
				var e *api.Error
				if !errors.As(err, &e) || e.Status != tc.status || e.Field != tc.field || !strings.Contains(e.Message, tc.want) {
					t.Fatalf("err = %v, want %d naming %q with %q", err, tc.status, tc.field, tc.want)
				}
				if len(changes) > 0 {
					t.Errorf("called %v before refusing", changes)
				}
			})
		}
	}
}
