package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestMain makes moto (started by the first test, inheriting this
// environment) serve AWS managed policies, as real IAM does.
func TestMain(m *testing.M) {
	os.Setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
	emulatortest.Main(m)
}

// answer is either entry point's answer: an HTTP response (statusCode,
// body) or a direct Response (statusCode, result, error).
type answer struct {
	StatusCode   int             `json:"statusCode"`
	Body         string          `json:"body"`
	Error        json.RawMessage `json:"error"`
	ErrorMessage string          `json:"errorMessage"`
}

// The real bootstrap, under the Lambda Runtime Interface Emulator, answers
// every api sample, replayed in order against a fresh moto, with a 200, and
// the account ends as the samples say.
func TestBootstrapAnswersSamples(t *testing.T) {
	emulatortest.Moto(t)
	// The jobs sample starts a backup: point it at the function a sample deploys.
	// Invoked as the HTTP API integration does (the alias), which HTTP samples need.
	fn := emulatortest.Function(t, "api", map[string]string{"COMMANDER_BACKUP_FUNCTION": "commander-demo-fn", "AWS_LAMBDA_FUNCTION_NAME": "commander-test-api:" + api.IntegrationAlias})
	samples, err := events.Samples("api")
	if err != nil || len(samples) < 40 {
		t.Fatalf("samples: %v (%d)", err, len(samples))
	}
	for _, s := range samples {
		ok := t.Run(s.Name, func(t *testing.T) {
			out, err := fn.Invoke(context.Background(), s.Body)
			if err != nil {
				t.Fatal(err)
			}
			var a answer
			if err := json.Unmarshal(out, &a); err != nil {
				t.Fatalf("answer is not JSON: %s", out)
			}
			if a.StatusCode != 200 || a.ErrorMessage != "" {
				t.Fatalf("answer = %s", out)
			}
			if strings.HasSuffix(s.Name, "-http.json") && !json.Valid([]byte(a.Body)) {
				t.Errorf("HTTP body is not JSON: %s", a.Body)
			}
		})
		if !ok {
			t.FailNow() // later samples depend on earlier ones
		}
	}

	// The replay leaves no demo bucket behind, and the instance it launched
	// carries IMDSv2 and the caller's identity.
	ctx := context.Background()
	cfg, err := awsclient.Load(ctx, "us-east-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	buckets, err := s3client.New(cfg).ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(buckets.Buckets) != 0 {
		t.Errorf("buckets left: %v %d", err, len(buckets.Buckets))
	}
	out, err := ec2client.New(cfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil || len(out.Reservations) != 1 {
		t.Fatalf("instances: %v %d reservations", err, len(out.Reservations))
	}
	inst := out.Reservations[0].Instances[0]
	if string(inst.MetadataOptions.HttpTokens) != "required" {
		t.Errorf("IMDSv2 not required")
	}
	found := false
	for _, tg := range inst.Tags {
		found = found || (aws.ToString(tg.Key) == "commander:created-by" && aws.ToString(tg.Value) == "arn:aws:iam::123456789012:user/alice")
	}
	if !found {
		t.Errorf("created-by tag missing: %+v", inst.Tags)
	}
	if inst.IamInstanceProfile == nil || !strings.HasSuffix(aws.ToString(inst.IamInstanceProfile.Arn), "/commander-demo-ec2") {
		t.Errorf("instance profile = %+v", inst.IamInstanceProfile)
	}
	roles, err := iamclient.New(cfg).ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil || len(roles.Roles) != 0 {
		t.Errorf("roles left: %v %d", err, len(roles.Roles))
	}
}

// A bad setting stops the start with a message naming the variable.
func TestBootstrapRefusesBadSettings(t *testing.T) {
	emulatortest.Moto(t)
	fn := emulatortest.Function(t, "api", map[string]string{"COMMANDER_BACKUP_FUNCTION": "not a function name"})
	out, _ := fn.Invoke(context.Background(), []byte(`{"action":"commands.list"}`))
	if strings.Contains(string(out), `"statusCode":200`) {
		t.Fatalf("the handler ran despite a bad setting: %s", out)
	}
	if !fn.AwaitOutput(`COMMANDER_BACKUP_FUNCTION=\"not a function name\" is invalid`, 5*time.Second) {
		t.Errorf("the function's log must name the variable and value; got %s", fn.Output())
	}
}
