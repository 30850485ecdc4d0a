package catalog_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/api/ec2cmd"
	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Every changing command, run with dryRun, answers 200 and changes nothing:
// the account's state before and after is the same. The table must name
// every changing command, so a new one cannot skip its dry run.
func TestEveryDryRunChangesNothing(t *testing.T) {
	h := newHarness(t, map[string]string{"COMMANDER_BACKUP_FUNCTION": "fn"})

	// An account with one of everything.
	h.direct("s3.createBucket", map[string]any{"bucket": "dry-bucket"}, false).ok(t, "bucket")
	h.direct("s3.putObject", map[string]any{"bucket": "dry-bucket", "key": "k", "contentBase64": "YQ=="}, false).ok(t, "object")
	var inst ec2cmd.LaunchResult
	h.direct("ec2.launch", map[string]any{"name": "dry"}, false).ok(t, "launch").into(t, &inst)
	id := inst.Instance.ID
	var sg struct {
		ID string `json:"groupId"`
	}
	h.direct("ec2.createSecurityGroup", map[string]any{"name": "dry-sg"}, false).ok(t, "sg").into(t, &sg)
	h.direct("iam.createRole", map[string]any{"name": "dry-role", "service": "ec2.amazonaws.com"}, false).ok(t, "role")
	h.direct("iam.createInstanceProfile", map[string]any{"name": "dry-profile", "role": "dry-role"}, false).ok(t, "profile")
	h.direct("lambda.deploy", map[string]any{"name": "fn", "zipBase64": zipBase64(t, "v1")}, false).ok(t, "function")
	h.direct("lambda.attachRule", map[string]any{"name": "fn", "rule": "dry-rule", "schedule": "rate(1 hour)"}, false).ok(t, "rule")

	zip := zipBase64(t, "v2")
	cases := map[string]map[string]any{
		"ec2.launch":                {"name": "more"},
		"ec2.start":                 {"id": id},
		"ec2.stop":                  {"id": id},
		"ec2.reboot":                {"id": id},
		"ec2.terminate":             {"id": id},
		"ec2.createSecurityGroup":   {"name": "more-sg", "ingress": []map[string]any{{"protocol": "tcp", "port": 22, "cidr": "10.0.0.0/8"}}},
		"ec2.deleteSecurityGroup":   {"id": sg.ID},
		"s3.createBucket":           {"bucket": "more-bucket"},
		"s3.deleteBucket":           {"bucket": "dry-bucket", "empty": true},
		"s3.putObject":              {"bucket": "dry-bucket", "key": "k2", "contentBase64": base64.StdEncoding.EncodeToString([]byte("b"))},
		"s3.deleteObject":           {"bucket": "dry-bucket", "key": "k", "allVersions": true},
		"iam.createRole":            {"name": "more-role", "service": "lambda.amazonaws.com"},
		"iam.createInstanceProfile": {"name": "more-profile", "role": "dry-role"},
		"iam.deleteRole":            {"name": "dry-role"},
		"iam.deleteInstanceProfile": {"name": "dry-profile"},
		"cloudwatch.createCpuAlarm": {"instanceId": id, "threshold": 10},
		"cloudwatch.deleteAlarms":   {"names": []string{"commander-cpu-" + id}},
		"lambda.deploy":             {"name": "more-fn", "zipBase64": zip},
		"lambda.updateCode":         {"name": "fn", "zipBase64": zip},
		"lambda.updateConfig":       {"name": "fn", "memoryMB": 1024},
		"lambda.delete":             {"name": "fn"},
		"lambda.attachRule":         {"name": "fn", "rule": "more-rule", "schedule": "rate(5 minutes)"},
		"lambda.detachRule":         {"name": "fn", "rule": "dry-rule"},
		"jobs.start":                {"job": "backup"},
	}
	for _, d := range h.srv.Registry.Docs() {
		if _, ok := cases[d.Action]; d.Mutates && !ok {
			t.Errorf("%s changes things but has no dry-run case here", d.Action)
		}
	}
	before := fingerprint(t, h)
	names := make([]string, 0, len(cases))
	for a := range cases {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, action := range names {
		t.Run(action, func(t *testing.T) {
			a := h.direct(action, cases[action], true).ok(t, action)
			if !a.DryRun {
				t.Errorf("answer not marked dryRun")
			}
			if after := fingerprint(t, h); after != before {
				t.Errorf("the dry run changed the account:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// fingerprint is the account's state as far as the commands can change it.
func fingerprint(t *testing.T, h *harness) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	sc := s3client.New(h.cfg)
	bs, err := sc.ListBuckets(ctx, &s3.ListBucketsInput{})
	must(err)
	for _, bk := range bs.Buckets {
		v, err := sc.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: bk.Name})
		must(err)
		fmt.Fprintf(&b, "bucket %s %d/%d; ", aws.ToString(bk.Name), len(v.Versions), len(v.DeleteMarkers))
	}
	ec := ec2client.New(h.cfg)
	is, err := ec.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	must(err)
	for _, r := range is.Reservations {
		for _, i := range r.Instances {
			fmt.Fprintf(&b, "instance %s %s; ", aws.ToString(i.InstanceId), i.State.Name)
		}
	}
	gs, err := ec.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	must(err)
	for _, g := range gs.SecurityGroups {
		fmt.Fprintf(&b, "sg %s %d; ", aws.ToString(g.GroupName), len(g.IpPermissions))
	}
	ic := iamclient.New(h.cfg)
	rs, err := ic.ListRoles(ctx, &iam.ListRolesInput{})
	must(err)
	for _, r := range rs.Roles {
		ap, err := ic.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: r.RoleName})
		must(err)
		fmt.Fprintf(&b, "role %s %d; ", aws.ToString(r.RoleName), len(ap.AttachedPolicies))
	}
	ps, err := ic.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{})
	must(err)
	for _, p := range ps.InstanceProfiles {
		fmt.Fprintf(&b, "profile %s %d; ", aws.ToString(p.InstanceProfileName), len(p.Roles))
	}
	al, err := cloudwatchclient.New(h.cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	must(err)
	for _, a := range al.MetricAlarms {
		fmt.Fprintf(&b, "alarm %s %g; ", aws.ToString(a.AlarmName), aws.ToFloat64(a.Threshold))
	}
	lc := lambdaclient.New(h.cfg)
	fs, err := lc.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	must(err)
	for _, f := range fs.Functions {
		fmt.Fprintf(&b, "function %s %d %s %s", aws.ToString(f.FunctionName), aws.ToInt32(f.MemorySize), aws.ToString(f.CodeSha256), aws.ToString(f.Role))
		if f.Environment != nil {
			fmt.Fprintf(&b, " env %v", f.Environment.Variables) // printed sorted by key
		}
		b.WriteString("; ")
		if p, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: f.FunctionName}); err == nil {
			fmt.Fprintf(&b, "policy %d; ", len(aws.ToString(p.Policy)))
		}
	}
	rl, err := eventbridgeclient.New(h.cfg).ListRules(ctx, &eventbridge.ListRulesInput{})
	must(err)
	for _, r := range rl.Rules {
		tg, err := eventbridgeclient.New(h.cfg).ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: r.Name})
		must(err)
		fmt.Fprintf(&b, "rule %s %d; ", aws.ToString(r.Name), len(tg.Targets))
	}
	return b.String()
}
