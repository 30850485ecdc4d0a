package ec2cmd

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/cwcmd"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// NewestAL2023 finds the newest Amazon Linux 2023 AMI (not minimal) for arch.
func NewestAL2023(ctx context.Context, images ec2.DescribeImagesAPIClient, arch string) (types.Image, error) {
	out, err := images.DescribeImages(ctx, &ec2.DescribeImagesInput{
		Owners: []string{"amazon"},
		Filters: []types.Filter{
			{Name: aws.String("name"), Values: []string{"al2023-ami-2023.*-" + arch}},
			{Name: aws.String("architecture"), Values: []string{arch}},
			{Name: aws.String("state"), Values: []string{"available"}},
		},
	})
	if err != nil {
		return types.Image{}, fmt.Errorf("find the newest Amazon Linux 2023 AMI: %w", err)
	}
	imgs := out.Images
	if len(imgs) == 0 {
		return types.Image{}, api.NotFoundf("no Amazon Linux 2023 AMI for %s in this region; set COMMANDER_AMI_ID or pass ami", arch)
	}
	// Newest by creation date, then by name (the name carries the release date).
	sort.Slice(imgs, func(i, j int) bool {
		a, b := aws.ToString(imgs[i].CreationDate), aws.ToString(imgs[j].CreationDate)
		if a != b {
			return a > b
		}
		return aws.ToString(imgs[i].Name) > aws.ToString(imgs[j].Name)
	})
	return imgs[0], nil
}

func (d Deps) image(ctx context.Context, id string) (types.Image, error) {
	if id == "" {
		id = d.Settings.AMI
	}
	if id == "" {
		return NewestAL2023(ctx, d.EC2, d.Settings.Architecture)
	}
	out, err := d.EC2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
	if err != nil {
		return types.Image{}, fmt.Errorf("describe AMI %s: %w", id, err)
	}
	if len(out.Images) == 0 {
		return types.Image{}, api.NotFoundf("AMI %s not found", id)
	}
	return out.Images[0], nil
}

// LaunchInput is the RunInstances call for a launch: pure, so its hardening
// (encrypted root volume, IMDSv2) is tested without AWS.
func (d Deps) LaunchInput(c *api.Call, img types.Image) *ec2.RunInstancesInput {
	p, s := c.Params, d.Settings
	root := &types.EbsBlockDevice{
		VolumeSize: aws.Int32(s.RootVolumeSizeGB), VolumeType: types.VolumeType(s.RootVolumeType),
		Encrypted: aws.Bool(true), DeleteOnTermination: aws.Bool(true),
	}
	if k := firstOf(p.Str("kmsKeyId"), s.RootVolumeKMSKey); k != "" {
		root.KmsKeyId = aws.String(k)
	}
	rootName := aws.ToString(img.RootDeviceName)
	if rootName == "" {
		rootName = "/dev/xvda"
	}
	t := c.Tags(p.Map("tags"))
	if n := p.Str("name"); n != "" {
		t["Name"] = n
	}
	t[tags.RunKey] = ClientToken(c.Token)
	in := &ec2.RunInstancesInput{
		ImageId: img.ImageId, InstanceType: types.InstanceType(p.Str("instanceType")),
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		ClientToken:         aws.String(ClientToken(c.Token)),
		BlockDeviceMappings: []types.BlockDeviceMapping{{DeviceName: aws.String(rootName), Ebs: root}},
		MetadataOptions: &types.InstanceMetadataOptionsRequest{
			HttpTokens: types.HttpTokensStateRequired, HttpEndpoint: types.InstanceMetadataEndpointStateEnabled,
			HttpPutResponseHopLimit: aws.Int32(2),
		},
		TagSpecifications: []types.TagSpecification{
			{ResourceType: types.ResourceTypeInstance, Tags: ec2Tags(t)},
			{ResourceType: types.ResourceTypeVolume, Tags: ec2Tags(t)},
		},
		UserData:         encodeUserData(p.Str("userData")),
		SecurityGroupIds: p.List("securityGroupIds"),
		DryRun:           aws.Bool(c.DryRun),
	}
	if k := firstOf(p.Str("keyPair"), s.KeyPair); k != "" {
		in.KeyName = aws.String(k)
	}
	if ip := firstOf(p.Str("instanceProfile"), s.InstanceProfile); ip != "" {
		if strings.HasPrefix(ip, "arn:") {
			in.IamInstanceProfile = &types.IamInstanceProfileSpecification{Arn: aws.String(ip)}
		} else {
			in.IamInstanceProfile = &types.IamInstanceProfileSpecification{Name: aws.String(ip)}
		}
	}
	if sn := p.Str("subnetId"); sn != "" {
		in.SubnetId = aws.String(sn)
	}
	return in
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// LaunchResult is ec2.launch's answer.
type LaunchResult struct {
	Instance    Instance          `json:"instance"`
	ClientToken string            `json:"clientToken"`
	Alarm       map[string]string `json:"alarm,omitempty"`
	Warnings    []string          `json:"warnings,omitempty"`
	Repeated    bool              `json:"repeated,omitempty"` // a retry: the instance the first attempt launched
}

func (d Deps) launch(ctx context.Context, c *api.Call) (any, error) {
	if c.Params.Bool("wait") && !c.Direct {
		return nil, api.Invalid("wait", "false over HTTP (API Gateway cuts a request at 30 s); poll ec2.describe, or invoke the function directly")
	}
	if err := deputy.CheckTags("tags", c.Params.Map("tags"), d.Settings.ProtectTag); err != nil {
		return nil, err
	}
	// First, dry run or not: the profile's role is what the instance (and
	// whoever wrote its userData) will act as.
	if err := d.CheckProfile(ctx, firstOf(c.Params.Str("instanceProfile"), d.Settings.InstanceProfile)); err != nil {
		return nil, err
	}
	var alarm cwcmd.CPUAlarm
	if c.Params.Bool("alarm") {
		a, err := cwcmd.AlarmFrom(c, "")
		if err != nil {
			return nil, err
		}
		alarm = a
	}
	img, err := d.image(ctx, c.Params.Str("ami"))
	if err != nil {
		return nil, err
	}
	in := d.LaunchInput(c, img)
	if !c.DryRun {
		// EC2 honours ClientToken itself; looking for the run tag too makes a
		// retry answer the first launch where the token is not honoured (moto).
		prev, err := d.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{
			{Name: aws.String("tag:" + tags.RunKey), Values: []string{aws.ToString(in.ClientToken)}},
			{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}},
		}})
		if err != nil {
			return nil, fmt.Errorf("look for a previous launch of this request: %w", err)
		}
		for _, r := range prev.Reservations {
			for _, i := range r.Instances {
				return LaunchResult{Instance: toInstance(i), ClientToken: aws.ToString(in.ClientToken), Repeated: true}, nil
			}
		}
	}
	out, err := d.EC2.RunInstances(ctx, in)
	if c.DryRun {
		if awserr.Is(err, awserr.DryRunOK) {
			var p api.Plan
			p.Add("EC2.RunInstances", in)
			if c.Params.Bool("alarm") {
				alarm.InstanceID = "<new instance id>"
				p.Add("CloudWatch.PutMetricAlarm", alarm.Input())
			}
			p.Note = "EC2 DryRun: the launch would succeed"
			return p, nil
		}
		if err == nil {
			return nil, fmt.Errorf("EC2 answered a DryRun launch without DryRunOperation; nothing is known to have launched")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("launch instance: %w", err)
	}
	if len(out.Instances) == 0 {
		return nil, fmt.Errorf("launch instance: RunInstances returned no instance")
	}
	inst := out.Instances[0]
	res := LaunchResult{Instance: toInstance(inst), ClientToken: aws.ToString(in.ClientToken)}
	id := res.Instance.ID
	if c.Params.Bool("alarm") {
		alarm.InstanceID = id
		// The instance exists whatever happens to its alarm: report exactly that.
		if err := alarm.Put(ctx, d.CW); err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("instance %s launched, but its CPU alarm was not created: %s; retry with cloudwatch.createCpuAlarm", id, api.FromError(err).Message))
		} else {
			res.Alarm = map[string]string{"name": cwcmd.CPUAlarmName(id)}
		}
	}
	if c.Params.Bool("wait") {
		if err := d.waitRunning(ctx, id); err != nil {
			res.Warnings = append(res.Warnings, err.Error())
		}
		if i, err := d.get(ctx, id); err == nil {
			res.Instance = toInstance(i)
		}
	}
	return res, nil
}

// waitRunning waits within the invocation's remaining time, keeping a few
// seconds to answer.
func (d Deps) waitRunning(ctx context.Context, id string) error {
	budget := 5 * time.Minute
	if dl, ok := ctx.Deadline(); ok {
		budget = time.Until(dl) - 3*time.Second
	}
	if budget <= time.Second {
		return fmt.Errorf("not enough time left to wait for %s; poll ec2.describe", id)
	}
	w := ec2.NewInstanceRunningWaiter(d.EC2, func(o *ec2.InstanceRunningWaiterOptions) { o.MinDelay, o.MaxDelay = time.Second, 5*time.Second })
	if err := w.Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, budget); err != nil {
		return fmt.Errorf("instance %s not running yet: %v; poll ec2.describe", id, err)
	}
	return nil
}

// CheckProfile refuses an instance profile (name or ARN; "" is none) unless
// every role it holds is one the api may pass: passing a profile passes its
// role, which IAM checks as iam:PassRole on the role, not the profile. The
// profile's own path does not matter; a profile without a role grants nothing.
func (d Deps) CheckProfile(ctx context.Context, ref string) error {
	if ref == "" {
		return nil
	}
	const field = "instanceProfile"
	accepts := "an instance profile holding a role under " + d.Bounds.RolePath + " or one of the stage's passable roles"
	name := ref
	if strings.HasPrefix(ref, "arn:") {
		_, rest, ok := strings.Cut(ref, ":instance-profile/")
		if !ok || rest == "" {
			return api.Invalid(field, "an instance profile name, or its ARN arn:aws:iam::<account>:instance-profile/<name>")
		}
		name = rest[strings.LastIndex(rest, "/")+1:]
	}
	if d.IAM == nil {
		return deputy.Refused(field, "this api cannot look up instance profiles", accepts)
	}
	out, err := d.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("instance profile %s: %w", name, err)
	}
	p := out.InstanceProfile
	if ref != name && aws.ToString(p.Arn) != ref {
		return deputy.Refused(field, ref+" is not the profile "+name+" of this account ("+aws.ToString(p.Arn)+")", accepts)
	}
	for _, r := range p.Roles {
		if arn := aws.ToString(r.Arn); !d.Bounds.PassableRole(arn) {
			return deputy.Refused(field, "profile "+name+" holds role "+arn+", which is neither a role the api created nor one the stage lists", accepts)
		}
	}
	return nil
}
