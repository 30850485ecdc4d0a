package cleanup

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/report"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// An unused owned AMI is marked, then deregistered before its snapshots are
// deleted; AMIs an instance or a launch template uses are held.
func TestImages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	image := func(name string) (string, string) {
		out, err := f.ec2.RegisterImage(ctx, &ec2.RegisterImageInput{Name: aws.String(name), RootDeviceName: aws.String("/dev/xvda")})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(out.ImageId)
		d, err := f.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{id}})
		if err != nil || len(d.Images) != 1 || len(d.Images[0].BlockDeviceMappings) == 0 {
			t.Fatalf("describe %s: %v", id, err)
		}
		return id, aws.ToString(d.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId)
	}
	unused, unusedSnap := image("app-old")
	running, _ := image("app-running")
	templated, _ := image("app-templated")
	other, _ := image("base-old")
	f.instance("running", nil, func(in *ec2.RunInstancesInput) { in.ImageId = aws.String(running) })
	if _, err := f.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String("web"), LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(templated)},
	}); err != nil {
		t.Fatal(err)
	}
	j := f.job(`
policies:
  - name: old-app-images
    resource: ec2:image
    action: deregister
    filters: [{age: 30d}, {name: "^app-"}]
`, nil)
	now := time.Now().UTC().Add(40 * day)
	rep := f.run(j, now, "")
	if rep.Count("mark", report.Done) != 1 || decisionFor(rep, unused).Action != "mark" {
		t.Fatalf("mark run: %v", rep.Counts)
	}
	for id, why := range map[string]string{running: "used by instance", templated: "used by launch template web"} {
		if d := decisionFor(rep, id); d.Outcome != report.Skipped || !strings.Contains(d.Reason, why) {
			t.Errorf("%s: %+v, want skipped %q", id, d, why)
		}
	}
	rep = f.run(j, now.Add(8*day), "")
	if rep.Status != report.StatusOK || rep.Count("deregister", report.Done) != 1 {
		t.Fatalf("act run: %s %v %v", rep.Status, rep.Counts, rep.Errors)
	}
	left, err := f.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, im := range left.Images {
		ids = append(ids, aws.ToString(im.ImageId))
	}
	for _, want := range []string{running, templated, other} {
		if !strings.Contains(strings.Join(ids, ","), want) {
			t.Errorf("AMI %s was deregistered; left %v", want, ids)
		}
	}
	if strings.Contains(strings.Join(ids, ","), unused) {
		t.Errorf("AMI %s still registered", unused)
	}
	if f.exists("snapshot", unusedSnap) {
		t.Errorf("snapshot %s of the deregistered AMI still exists", unusedSnap)
	}
	if !strings.Contains(decisionFor(rep, unused).Reason, unusedSnap) {
		t.Errorf("decision does not name the deleted snapshot: %+v", decisionFor(rep, unused))
	}
}
