package stack_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
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
