package catalog_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/api/ec2cmd"
	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The deputy's bounds, end to end against moto: in an account holding
// another team's admin role, function, profile and bucket, the stack's own
// function and resources tagged Commander:Protect=true, every attempt to use
// the api's power beyond its bounds is refused with a 4xx naming the
// parameter, run or dry run, and the account is unchanged. The allowed paths
// still work.
func TestDeputyBoundsEndToEnd(t *testing.T) {
	h := newHarness(t, map[string]string{
		"COMMANDER_STAGE_PREFIX":   "commander-test-",
		"COMMANDER_OBJECT_BUCKETS": "team-shared",
		"COMMANDER_PASSABLE_ROLES": "arn:aws:iam::123456789012:role/team/etl",
	})
	ctx := context.Background()
	ic, lc, sc := iamclient.New(h.cfg), lambdaclient.New(h.cfg), s3client.New(h.cfg)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","ec2.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`
	// Another team's estate, made outside commander.
	admin, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("admin"), AssumeRolePolicyDocument: aws.String(trust)})
	must(err)
	adminArn := aws.ToString(admin.Role.Arn)
	_, err = ic.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("admin"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	must(err)
	_, err = ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("etl"), Path: aws.String("/team/"), AssumeRolePolicyDocument: aws.String(trust)})
	must(err)
	_, err = ic.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("admin-profile")})
	must(err)
	_, err = ic.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("admin-profile"), RoleName: aws.String("admin")})
	must(err)
	code, _ := base64.StdEncoding.DecodeString(zipBase64(t, "theirs"))
	for name, tg := range map[string]map[string]string{
		"payments":           {"team": "payments"},
		"commander-test-api": {"commander:stage": "test", "commander:protect": "true"},
	} {
		_, err = lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String(adminArn), Runtime: ltypes.RuntimeProvidedal2023,
			Handler: aws.String("bootstrap"), Code: &ltypes.FunctionCode{ZipFile: code}, Tags: tg})
		must(err)
	}
	for _, b := range []string{"team-secrets", "team-shared"} {
		_, err = sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
		must(err)
		_, err = sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("db.txt"), Body: bytes.NewReader([]byte("secret"))})
		must(err)
	}
	// Commander's own, some protected in another case.
	h.direct("lambda.deploy", map[string]any{"name": "fn", "zipBase64": zipBase64(t, "v1")}, false).ok(t, "deploy fn")
	h.direct("lambda.deploy", map[string]any{"name": "guarded-fn", "zipBase64": zipBase64(t, "v1"), "tags": map[string]string{"Commander:Protect": "true"}}, false).ok(t, "deploy guarded-fn")
	h.direct("s3.createBucket", map[string]any{"bucket": "ours-guarded", "tags": map[string]string{"Commander:Protect": "true"}}, false).ok(t, "bucket")
	var inst ec2cmd.LaunchResult
	h.direct("ec2.launch", map[string]any{"name": "guarded", "tags": map[string]string{"Commander:Protect": "true"}}, false).ok(t, "launch").into(t, &inst)
	alarm := "commander-cpu-" + inst.Instance.ID
	cw := cloudwatchclient.New(h.cfg)
	al, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{alarm}})
	must(err)
	if len(al.MetricAlarms) != 1 {
		t.Fatalf("launch made no alarm")
	}
	_, err = cw.TagResource(ctx, &cloudwatch.TagResourceInput{ResourceARN: al.MetricAlarms[0].AlarmArn, Tags: []cwtypes.Tag{{Key: aws.String("Commander:Protect"), Value: aws.String("true")}}})
	must(err)

	zip := zipBase64(t, "evil")
	cases := []struct {
		name   string
		action string
		params map[string]any
		status int
		field  string // the parameter named, for a refusal out of bounds
	}{
		{"deploy running as an admin role", "lambda.deploy", map[string]any{"name": "evil", "zipBase64": zip, "roleArn": adminArn}, 403, "roleArn"},
		{"deploy under a name of the stack's", "lambda.deploy", map[string]any{"name": "commander-test-evil", "zipBase64": zip}, 403, "name"},
		{"deploy code from a foreign bucket", "lambda.deploy", map[string]any{"name": "evil", "s3Bucket": "team-secrets", "s3Key": "db.txt"}, 403, "s3Bucket"},
		{"deploy with protection written off", "lambda.deploy", map[string]any{"name": "evil", "zipBase64": zip, "tags": map[string]string{"commander:protect": "false"}}, 400, "tags"},
		{"rewrite another team's code", "lambda.updateCode", map[string]any{"name": "payments", "zipBase64": zip}, 403, "name"},
		// The variable is refused before the function is even looked up.
		{"wrap another team's runtime", "lambda.updateConfig", map[string]any{"name": "payments", "environment": map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/tmp/w"}}, 400, "environment"},
		{"reconfigure another team's function", "lambda.updateConfig", map[string]any{"name": "payments", "environment": map[string]string{"STAGE": "evil"}}, 403, "name"},
		{"wrap its own function's runtime", "lambda.updateConfig", map[string]any{"name": "fn", "environment": map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/tmp/w"}}, 400, "environment"},
		{"give its own function the admin role", "lambda.updateConfig", map[string]any{"name": "fn", "role": adminArn}, 403, "role"},
		{"schedule another team's function", "lambda.attachRule", map[string]any{"name": "payments", "rule": "evil", "schedule": "rate(1 minute)"}, 403, "name"},
		{"delete another team's function", "lambda.delete", map[string]any{"name": "payments"}, 403, "name"},
		{"rewrite the stack's api", "lambda.updateCode", map[string]any{"name": "commander-test-api", "zipBase64": zip}, 403, "name"},
		{"rewrite a protected function", "lambda.updateCode", map[string]any{"name": "guarded-fn", "zipBase64": zip}, 409, ""},
		{"wrap an admin role in a profile", "iam.createInstanceProfile", map[string]any{"name": "evil", "role": "admin"}, 403, "role"},
		{"delete another team's role", "iam.deleteRole", map[string]any{"name": "etl"}, 403, "name"},
		{"delete another team's profile", "iam.deleteInstanceProfile", map[string]any{"name": "admin-profile"}, 403, "name"},
		{"a role with AmazonEC2FullAccess", "iam.createRole", map[string]any{"name": "evil", "service": "ec2.amazonaws.com", "policyArns": []string{"arn:aws:iam::aws:policy/AmazonEC2FullAccess"}}, 403, "policyArns"},
		{"a role with SecretsManagerReadWrite", "iam.createRole", map[string]any{"name": "evil", "service": "lambda.amazonaws.com", "policyArns": []string{"arn:aws:iam::aws:policy/SecretsManagerReadWrite"}}, 403, "policyArns"},
		{"a role outside the role path", "iam.createRole", map[string]any{"name": "evil", "service": "lambda.amazonaws.com", "path": "/"}, 403, "path"},
		{"launch with a profile holding the admin role", "ec2.launch", map[string]any{"name": "evil", "instanceProfile": "admin-profile", "userData": "#!/bin/sh\naws iam create-user --user-name me\n"}, 403, "instanceProfile"},
		{"read a foreign bucket", "s3.getObject", map[string]any{"bucket": "team-secrets", "key": "db.txt"}, 403, "bucket"},
		{"presign into a foreign bucket", "s3.presign", map[string]any{"bucket": "team-secrets", "key": "db.txt", "expiresSeconds": 3600}, 403, "bucket"},
		{"list a foreign bucket", "s3.listObjects", map[string]any{"bucket": "team-secrets"}, 403, "bucket"},
		{"delete in a foreign bucket", "s3.deleteObject", map[string]any{"bucket": "team-secrets", "key": "db.txt"}, 403, "bucket"},
		{"empty a foreign bucket", "s3.deleteBucket", map[string]any{"bucket": "team-secrets", "empty": true}, 403, "bucket"},
		{"write into a protected bucket", "s3.putObject", map[string]any{"bucket": "ours-guarded", "key": "x", "contentBase64": "YQ=="}, 409, ""},
		{"a bucket with protection written off", "s3.createBucket", map[string]any{"bucket": "evil-bucket", "tags": map[string]string{"COMMANDER:PROTECT": "false"}}, 400, "tags"},
		{"reboot a protected instance", "ec2.reboot", map[string]any{"id": inst.Instance.ID}, 409, ""},
		{"stop a protected instance", "ec2.stop", map[string]any{"id": inst.Instance.ID}, 409, ""},
		{"delete a protected alarm", "cloudwatch.deleteAlarms", map[string]any{"names": []string{alarm}}, 409, ""},
		{"replace a protected alarm", "cloudwatch.createCpuAlarm", map[string]any{"instanceId": inst.Instance.ID, "threshold": 1}, 409, ""},
	}
	before := fingerprint(t, h)
	for _, tc := range cases {
		for _, dry := range []bool{false, true} {
			name := tc.name
			if dry {
				name += " (dry run)"
			}
			t.Run(name, func(t *testing.T) {
				a := h.direct(tc.action, tc.params, dry)
				code := map[int]string{403: "OutOfBounds", 409: "Protected", 400: "InvalidParameter"}[tc.status]
				a.is(t, tc.action, tc.status, code)
				if a.Error.Field != tc.field {
					t.Errorf("field = %q, want %q (%s)", a.Error.Field, tc.field, a.Error.Message)
				}
				if after := fingerprint(t, h); after != before {
					t.Errorf("the account changed:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	}

	// The allowed paths: a role the api created, or one the stage lists, is
	// passable; a profile around one launches; a listed bucket is readable.
	var role struct {
		Arn string `json:"arn"`
	}
	h.direct("iam.createRole", map[string]any{"name": "app", "service": "ec2.amazonaws.com",
		"policyArns": []string{"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}}, false).ok(t, "allowed role").into(t, &role)
	if !strings.Contains(role.Arn, ":role/commander/app") {
		t.Errorf("role %s is not under the role path", role.Arn)
	}
	h.direct("iam.createInstanceProfile", map[string]any{"name": "app", "role": "app"}, false).ok(t, "profile around its own role")
	h.direct("ec2.launch", map[string]any{"name": "app", "instanceProfile": "app", "alarm": false}, false).ok(t, "launch with its own profile")
	h.direct("lambda.deploy", map[string]any{"name": "etl", "zipBase64": zip, "roleArn": "arn:aws:iam::123456789012:role/team/etl"}, false).ok(t, "deploy as a listed role")
	var fnRole struct {
		Arn string `json:"arn"`
	}
	h.direct("iam.createRole", map[string]any{"name": "fn2-exec", "service": "lambda.amazonaws.com"}, false).ok(t, "exec role").into(t, &fnRole)
	h.direct("lambda.updateConfig", map[string]any{"name": "fn", "role": fnRole.Arn, "environment": map[string]string{"STAGE": "test"}}, false).ok(t, "its own function, its own role")
	var obj struct {
		Content string `json:"contentBase64"`
	}
	h.direct("s3.getObject", map[string]any{"bucket": "team-shared", "key": "db.txt"}, false).ok(t, "read a listed bucket").into(t, &obj)
	if b, _ := base64.StdEncoding.DecodeString(obj.Content); string(b) != "secret" {
		t.Errorf("listed object = %q", b)
	}
	ec := ec2client.New(h.cfg)
	out, err := ec.DescribeInstances(ctx, nil)
	must(err)
	n := 0
	for _, r := range out.Reservations {
		n += len(r.Instances)
	}
	if n != 2 {
		t.Errorf("%d instances, want the protected one and app", n)
	}
	fn, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
	must(err)
	if aws.ToString(fn.Configuration.Role) != fnRole.Arn || fn.Tags[tags.ManagedBy] != tags.ManagedByValue {
		t.Errorf("fn runs as %s, tags %v", aws.ToString(fn.Configuration.Role), fn.Tags)
	}
	got, err := sc.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("team-secrets"), Key: aws.String("db.txt")})
	must(err)
	body, _ := io.ReadAll(got.Body)
	if string(body) != "secret" {
		t.Errorf("foreign object = %q", body)
	}
}
