package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// reply is a direct invocation's answer.
type reply struct {
	StatusCode int             `json:"statusCode"`
	Result     json.RawMessage `json:"result"`
	Error      *struct {
		Code    string `json:"code"`
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"error"`
	ErrorMessage string `json:"errorMessage"` // a function error (the runtime's)
}

// Findings 1, 2, 3 and 6 (api side) of the security review, one case per
// attack: the real api bootstrap under the RIE, invoked directly (the
// operator's door) against moto, refuses each with a clear error naming
// the parameter, and the account is as it was. The allowed paths still
// work: a role the api created is passable, a listed bucket readable.
func TestEscalationDeputy(t *testing.T) {
	emulatortest.Moto(t)
	ctx := context.Background()
	cfg, err := awsclient.Load(ctx, "us-east-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	ic, lc, sc, ec, cw, eb := iamclient.New(cfg), lambdaclient.New(cfg), s3client.New(cfg), ec2client.New(cfg), cloudwatchclient.New(cfg), eventbridgeclient.New(cfg)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	fn := emulatortest.Function(t, "api", map[string]string{"COMMANDER_OBJECT_BUCKETS": "team-shared"})
	invoke := func(t *testing.T, action string, params map[string]any) reply {
		t.Helper()
		raw, _ := json.Marshal(map[string]any{"action": action, "params": params, "dryRun": false})
		out, err := fn.Invoke(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		var r reply
		if err := json.Unmarshal(out, &r); err != nil || r.ErrorMessage != "" {
			t.Fatalf("answer %s: %v", out, err)
		}
		return r
	}
	ok := func(t *testing.T, action string, params map[string]any) reply {
		t.Helper()
		r := invoke(t, action, params)
		if r.StatusCode != 200 {
			t.Fatalf("%s: %d %+v", action, r.StatusCode, r.Error)
		}
		return r
	}

	// Another team's estate: an admin role, a function running as it, a
	// profile holding it, a bucket with a secret.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","ec2.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`
	admin, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("team-admin"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	adminArn := aws.ToString(admin.Role.Arn)
	must(ic.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("team-admin"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))
	must(ic.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("team-admin")}))
	must(ic.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("team-admin"), RoleName: aws.String("team-admin")}))
	theirs := zipFile(t, "theirs")
	foreign, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("payments"), Role: aws.String(adminArn),
		Runtime: ltypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &ltypes.FunctionCode{ZipFile: theirs}, Tags: map[string]string{"team": "payments"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"team-secrets", "team-shared"} {
		must(sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}))
		must(sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("db.txt"), Body: bytes.NewReader([]byte("secret"))}))
	}
	// Commander's own resources, protected with the key in another case.
	ok(t, "lambda.deploy", map[string]any{"name": "guarded-fn", "zipBase64": base64.StdEncoding.EncodeToString(zipFile(t, "v1")), "tags": map[string]string{"Commander:Protect": "true"}})
	guardedFn, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("guarded-fn")})
	if err != nil {
		t.Fatal(err)
	}
	ok(t, "s3.createBucket", map[string]any{"bucket": "ours-guarded", "tags": map[string]string{"Commander:Protect": "true"}})
	var launched struct {
		Instance struct {
			ID string `json:"instanceId"`
		} `json:"instance"`
	}
	json.Unmarshal(ok(t, "ec2.launch", map[string]any{"name": "guarded", "tags": map[string]string{"Commander:Protect": "true"}}).Result, &launched)
	id := launched.Instance.ID
	alarm := "commander-cpu-" + id
	al, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{alarm}})
	if err != nil || len(al.MetricAlarms) != 1 {
		t.Fatalf("the launch made no alarm: %v", err)
	}
	must(cw.TagResource(ctx, &cloudwatch.TagResourceInput{ResourceARN: al.MetricAlarms[0].AlarmArn, Tags: []cwtypes.Tag{{Key: aws.String("Commander:Protect"), Value: aws.String("true")}}}))

	// What each attack must leave as it was.
	codeOf := func(t *testing.T, name string) string {
		out, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		c := out.Configuration
		env := map[string]string{}
		if c.Environment != nil {
			env = c.Environment.Variables
		}
		b, _ := json.Marshal(map[string]any{"sha": aws.ToString(c.CodeSha256), "role": aws.ToString(c.Role), "env": env})
		return string(b)
	}
	gone := func(what string, err error) func(t *testing.T) {
		return func(t *testing.T) {
			if err == nil {
				t.Errorf("%s exists", what)
			}
		}
	}
	instances := func(t *testing.T) int {
		out, err := ec.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}}}})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range out.Reservations {
			n += len(r.Instances)
		}
		return n
	}
	foreignCode := codeOf(t, "payments")
	evil := base64.StdEncoding.EncodeToString(zipFile(t, "evil"))
	cases := []struct {
		finding string
		action  string
		params  map[string]any
		status  int
		field   string // "" for a protection refusal
		check   func(t *testing.T)
	}{
		{"1: deploy running as an existing admin role", "lambda.deploy", map[string]any{"name": "evil", "zipBase64": evil, "roleArn": adminArn}, 403, "roleArn",
			func(t *testing.T) {
				_, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("evil")})
				gone("function evil", err)(t)
			}},
		{"1: rewrite another team's code", "lambda.updateCode", map[string]any{"name": "payments", "zipBase64": evil}, 403, "name",
			func(t *testing.T) {
				if got := codeOf(t, "payments"); got != foreignCode {
					t.Errorf("payments = %s, was %s", got, foreignCode)
				}
			}},
		{"1: wrap another team's runtime (AWS_LAMBDA_EXEC_WRAPPER)", "lambda.updateConfig", map[string]any{"name": "payments", "environment": map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": "/tmp/wrap"}}, 400, "environment",
			func(t *testing.T) {
				if got := codeOf(t, "payments"); got != foreignCode {
					t.Errorf("payments = %s, was %s", got, foreignCode)
				}
			}},
		{"1: reconfigure another team's function", "lambda.updateConfig", map[string]any{"name": "payments", "memoryMB": 1024}, 403, "name",
			func(t *testing.T) {
				out, _ := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("payments")})
				if aws.ToInt32(out.Configuration.MemorySize) != aws.ToInt32(foreign.MemorySize) {
					t.Errorf("memory = %d", aws.ToInt32(out.Configuration.MemorySize))
				}
			}},
		{"1: schedule another team's function", "lambda.attachRule", map[string]any{"name": "payments", "rule": "evil", "schedule": "rate(1 minute)"}, 403, "name",
			func(t *testing.T) {
				_, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("evil")})
				gone("rule evil", err)(t)
				if _, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("payments")}); err == nil {
					t.Error("payments got an invoke permission")
				}
			}},
		{"1: wrap an existing admin role in a profile", "iam.createInstanceProfile", map[string]any{"name": "evil", "role": "team-admin"}, 403, "role",
			func(t *testing.T) {
				_, err := ic.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("evil")})
				gone("profile evil", err)(t)
			}},
		{"1: launch with a profile holding a foreign role", "ec2.launch", map[string]any{"name": "evil", "instanceProfile": "team-admin", "alarm": false,
			"userData": "#!/bin/sh\naws iam create-access-key --user-name root\n"}, 403, "instanceProfile",
			func(t *testing.T) {
				if n := instances(t); n != 1 {
					t.Errorf("%d instances running, want only the protected one", n)
				}
			}},
		{"1: read a foreign bucket", "s3.getObject", map[string]any{"bucket": "team-secrets", "key": "db.txt"}, 403, "bucket", nil},
		{"1: presign into a foreign bucket", "s3.presign", map[string]any{"bucket": "team-secrets", "key": "db.txt", "expiresSeconds": 3600}, 403, "bucket", nil},
		{"1: write into a protected bucket", "s3.putObject", map[string]any{"bucket": "ours-guarded", "key": "planted", "contentBase64": "YQ=="}, 409, "",
			func(t *testing.T) {
				_, err := sc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("ours-guarded"), Key: aws.String("planted")})
				gone("object planted", err)(t)
			}},
		{"2: a role with AmazonEC2FullAccess", "iam.createRole", map[string]any{"name": "evil-ec2", "service": "ec2.amazonaws.com", "policyArns": []string{"arn:aws:iam::aws:policy/AmazonEC2FullAccess"}}, 403, "policyArns",
			func(t *testing.T) {
				_, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("evil-ec2")})
				gone("role evil-ec2", err)(t)
			}},
		{"2: a role with SecretsManagerReadWrite", "iam.createRole", map[string]any{"name": "evil-secrets", "service": "lambda.amazonaws.com", "policyArns": []string{"arn:aws:iam::aws:policy/SecretsManagerReadWrite"}}, 403, "policyArns",
			func(t *testing.T) {
				_, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("evil-secrets")})
				gone("role evil-secrets", err)(t)
			}},
		{"6: reboot an instance tagged Commander:Protect=true", "ec2.reboot", map[string]any{"id": id}, 409, "",
			func(t *testing.T) {
				if n := instances(t); n != 1 {
					t.Errorf("the protected instance is not running")
				}
			}},
		{"6: rewrite a function tagged Commander:Protect=true", "lambda.updateCode", map[string]any{"name": "guarded-fn", "zipBase64": evil}, 409, "",
			func(t *testing.T) {
				out, _ := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("guarded-fn")})
				if aws.ToString(out.Configuration.CodeSha256) != aws.ToString(guardedFn.Configuration.CodeSha256) {
					t.Error("the protected function's code changed")
				}
			}},
		{"6: delete an alarm tagged Commander:Protect=true", "cloudwatch.deleteAlarms", map[string]any{"names": []string{alarm}}, 409, "",
			func(t *testing.T) {
				out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{alarm}})
				if err != nil || len(out.MetricAlarms) != 1 {
					t.Errorf("the protected alarm is gone: %v", err)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.finding, func(t *testing.T) {
			r := invoke(t, tc.action, tc.params)
			want := map[int]string{400: "InvalidParameter", 403: "OutOfBounds", 409: "Protected"}[tc.status]
			if r.StatusCode != tc.status || r.Error == nil || r.Error.Code != want || r.Error.Field != tc.field {
				t.Fatalf("%s answered %d %+v, want %d %s naming %q", tc.action, r.StatusCode, r.Error, tc.status, want, tc.field)
			}
			if tc.field != "" && !strings.Contains(r.Error.Message, `"`+tc.field+`"`) {
				t.Errorf("the message does not name %s: %s", tc.field, r.Error.Message)
			}
			if tc.check != nil {
				tc.check(t)
			}
		})
	}
	// Nothing of the attacks is left: no role beyond the team's admin (and no
	// role deploy would have made), the secret as it was.
	roles, err := ic.ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles.Roles {
		if n := aws.ToString(r.RoleName); n != "team-admin" && n != "guarded-fn-role" {
			t.Errorf("role %s left behind", n)
		}
	}

	t.Run("allowed: a role the api created is passable", func(t *testing.T) {
		var role struct {
			Arn string `json:"arn"`
		}
		json.Unmarshal(ok(t, "iam.createRole", map[string]any{"name": "app-exec", "service": "lambda.amazonaws.com",
			"policyArns": []string{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}}).Result, &role)
		ok(t, "lambda.deploy", map[string]any{"name": "app", "zipBase64": evil, "roleArn": role.Arn})
		out, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("app")})
		if err != nil || aws.ToString(out.Configuration.Role) != role.Arn || !strings.Contains(role.Arn, ":role/commander/") {
			t.Fatalf("app: %v, role %s", err, role.Arn)
		}
		ok(t, "iam.createInstanceProfile", map[string]any{"name": "app", "role": "app-exec"})
		ok(t, "lambda.updateConfig", map[string]any{"name": "app", "environment": map[string]string{"STAGE": "test"}})
	})
	t.Run("allowed: a listed bucket is readable", func(t *testing.T) {
		var obj struct {
			Content string `json:"contentBase64"`
		}
		json.Unmarshal(ok(t, "s3.getObject", map[string]any{"bucket": "team-shared", "key": "db.txt"}).Result, &obj)
		if b, _ := base64.StdEncoding.DecodeString(obj.Content); string(b) != "secret" {
			t.Errorf("object = %q", b)
		}
	})
}

// zipFile is a deployment package holding a bootstrap with body.
func zipFile(t *testing.T, body string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.Create("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(body))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
