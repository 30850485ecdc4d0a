package stack_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws-commander/commander/infra/stack"
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

func findings(st awscdk.Stack) (errs, warns []string) {
	a := assertions.Annotations_FromStack(st)
	re := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
	for _, m := range *a.FindError(jsii.String("*"), re) {
		errs = append(errs, *m.Id+": "+jsonString(m.Entry.Data))
	}
	for _, m := range *a.FindWarning(jsii.String("*"), re) {
		warns = append(warns, *m.Id+": "+jsonString(m.Entry.Data))
	}
	return errs, warns
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestNagAwsSolutionsClean(t *testing.T) {
	for stage, st := range stacks {
		errs, warns := findings(st.Stack)
		for _, e := range errs {
			t.Errorf("%s: unsuppressed cdk-nag error %s", stage, e)
		}
		for _, w := range warns {
			t.Errorf("%s: unsuppressed cdk-nag warning %s", stage, w)
		}
	}
}

// The checks really run: the same AddChecks flags an unencrypted queue.
func TestNagCatchesFindings(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	st := awscdk.NewStack(app, jsii.String("bad"), nil)
	awssqs.NewQueue(st, jsii.String("Plain"), &awssqs.QueueProps{Encryption: awssqs.QueueEncryption_UNENCRYPTED})
	stack.AddChecks(app)
	errs, _ := findings(st)
	joined := strings.Join(errs, "\n")
	for _, rule := range []string{"AwsSolutions-SQS2", "AwsSolutions-SQS4"} {
		if !strings.Contains(joined, rule) {
			t.Errorf("cdk-nag did not report %s; got:\n%s", rule, joined)
		}
	}
}

// Every suppression names a rule and gives a specific reason.
func TestNagSuppressionsHaveReasons(t *testing.T) {
	n := 0
	for stage := range resources {
		for id, r := range resources[stage] {
			md, _ := r["Metadata"].(map[string]any)
			nag, _ := md["cdk_nag"].(map[string]any)
			rules, _ := nag["rules_to_suppress"].([]any)
			for _, x := range rules {
				s := x.(map[string]any)
				n++
				reason, _ := s["reason"].(string)
				if !strings.HasPrefix(s["id"].(string), "AwsSolutions-") || len(reason) < 60 {
					t.Errorf("%s %s: suppression %v lacks a specific reason", stage, id, s)
				}
				// A wildcard is accepted one finding at a time, never for a whole resource.
				if applies, _ := s["applies_to"].([]any); s["id"] == "AwsSolutions-IAM5" && len(applies) == 0 {
					t.Errorf("%s %s: an IAM5 suppression without applies_to accepts every wildcard, present and future: %.200v", stage, id, s)
				}
			}
		}
	}
	if n == 0 {
		t.Error("no suppressions found: the metadata moved, so this test checks nothing")
	}
}

// cfn-lint: no errors and no warnings, except W3005, which flags the explicit
// DependsOn CDK adds from each function to its role (harmless, and CDK's choice).
func TestCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("cfn-lint is not installed (pip install cfn-lint); CI requires it")
		}
		t.Skip("cfn-lint not installed")
	}
	args := []string{"--ignore-checks", "W3005", "--"}
	for stage := range templates {
		path := filepath.Join(t.TempDir(), stage+".template.json")
		b, err := json.MarshalIndent(*templates[stage].ToJSON(), "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, path)
	}
	// One run for every stage: cfn-lint's start-up is most of its time.
	if out, err := exec.Command(lint, args...).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

// Each wildcard gets its own suppression, matching only its own finding as
// cdk-nag renders it, with a reason that names its actions and what guards them.
func TestWildcardSuppressions(t *testing.T) {
	part, acct, region := *awscdk.Aws_PARTITION(), *awscdk.Aws_ACCOUNT_ID(), *awscdk.Aws_REGION()
	instances := "arn:" + part + ":ec2:" + region + ":" + acct + ":instance/*"
	buckets := "arn:" + part + ":s3:::*"
	sup := *stack.WildcardSuppressions([]stack.Statement{
		{Actions: []string{"ec2:DescribeInstances"}, Resources: []string{"*"}},
		{Actions: []string{"ec2:TerminateInstances", "ec2:CreateTags"}, Resources: []string{instances}},
		{Actions: []string{"s3:DeleteBucket"}, Resources: []string{buckets}},
		{Actions: []string{"lambda:CreateFunction"}, Resources: []string{"*"}, Conditions: map[string]map[string]any{"StringEquals": {"aws:RequestTag/commander:managed-by": "commander"}}},
		{Deny: true, Actions: []string{"ec2:TerminateInstances"}, Resources: []string{"*"}},
		{Actions: []string{"sqs:SendMessage"}, Resources: []string{"arn:" + part + ":sqs:" + region + ":" + acct + ":commander-dev-dlq"}},
	})
	if len(sup) != 3 {
		t.Fatalf("%d suppressions, want one per wildcard resource (Resource *, instance/*, bucket *)", len(sup))
	}
	cases := []struct {
		name     string
		i        int
		matches  []string
		misses   []string
		inReason []string
	}{
		{"Resource *", 0, []string{"Resource::*"}, nil, []string{"ec2:DescribeInstances", "lambda:CreateFunction", "aws:RequestTag/commander:managed-by"}},
		{"instances", 1,
			[]string{"Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*", "Resource::arn:<AWS::Partition>:ec2:*:<AWS::AccountId>:instance/*"},
			[]string{"Resource::arn:<AWS::Partition>:ec2:*:<AWS::AccountId>:volume/*", "Resource::arn:<AWS::Partition>:ec2:*:<AWS::AccountId>:instance/*/x"},
			[]string{"ec2:CreateTags, ec2:TerminateInstances", "protection policy denies ec2:TerminateInstances"}},
		{"buckets", 2, []string{"Resource::arn:<AWS::Partition>:s3:::*"}, []string{"Resource::arn:<AWS::Partition>:s3:::*/*"}, []string{"s3:DeleteBucket", "the code refuses protected buckets"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := sup[c.i]
			match := func(finding string) bool {
				switch a := (*s.AppliesTo)[0].(type) {
				case string:
					return a == finding
				case map[string]any:
					re := a["regex"].(string)
					return regexp.MustCompile(strings.TrimSuffix(strings.TrimPrefix(re, "/"), "/g")).MatchString(finding)
				}
				return false
			}
			for _, f := range c.matches {
				if !match(f) {
					t.Errorf("%v does not match %s", (*s.AppliesTo)[0], f)
				}
			}
			for _, f := range c.misses {
				if match(f) {
					t.Errorf("%v matches %s too", (*s.AppliesTo)[0], f)
				}
			}
			for _, w := range c.inReason {
				if !strings.Contains(*s.Reason, w) {
					t.Errorf("reason %q lacks %q", *s.Reason, w)
				}
			}
		})
	}
}
