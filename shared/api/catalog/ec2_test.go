package catalog_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/aws-commander/commander/shared/api/ec2cmd"
	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func TestEC2Lifecycle(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	ec := ec2client.New(h.cfg)
	cw := cloudwatchclient.New(h.cfg)

	// A dry run launches nothing.
	dry := h.direct("ec2.launch", map[string]any{"name": "web"}, true).ok(t, "dry launch")
	if !dry.DryRun {
		t.Errorf("dry launch not marked dryRun")
	}
	if n := countInstances(t, ec); n != 0 {
		t.Fatalf("dry run launched %d instances", n)
	}

	// Launch over HTTP: newest AL2023, encrypted root, IMDSv2, alarm, tags.
	var res ec2cmd.LaunchResult
	h.http("POST", "/ec2/instances", "", map[string]any{"name": "web", "tags": map[string]string{"env": "test"}, "onAlarm": "stop"}).ok(t, "launch").into(t, &res)
	id := res.Instance.ID
	inst := describe(t, ec, id)
	if inst.MetadataOptions == nil || inst.MetadataOptions.HttpTokens != types.HttpTokensStateRequired {
		t.Errorf("IMDSv2 not required: %+v", inst.MetadataOptions)
	}
	if got := aws.ToString(inst.ImageId); got != "ami-0e1e769742d1cfb49" && got != "ami-02ee394167633f6bf" && got != "ami-0ed094fb1304fd857" {
		t.Errorf("AMI %s is not an Amazon Linux 2023 x86_64 image", got)
	}
	tg := map[string]string{}
	for _, x := range inst.Tags {
		tg[aws.ToString(x.Key)] = aws.ToString(x.Value)
	}
	if tg[tags.ManagedBy] != "commander" || tg[tags.CreatedBy] != caller || tg[tags.CreatedAt] == "" || tg["Name"] != "web" || tg["env"] != "test" {
		t.Errorf("instance tags = %v", tg)
	}
	vols, err := ec.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []types.Filter{{Name: aws.String("attachment.instance-id"), Values: []string{id}}}})
	if err != nil || len(vols.Volumes) != 1 {
		t.Fatalf("volumes: %v %d", err, len(vols.Volumes))
	}
	v := vols.Volumes[0]
	if !aws.ToBool(v.Encrypted) || aws.ToInt32(v.Size) != 8 || v.VolumeType != types.VolumeTypeGp3 {
		t.Errorf("root volume encrypted=%v size=%d type=%s", aws.ToBool(v.Encrypted), aws.ToInt32(v.Size), v.VolumeType)
	}
	al, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"commander-cpu-" + id}})
	if err != nil || len(al.MetricAlarms) != 1 {
		t.Fatalf("alarm: %v", err)
	}
	a := al.MetricAlarms[0]
	if aws.ToFloat64(a.Threshold) != 70 || aws.ToInt32(a.EvaluationPeriods) != 2 || aws.ToInt32(a.Period) != 300 ||
		len(a.Dimensions) != 1 || aws.ToString(a.Dimensions[0].Name) != "InstanceId" || aws.ToString(a.Dimensions[0].Value) != id {
		t.Errorf("alarm = %+v", a)
	}

	// List with state and tag filters, describe.
	var list struct {
		Instances []ec2cmd.Instance `json:"instances"`
	}
	h.http("GET", "/ec2/instances", "state=running,pending&tag=env=test", nil).ok(t, "list").into(t, &list)
	if len(list.Instances) != 1 || list.Instances[0].ID != id {
		t.Errorf("list = %+v", list)
	}
	h.direct("ec2.list", map[string]any{"tag": []string{"env=prod"}}, false).ok(t, "list prod").into(t, &list)
	if len(list.Instances) != 0 {
		t.Errorf("tag filter ignored: %+v", list)
	}
	var one ec2cmd.Instance
	h.direct("ec2.describe", map[string]any{"id": id}, false).ok(t, "describe").into(t, &one)
	if one.IMDSv2 != "required" || one.Tags["Name"] != "web" {
		t.Errorf("describe = %+v", one)
	}
	h.http("GET", "/ec2/instances/i-00000000000000000", "", nil).is(t, "describe missing", 404, "")

	// Stop (dry, then real), start, reboot.
	h.direct("ec2.stop", map[string]any{"id": id}, true).ok(t, "dry stop")
	if s := describe(t, ec, id).State.Name; s != types.InstanceStateNameRunning {
		t.Fatalf("dry stop changed the state to %s", s)
	}
	h.http("POST", "/ec2/instances/"+id+"/stop", "", nil).ok(t, "stop")
	if s := describe(t, ec, id).State.Name; s != types.InstanceStateNameStopped && s != types.InstanceStateNameStopping {
		t.Fatalf("state after stop = %s", s)
	}
	h.direct("ec2.start", map[string]any{"id": id}, false).ok(t, "start")
	if s := describe(t, ec, id).State.Name; s != types.InstanceStateNameRunning && s != types.InstanceStateNamePending {
		t.Fatalf("state after start = %s", s)
	}
	h.direct("ec2.reboot", map[string]any{"id": id}, false).ok(t, "reboot")

	// Protected: stop and terminate refused with 409.
	if _, err := ec.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String(tags.Protect), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	h.http("DELETE", "/ec2/instances/"+id, "", nil).is(t, "terminate protected", 409, "Protected")
	h.direct("ec2.stop", map[string]any{"id": id}, false).is(t, "stop protected", 409, "Protected")
	if _, err := ec.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String(tags.Protect)}}}); err != nil {
		t.Fatal(err)
	}

	// Terminate: the instance goes, and its alarm with it.
	h.direct("ec2.terminate", map[string]any{"id": id}, true).ok(t, "dry terminate")
	if s := describe(t, ec, id).State.Name; s == types.InstanceStateNameTerminated {
		t.Fatal("dry terminate terminated")
	}
	h.http("DELETE", "/ec2/instances/"+id, "", nil).ok(t, "terminate")
	if s := describe(t, ec, id).State.Name; s != types.InstanceStateNameTerminated && s != types.InstanceStateNameShuttingDown {
		t.Errorf("state after terminate = %s", s)
	}
	al, _ = cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"commander-cpu-" + id}})
	if len(al.MetricAlarms) != 0 {
		t.Errorf("alarm left behind")
	}
}

// A retried launch (same request token) launches one instance.
func TestEC2LaunchIsIdempotent(t *testing.T) {
	h := newHarness(t, nil)
	ec := ec2client.New(h.cfg)
	raw := []byte(`{"action":"ec2.launch","params":{"alarm":false,"instanceType":"t3.micro"}}`)
	var a, b ec2cmd.LaunchResult
	h.handle(raw, "same-request").ok(t, "first").into(t, &a)
	h.handle(raw, "same-request").ok(t, "retry").into(t, &b)
	if a.Instance.ID != b.Instance.ID || countInstances(t, ec) != 1 {
		t.Errorf("retry launched again: %s %s, %d instances", a.Instance.ID, b.Instance.ID, countInstances(t, ec))
	}
	if a.Instance.Type != "t3.micro" {
		t.Errorf("type = %s", a.Instance.Type)
	}
}

func TestEC2SecurityGroupsAndNetwork(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	ec := ec2client.New(h.cfg)
	var vpcs struct {
		Vpcs []struct {
			ID        string `json:"vpcId"`
			IsDefault bool   `json:"isDefault"`
		} `json:"vpcs"`
	}
	h.http("GET", "/ec2/vpcs", "", nil).ok(t, "vpcs").into(t, &vpcs)
	if len(vpcs.Vpcs) == 0 {
		t.Fatal("no VPC listed")
	}
	vpc := vpcs.Vpcs[0].ID
	var subnets struct {
		Subnets []struct {
			VpcID string `json:"vpcId"`
		} `json:"subnets"`
	}
	h.direct("ec2.listSubnets", map[string]any{"vpcId": vpc}, false).ok(t, "subnets").into(t, &subnets)
	if len(subnets.Subnets) == 0 || subnets.Subnets[0].VpcID != vpc {
		t.Errorf("subnets = %+v", subnets)
	}

	body := map[string]any{"name": "web", "vpcId": vpc, "ingress": []map[string]any{{"protocol": "tcp", "port": 443, "cidr": "10.0.0.0/16"}}}
	h.http("POST", "/ec2/security-groups", "dryRun=true", body).ok(t, "dry create")
	var sg struct {
		ID string `json:"groupId"`
	}
	h.http("POST", "/ec2/security-groups", "", body).ok(t, "create").into(t, &sg)
	out, err := ec.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg.ID}})
	if err != nil || len(out.SecurityGroups) != 1 {
		t.Fatal(err)
	}
	g := out.SecurityGroups[0]
	if len(g.IpPermissions) != 1 || aws.ToInt32(g.IpPermissions[0].FromPort) != 443 || aws.ToString(g.IpPermissions[0].IpRanges[0].CidrIp) != "10.0.0.0/16" {
		t.Errorf("ingress = %+v", g.IpPermissions)
	}
	if aws.ToString(g.VpcId) != vpc {
		t.Errorf("vpc = %s", aws.ToString(g.VpcId))
	}
	all, _ := ec.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{{Name: aws.String("group-name"), Values: []string{"web"}}}})
	if len(all.SecurityGroups) != 1 {
		t.Errorf("dry run created a group: %d named web", len(all.SecurityGroups))
	}
	var sgs struct {
		SecurityGroups []struct {
			ID string `json:"groupId"`
		} `json:"securityGroups"`
	}
	h.direct("ec2.listSecurityGroups", map[string]any{"vpcId": vpc}, false).ok(t, "list").into(t, &sgs)
	found := false
	for _, s := range sgs.SecurityGroups {
		found = found || s.ID == sg.ID
	}
	if !found {
		t.Errorf("created group not listed")
	}
	h.direct("ec2.createSecurityGroup", map[string]any{"name": "bad", "ingress": []map[string]any{{"protocol": "tcp", "port": 22, "cidr": "0.0.0.0/33"}}}, false).is(t, "bad cidr", 400, "InvalidParameter")
	h.http("DELETE", "/ec2/security-groups/"+sg.ID, "dryRun=true", nil).ok(t, "dry delete")
	h.http("DELETE", "/ec2/security-groups/"+sg.ID, "", nil).ok(t, "delete")
	if _, err := ec.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg.ID}}); err == nil {
		t.Error("group still exists")
	}
	// By name, and a name already gone is done.
	h.direct("ec2.createSecurityGroup", map[string]any{"name": "by-name"}, false).ok(t, "create by-name")
	if _, err := ec.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{groupID(t, ec, "by-name")}, Tags: []types.Tag{{Key: aws.String(tags.Protect), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	h.direct("ec2.deleteSecurityGroup", map[string]any{"id": "by-name"}, false).is(t, "delete protected", 409, "Protected")
	if _, err := ec.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{groupID(t, ec, "by-name")}, Tags: []types.Tag{{Key: aws.String(tags.Protect)}}}); err != nil {
		t.Fatal(err)
	}
	h.direct("ec2.deleteSecurityGroup", map[string]any{"id": "by-name"}, false).ok(t, "delete by name")
	if id := groupID(t, ec, "by-name"); id != "" {
		t.Errorf("group %s still exists", id)
	}
	h.http("DELETE", "/ec2/security-groups/by-name", "", nil).ok(t, "delete by name again: already gone")
}

func groupID(t *testing.T, ec *ec2.Client, name string) string {
	t.Helper()
	out, err := ec.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{{Name: aws.String("group-name"), Values: []string{name}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.SecurityGroups) == 0 {
		return ""
	}
	return aws.ToString(out.SecurityGroups[0].GroupId)
}

func countInstances(t *testing.T, ec *ec2.Client) int {
	t.Helper()
	out, err := ec.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range out.Reservations {
		n += len(r.Instances)
	}
	return n
}

func describe(t *testing.T, ec *ec2.Client, id string) types.Instance {
	t.Helper()
	out, err := ec.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil || len(out.Reservations) == 0 {
		t.Fatalf("describe %s: %v", id, err)
	}
	return out.Reservations[0].Instances[0]
}

// The AMI comes from settings when set; a missing AMI is a 404; a direct
// launch may wait until running; HTTP may not.
func TestEC2LaunchOptions(t *testing.T) {
	h := newHarness(t, map[string]string{"COMMANDER_AMI_ID": "ami-02ee394167633f6bf", "COMMANDER_ROOT_VOLUME_SIZE_GB": "12"})
	ec := ec2client.New(h.cfg)
	var res ec2cmd.LaunchResult
	h.direct("ec2.launch", map[string]any{"wait": true, "alarm": false}, false).ok(t, "launch and wait").into(t, &res)
	if res.Instance.AMI != "ami-02ee394167633f6bf" || res.Instance.State != "running" || len(res.Warnings) != 0 {
		t.Errorf("launch = %+v", res)
	}
	vols, err := ec.DescribeVolumes(context.Background(), &ec2.DescribeVolumesInput{Filters: []types.Filter{{Name: aws.String("attachment.instance-id"), Values: []string{res.Instance.ID}}}})
	if err != nil || len(vols.Volumes) != 1 || aws.ToInt32(vols.Volumes[0].Size) != 12 {
		t.Errorf("root volume size from settings: %v %+v", err, vols)
	}
	h.http("POST", "/ec2/instances", "", map[string]any{"wait": true}).is(t, "wait over HTTP", 400, "InvalidParameter")
	h.direct("ec2.launch", map[string]any{"ami": "ami-0000000000000000f"}, false).is(t, "missing AMI", 404, "")
	h.direct("ec2.launch", map[string]any{"instanceType": "huge"}, false).is(t, "bad type", 400, "InvalidParameter")
}

// ec2.list pages with a next token.
func TestEC2ListPages(t *testing.T) {
	h := newHarness(t, nil)
	ec := ec2client.New(h.cfg)
	for range 7 { // one reservation each: moto pages by reservation
		if _, err := ec.RunInstances(context.Background(), &ec2.RunInstancesInput{ImageId: aws.String("ami-02ee394167633f6bf"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)}); err != nil {
			t.Fatal(err)
		}
	}
	var page struct {
		Instances []ec2cmd.Instance `json:"instances"`
		NextToken string            `json:"nextToken"`
	}
	h.direct("ec2.list", map[string]any{"maxResults": 5}, false).ok(t, "page 1").into(t, &page)
	if len(page.Instances) != 5 || page.NextToken == "" {
		t.Fatalf("page 1 = %d instances, token %q", len(page.Instances), page.NextToken)
	}
	seen := map[string]bool{}
	for _, i := range page.Instances {
		seen[i.ID] = true
	}
	h.http("GET", "/ec2/instances", "maxResults=5&nextToken="+url.QueryEscape(page.NextToken), nil).ok(t, "page 2").into(t, &page)
	for _, i := range page.Instances {
		seen[i.ID] = true
	}
	if len(seen) != 7 || page.NextToken != "" {
		t.Errorf("saw %d instances, last token %q", len(seen), page.NextToken)
	}
}
