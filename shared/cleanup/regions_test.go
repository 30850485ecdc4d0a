package cleanup

import (
	"context"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Every region of COMMANDER_REGIONS is cleaned with its own clients; IAM,
// which is global, runs once.
func TestRegions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	west := awsclient.NewEC2(awsclient.InRegion(f.cfg, "us-west-2"))
	run, err := west.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12345678"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	westID := aws.ToString(run.Instances[0].InstanceId)
	if _, err := west.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{westID}}); err != nil {
		t.Fatal(err)
	}
	eastID := f.instance("stopped", nil, nil)
	if _, err := awsclient.NewIAM(f.cfg).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("old"), AssumeRolePolicyDocument: aws.String(trust),
		Tags: []iamtypes.Tag{{Key: aws.String(tags.ManagedBy), Value: aws.String(tags.ManagedByValue)}},
	}); err != nil {
		t.Fatal(err)
	}
	j := f.job(everything+`
  - name: unused-roles
    resource: iam:role
    action: delete
    filters: [{unusedFor: 30d}]
`, map[string]string{"COMMANDER_REGIONS": "us-east-1,us-west-2"})
	j.Clients = func(region string) Clients {
		cfg := awsclient.InRegion(f.cfg, region)
		return Clients{EC2: awsclient.NewEC2(cfg), CloudWatch: awsclient.NewCloudWatch(cfg), IAM: awsclient.NewIAM(cfg),
			S3: awsclient.NewS3(cfg), Lambda: awsclient.NewLambda(cfg)}
	}
	rep := f.run(j, time.Now().UTC().Add(40*day), "")
	for id, region := range map[string]string{eastID: "us-east-1", westID: "us-west-2", "old": GlobalRegion} {
		if d := decisionFor(rep, id); d.Action != "mark" || d.Outcome != report.Done || d.Region != region {
			t.Errorf("%s: %+v, want marked in %s", id, d, region)
		}
	}
	if n := rep.Count("mark", report.Done); n != 3 {
		t.Errorf("marks = %d, want 3 (IAM once): %v", n, rep.Counts)
	}
	out, err := west.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []ec2types.Filter{filter("resource-id", westID)}})
	if err != nil || len(out.Tags) != 2 {
		t.Errorf("west instance tags: %v %+v", err, out)
	}
}
