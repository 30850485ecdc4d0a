package catalog_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func TestIAMRoleLifecycle(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	c := iamclient.New(h.cfg)
	// Both on the default allow-list (deputy.DefaultAttachablePolicies).
	policies := []string{"arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}
	body := map[string]any{"name": "commander-ec2", "service": "ec2.amazonaws.com", "policyArns": policies}

	var plan api.Plan
	h.direct("iam.createRole", body, true).ok(t, "dry create").into(t, &plan)
	if len(plan.WouldCall) != 3 {
		t.Errorf("plan = %+v", plan)
	}
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("commander-ec2")}); err == nil {
		t.Fatal("dry run created the role")
	}
	h.http("POST", "/iam/roles", "", body).ok(t, "create")
	role, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("commander-ec2")})
	if err != nil {
		t.Fatal(err)
	}
	trust, _ := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument))
	if !strings.Contains(trust, `"Service":"ec2.amazonaws.com"`) || !strings.Contains(trust, "sts:AssumeRole") {
		t.Errorf("trust policy = %s", trust)
	}
	tm := map[string]string{}
	for _, x := range role.Role.Tags {
		tm[aws.ToString(x.Key)] = aws.ToString(x.Value)
	}
	if tm[tags.ManagedBy] != "commander" || tm[tags.CreatedBy] != caller {
		t.Errorf("role tags = %v", tm)
	}
	att, _ := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("commander-ec2")})
	if len(att.AttachedPolicies) != 2 {
		t.Errorf("attached = %+v", att.AttachedPolicies)
	}
	h.http("POST", "/iam/roles", "", body).is(t, "create again", 409, "Conflict")
	h.direct("iam.createRole", map[string]any{"name": "x", "service": "ec2"}, false).is(t, "bad service", 400, "InvalidParameter")

	h.direct("iam.createInstanceProfile", map[string]any{"name": "commander-ec2", "role": "commander-ec2"}, false).ok(t, "profile")
	ip, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("commander-ec2")})
	if err != nil || len(ip.InstanceProfile.Roles) != 1 {
		t.Fatalf("profile: %v", err)
	}
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("commander-ec2"), PolicyName: aws.String("inline"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	var roles struct {
		Roles []struct {
			Name        string         `json:"name"`
			TrustPolicy map[string]any `json:"trustPolicy"`
		} `json:"roles"`
	}
	h.direct("iam.listRoles", nil, false).ok(t, "list roles").into(t, &roles)
	if len(roles.Roles) != 1 || roles.Roles[0].Name != "commander-ec2" || roles.Roles[0].TrustPolicy == nil {
		t.Errorf("roles = %+v", roles)
	}

	// Protected roles stay.
	if _, err := c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("commander-ec2"), Tags: []iamtypes.Tag{{Key: aws.String(tags.Protect), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	h.http("DELETE", "/iam/roles/commander-ec2", "", nil).is(t, "delete protected", 409, "Protected")
	c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("commander-ec2"), TagKeys: []string{tags.Protect}})

	h.direct("iam.deleteRole", map[string]any{"name": "commander-ec2"}, true).ok(t, "dry delete").into(t, &plan)
	if len(plan.WouldCall) != 5 { // 2 detach, 1 inline, 1 profile, delete
		t.Errorf("delete plan = %+v", plan.WouldCall)
	}
	h.http("DELETE", "/iam/roles/commander-ec2", "", nil).ok(t, "delete")
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("commander-ec2")}); err == nil {
		t.Error("role still exists")
	}
	ip, err = c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("commander-ec2")})
	if err != nil || len(ip.InstanceProfile.Roles) != 0 {
		t.Errorf("profile after role deletion: %v", err)
	}
	h.http("DELETE", "/iam/roles/commander-ec2", "", nil).ok(t, "delete again: already gone")
	h.direct("iam.deleteInstanceProfile", map[string]any{"name": "commander-ec2"}, false).ok(t, "delete profile")
	if _, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("commander-ec2")}); err == nil {
		t.Error("profile still exists")
	}
}

func TestIAMListUsers(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	c := iamclient.New(h.cfg)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	var users struct {
		Users []struct {
			Name string `json:"name"`
			Keys []struct {
				ID     string `json:"accessKeyId"`
				Status string `json:"status"`
			} `json:"accessKeys"`
		} `json:"users"`
	}
	h.http("GET", "/iam/users", "", nil).ok(t, "list").into(t, &users)
	if len(users.Users) != 1 || users.Users[0].Name != "bob" || len(users.Users[0].Keys) != 1 ||
		users.Users[0].Keys[0].ID != aws.ToString(key.AccessKey.AccessKeyId) || users.Users[0].Keys[0].Status != "Active" {
		t.Errorf("users = %+v", users)
	}
}

func TestCloudWatchCommands(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	c := cloudwatchclient.New(h.cfg)
	const id = "i-0123456789abcdef0"
	h.direct("cloudwatch.createCpuAlarm", map[string]any{"instanceId": id}, true).ok(t, "dry")
	if out, _ := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{}); len(out.MetricAlarms) != 0 {
		t.Fatal("dry run created an alarm")
	}
	h.http("POST", "/cloudwatch/alarms", "", map[string]any{"instanceId": id, "threshold": 85, "evaluationPeriods": 3, "periodSeconds": 60, "onAlarm": "reboot"}).ok(t, "create")
	out, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"commander-cpu-" + id}})
	if err != nil || len(out.MetricAlarms) != 1 {
		t.Fatalf("alarm: %v", err)
	}
	a := out.MetricAlarms[0]
	if aws.ToFloat64(a.Threshold) != 85 || aws.ToInt32(a.EvaluationPeriods) != 3 || aws.ToInt32(a.Period) != 60 ||
		aws.ToString(a.MetricName) != "CPUUtilization" || aws.ToString(a.Dimensions[0].Value) != id || a.ComparisonOperator != cwtypes.ComparisonOperatorGreaterThanThreshold {
		t.Errorf("alarm = %+v", a)
	}
	tg, _ := c.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: a.AlarmArn})
	tm := map[string]string{}
	for _, x := range tg.Tags {
		tm[aws.ToString(x.Key)] = aws.ToString(x.Value)
	}
	if tm[tags.OnAlarm] != "reboot" || tm[tags.ManagedBy] != "commander" {
		t.Errorf("alarm tags = %v", tm)
	}
	h.direct("cloudwatch.createCpuAlarm", map[string]any{"instanceId": id, "periodSeconds": 90}, false).is(t, "bad period", 400, "InvalidParameter")

	var list struct {
		Alarms []struct {
			Name       string            `json:"name"`
			Dimensions map[string]string `json:"dimensions"`
		} `json:"alarms"`
	}
	h.direct("cloudwatch.listAlarms", map[string]any{"prefix": "commander-"}, false).ok(t, "list").into(t, &list)
	if len(list.Alarms) != 1 || list.Alarms[0].Dimensions["InstanceId"] != id {
		t.Errorf("list = %+v", list)
	}
	h.http("GET", "/cloudwatch/alarms", "state=ALARM", nil).ok(t, "list ALARM").into(t, &list)
	if len(list.Alarms) != 0 {
		t.Errorf("state filter ignored: %+v", list)
	}

	now := time.Now().UTC()
	_, err = c.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/EC2"), MetricData: []cwtypes.MetricDatum{
		{MetricName: aws.String("CPUUtilization"), Value: aws.Float64(40), Timestamp: aws.Time(now.Add(-10 * time.Minute)), Unit: cwtypes.StandardUnitPercent,
			Dimensions: []cwtypes.Dimension{{Name: aws.String("InstanceId"), Value: aws.String(id)}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var stats struct {
		Datapoints []struct {
			Values map[string]float64 `json:"values"`
		} `json:"datapoints"`
	}
	h.http("GET", "/cloudwatch/metrics/statistics", "dimensions=InstanceId="+id+"&minutes=60", nil).ok(t, "stats").into(t, &stats)
	if len(stats.Datapoints) != 1 || stats.Datapoints[0].Values["Average"] != 40 {
		t.Errorf("stats = %+v", stats)
	}

	h.http("DELETE", "/cloudwatch/alarms", "names=commander-cpu-"+id, nil).ok(t, "delete")
	if out, _ := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{}); len(out.MetricAlarms) != 0 {
		t.Error("alarm still exists")
	}
}
