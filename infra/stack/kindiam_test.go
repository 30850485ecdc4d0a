package stack

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/tags"
)

// handWritten is the cleanup role's per-type statements as infra/stack/iam.go
// wrote them by hand before they were generated from the declarations
// (policy.Types), copied from it unchanged: actions, the symbolic resources
// (resolved below with the arns helpers, as iam.go did) and the conditions.
// The generated statements must grant exactly these triples, less the ones
// in dropped (and plus the rows marked as added since).
var handWritten = []struct {
	sid        string
	actions    []string
	resources  []string
	conditions map[string]map[string]any
}{
	{"Ec2DescribeHasNoResourceLevelResourceStar", []string{"ec2:DescribeInstances", "ec2:DescribeVolumes", "ec2:DescribeSnapshots", "ec2:DescribeImages",
		"ec2:DescribeAddresses", "ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions"}, []string{"*"}, nil},
	{"Ec2Instances", []string{"ec2:StopInstances", "ec2:TerminateInstances"}, []string{"instances"}, nil},
	{"Ec2Volumes", []string{"ec2:CreateSnapshot", "ec2:DeleteVolume"}, []string{"volumes", "snapshots"}, nil},
	{"Ec2SnapshotsAndImages", []string{"ec2:DeleteSnapshot", "ec2:DeregisterImage"}, []string{"snapshots", "images"}, nil},
	{"Ec2Addresses", []string{"ec2:ReleaseAddress"}, []string{"elastic-ips"}, nil},
	{"Ec2MarkTags", []string{"ec2:CreateTags", "ec2:DeleteTags"}, []string{"ec2Any", "snapshots", "images"}, nil},
	{"LambdaListHasNoResourceLevelResourceStar", []string{"lambda:ListFunctions"}, []string{"*"}, nil},
	{"LambdaFunctions", []string{"lambda:ListTags", "lambda:TagResource", "lambda:UntagResource", "lambda:DeleteFunction",
		"lambda:ListVersionsByFunction", "lambda:ListAliases"}, []string{"functions"}, nil},
	{"IamListHasNoResourceLevelResourceStar", []string{"iam:ListRoles", "iam:ListInstanceProfiles"}, []string{"*"}, nil},
	{"IamRolesRead", []string{"iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies",
		"iam:ListInstanceProfilesForRole", "iam:TagRole", "iam:UntagRole"}, []string{"roles"}, nil},
	{"IamDeleteOwnRoles", []string{"iam:DetachRolePolicy", "iam:DeleteRolePolicy", "iam:DeleteRole"}, []string{"roles"},
		map[string]map[string]any{"StringEquals": {"aws:ResourceTag/commander:managed-by": "commander"}}},
	{"IamInstanceProfiles", []string{"iam:GetInstanceProfile", "iam:TagInstanceProfile",
		"iam:UntagInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"}, []string{"profiles"}, nil},
	{"CloudWatchDescribeHasNoResourceLevelResourceStar", []string{"cloudwatch:DescribeAlarms"}, []string{"*"}, nil},
	// Added with the metric filter (ec2:instance, ec2:volume, lambda:function
	// declare it), after the statements were generated: GetMetricData has no
	// resource-level permission.
	{"CloudWatchMetricDataHasNoResourceLevelResourceStar", []string{"cloudwatch:GetMetricData"}, []string{"*"}, nil},
	{"CloudWatchAlarms", []string{"cloudwatch:DeleteAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:UntagResource"}, []string{"alarms"}, nil},
	{"S3ListAllMyBucketsHasNoResourceLevelResourceStar", []string{"s3:ListAllMyBuckets"}, []string{"*"}, nil},
	{"S3Buckets", []string{"s3:GetBucketTagging", "s3:PutBucketTagging", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads", "s3:DeleteBucket"}, []string{"buckets"}, nil},
	{"S3AbortUploads", []string{"s3:AbortMultipartUpload"}, []string{"objects"}, nil},
}

// dropped are the hand-written triples the declarations do not grant: the
// hand-written statements paired every action with every resource they
// named, and these actions have no such resource type (the Service
// Authorization Reference: DeleteVolume acts on a volume only,
// DeregisterImage on an image only, DeleteSnapshot on a snapshot only), so
// they granted nothing.
var dropped = []struct{ action, resource string }{
	{"ec2:DeleteVolume", "snapshots"},
	{"ec2:DeregisterImage", "snapshots"},
	{"ec2:DeleteSnapshot", "images"},
}

// handWrittenARNs resolves the table's symbols as Policies did.
func handWrittenARNs(a arns) map[string][]string {
	return map[string][]string{
		"*":           {"*"},
		"ec2Any":      a.each("ec2", "*", true),
		"instances":   a.each("ec2", "instance/*", true),
		"volumes":     a.each("ec2", "volume/*", true),
		"snapshots":   a.each("ec2", "snapshot/*", false),
		"images":      a.each("ec2", "image/*", false),
		"elastic-ips": a.each("ec2", "elastic-ip/*", true),
		"functions":   a.each("lambda", "function:*", true),
		"alarms":      a.each("cloudwatch", "alarm:*", true),
		"roles":       {a.global("iam", "role/*")},
		"profiles":    {a.global("iam", "instance-profile/*")},
		"buckets":     {a.s3("*")},
		"objects":     {a.s3("*/*")},
	}
}

// grant is one action on one resource under one condition (as JSON).
type grant struct{ action, resource, conditions string }

func grants(stmts []Statement) map[grant]bool {
	out := map[grant]bool{}
	for _, s := range stmts {
		cond := ""
		if len(s.Conditions) > 0 {
			b, _ := json.Marshal(s.Conditions) // map keys sorted: canonical
			cond = string(b)
		}
		for _, a := range s.Actions {
			for _, r := range s.Resources {
				out[grant{a, r, cond}] = true
			}
		}
	}
	return out
}

// The statements of the cleanup role that are about a resource type (all but
// the audit events and the follow-up invocation).
func kindGrants(c Config) map[grant]bool {
	var stmts []Statement
	for _, s := range Policies(c)["cleanup"] {
		if s.Sid != "AuditEvents" && s.Sid != "FollowUpInvocation" {
			stmts = append(stmts, s)
		}
	}
	return grants(stmts)
}

// The cleanup role grants what it granted when its statements were written
// by hand, with and without configured regions (aws:RequestedRegion).
func TestCleanupGrantsAsHandWritten(t *testing.T) {
	for name, regions := range map[string][]string{"home region": nil, "configured regions": {"eu-west-1", "us-east-1"}} {
		t.Run(name, func(t *testing.T) {
			c := Config{Stage: "dev", Regions: regions}
			a := newARNs(c)
			res := handWrittenARNs(a)
			var stmts []Statement
			for _, h := range handWritten {
				var rs []string
				for _, r := range h.resources {
					if res[r] == nil {
						t.Fatalf("%s: unknown resource %s", h.sid, r)
					}
					rs = append(rs, res[r]...)
				}
				stmts = append(stmts, Statement{Sid: h.sid, Actions: h.actions, Resources: rs, Conditions: h.conditions})
			}
			want := grants(a.regional(stmts))
			for _, d := range dropped {
				n := len(want)
				for _, r := range res[d.resource] {
					for g := range want {
						if g.action == d.action && g.resource == r {
							delete(want, g)
						}
					}
				}
				if len(want) == n {
					t.Errorf("dropped %s on %s was not granted by hand", d.action, d.resource)
				}
			}
			got := kindGrants(c)
			var missing, extra []string
			for g := range want {
				if !got[g] {
					missing = append(missing, g.action+" on "+g.resource+" "+g.conditions)
				}
			}
			for g := range got {
				if !want[g] {
					extra = append(extra, g.action+" on "+g.resource+" "+g.conditions)
				}
			}
			slices.Sort(missing)
			slices.Sort(extra)
			if len(missing) > 0 {
				t.Errorf("the cleanup role lacks what the hand-written one granted:\n  %s", strings.Join(missing, "\n  "))
			}
			if len(extra) > 0 {
				t.Errorf("the cleanup role grants more than the hand-written one:\n  %s", strings.Join(extra, "\n  "))
			}
		})
	}
}

// The generated statements: Sids alphanumeric and unique, named after their
// type (or, on Resource *, with the suffix the cdk-nag reasons and
// TestResourceStarOnlyWhereNeeded read), every action of every declaration
// granted on what it names.
func TestKindStatements(t *testing.T) {
	c := Config{Stage: "dev"}
	a := newARNs(c)
	stmts := kindStatements(a, policy.Types)
	sids := map[string]bool{}
	alnum := regexp.MustCompile(`^[A-Za-z0-9]+$`)
	var typeSids []string
	for _, typ := range policy.TypeNames() {
		typeSids = append(typeSids, sidWords(typ))
	}
	for _, s := range stmts {
		if !alnum.MatchString(s.Sid) || sids[s.Sid] {
			t.Errorf("Sid %q: not alphanumeric, or twice", s.Sid)
		}
		sids[s.Sid] = true
		star := slices.Contains(s.Resources, "*")
		if star != strings.HasSuffix(s.Sid, "ResourceStar") {
			t.Errorf("%s on %v: a statement on Resource * (and only one) says so in its Sid", s.Sid, s.Resources)
		}
		if !star && !slices.ContainsFunc(typeSids, func(p string) bool { return strings.HasPrefix(s.Sid, p) }) {
			t.Errorf("Sid %s names no type", s.Sid)
		}
		if len(s.Actions) == 0 || len(s.Resources) == 0 {
			t.Errorf("%s: empty statement %+v", s.Sid, s)
		}
	}
	got := grants(stmts)
	res := a.kindResources()
	for _, typ := range policy.TypeNames() {
		for _, g := range policy.Types[typ].IAM {
			cond := ""
			if len(g.Conditions) > 0 {
				b, _ := json.Marshal(g.Conditions)
				cond = string(b)
			}
			for _, x := range g.Actions {
				for _, r := range res[g.Resource] {
					if !got[grant{x, r, cond}] {
						t.Errorf("%s: %s on %s %s is declared, not granted", typ, x, r, cond)
					}
				}
			}
		}
	}
	for _, r := range policy.Resources {
		if len(res[r]) == 0 {
			t.Errorf("the symbolic resource %s resolves to nothing", r)
		}
	}
	if !sids["IamRoleRolesIfManagedBy"] || !sids["Ec2Instance"] || !sids[kindStarSid] || !sids[kindGlobalStarSid] {
		t.Errorf("Sids %v: want IamRoleRolesIfManagedBy, Ec2Instance and the two ResourceStar statements", slices.Sorted(maps.Keys(sids)))
	}
	// The condition is the one tags.ManagedBy names (policy cannot import tags).
	if policy.ManagedByKey != managedBy || policy.ManagedByValue != tags.ManagedByValue {
		t.Errorf("policy's managed-by condition %s=%s is not %s=%s", policy.ManagedByKey, policy.ManagedByValue, managedBy, tags.ManagedByValue)
	}
	for _, s := range stmts {
		t.Logf("%s: %v on %v %v", s.Sid, s.Actions, s.Resources, s.Conditions)
	}
}

// A declaration naming a resource the stack cannot resolve stops synth.
func TestKindStatementsRefuseUnknownResources(t *testing.T) {
	types := map[string]policy.Type{"test:thing": {IAM: []policy.Grant{{Actions: []string{"ec2:DescribeThings"}, Resource: "things"}}}}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `cleanup type test:thing: a grant names the resource "things"`) {
			t.Errorf("recovered %v", r)
		}
	}()
	kindStatements(newARNs(Config{Stage: "dev"}), types)
}
