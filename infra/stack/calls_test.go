package stack_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// sdkInput finds the AWS SDK operations a package calls, by their input types.
var sdkInput = regexp.MustCompile(`\b(ec2|s3|lambda|iam|cloudwatch|eventbridge|ssm)\.([A-Z][A-Za-z0-9]+)Input\b`)

// iamAction maps an SDK operation to the IAM action it needs, where the names differ.
var iamAction = map[string]string{
	"s3:ListBuckets": "s3:ListAllMyBuckets", "s3:HeadBucket": "s3:ListBucket", "s3:ListObjectsV2": "s3:ListBucket",
	"s3:ListObjectVersions": "s3:ListBucketVersions", "s3:DeleteObjects": "s3:DeleteObject", "s3:ListMultipartUploads": "s3:ListBucketMultipartUploads",
	"s3:GetBucketEncryption": "s3:GetEncryptionConfiguration", "s3:PutBucketEncryption": "s3:PutEncryptionConfiguration",
	"s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration", "s3:PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
	"s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock", "s3:PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
	"s3:PutBucketCors": "s3:PutBucketCORS", "s3:GetBucketCors": "s3:GetBucketCORS", "lambda:Invoke": "lambda:InvokeFunction",
	// DeleteBucketTagging is authorized by s3:PutBucketTagging (S3 API reference, DeleteBucketTagging).
	"s3:DeleteBucketTagging": "s3:PutBucketTagging",
}

// implicit are actions a role needs although no SDK call is named after them.
var implicit = map[string]string{
	"ec2:CreateTags":         "tags given at creation (TagSpecifications) need it with ec2:CreateAction",
	"iam:PassRole":           "RunInstances with an instance profile and CreateFunction with a role need it",
	"lambda:TagResource":     "CreateFunction with tags needs it",
	"iam:TagRole":            "CreateRole with tags needs it",
	"iam:TagInstanceProfile": "CreateInstanceProfile with tags needs it",
	"cloudwatch:TagResource": "PutMetricAlarm with tags needs it",
	"events:TagResource":     "PutRule with tags needs it",
	"s3:GetObjectVersion":    "GetObject with a version id needs it",
	"s3:DeleteObjectVersion": "DeleteObject(s) with a version id needs it",
}

// sourceCalls returns the IAM actions the non-test Go code under dir needs.
func sourceCalls(t *testing.T, dir string) []string {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != dir && strings.HasSuffix(d.Name(), "test") { // test helper packages (alarmtest, ...)
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range sdkInput.FindAllStringSubmatch(string(b), -1) {
			svc := m[1]
			if svc == "eventbridge" {
				svc = "events"
			}
			a := svc + ":" + m[2]
			if mapped, ok := iamAction[a]; ok {
				a = mapped
			}
			seen[a] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	var out []string
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Moto does not enforce IAM, so an action missing from a role would first fail
// in a real account. This reads each function's code and checks its role
// allows every AWS call it makes.
func TestRolesAllowEveryCallTheCodeMakes(t *testing.T) {
	code := map[string]string{"api": "api", "backup": "backup", "cleanup": "cleanup", "alarm": "alarm", "scheduler": "scheduler"}
	// The shared packages that make calls for a job: its hand-over lives in
	// the runner, cleanup's marks in the tagger; the look for a snapshot whose
	// create's answer was lost in ec2client (FindSnapshots).
	also := map[string][]string{"backup": {"runner", "awsclient/ec2client"}, "cleanup": {"runner", "tagger", "awsclient/ec2client"}, "alarm": {"awsclient/ec2client"}}
	roles := roleStatements(t, "dev")
	for fn, pkg := range code {
		t.Run(fn, func(t *testing.T) {
			var calls []string
			for _, p := range append([]string{pkg, "audit"}, also[fn]...) { // every function emits audit events
				dir := filepath.Join("..", "..", "shared", p)
				if _, err := os.Stat(dir); err != nil {
					t.Fatalf("the %s function's code is not at %s: %v", fn, dir, err)
				}
				calls = append(calls, sourceCalls(t, dir)...)
			}
			allowed := map[string]bool{}
			for _, s := range roles[fn] {
				if s.effect == "Allow" {
					for _, a := range s.actions {
						allowed[a] = true
					}
				}
			}
			for _, a := range calls {
				if !allowed[a] {
					t.Errorf("shared/%s calls %s, which the %s role does not allow: add it to infra/stack/iam.go (cleanup: to the type's declaration in shared/cleanup/policy/types.go)", pkg, a, fn)
				}
			}
			var unused []string
			for a := range allowed {
				svc := a[:strings.Index(a, ":")]
				if slices.Contains([]string{"ec2", "s3", "lambda", "iam", "cloudwatch", "events"}, svc) && !slices.Contains(calls, a) && implicit[a] == "" {
					unused = append(unused, a)
				}
			}
			sort.Strings(unused)
			if len(unused) > 0 {
				t.Errorf("the %s role allows actions its code never calls (least privilege): %s; remove them from infra/stack/iam.go or list them in implicit with the reason",
					fn, strings.Join(unused, ", "))
			}
		})
	}
}
