package stack_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws-commander/commander/infra/stack"
)

type statement struct {
	effect     string
	actions    []string
	resources  []string
	conditions map[string]any
}

func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out
	case nil:
		return nil
	}
	return []string{fmt.Sprint(v)} // an intrinsic function: a scoped ARN
}

func parse(doc any) []statement {
	d, _ := doc.(map[string]any)
	list, _ := d["Statement"].([]any)
	var out []statement
	for _, x := range list {
		s, _ := x.(map[string]any)
		c, _ := s["Condition"].(map[string]any)
		out = append(out, statement{effect: fmt.Sprint(s["Effect"]), actions: strs(s["Action"]), resources: strs(s["Resource"]), conditions: c})
	}
	return out
}

// statementsOf returns the identity-policy statements a resource carries.
func statementsOf(r map[string]any) []statement {
	p := props(r)
	var out []statement
	switch r["Type"] {
	case "AWS::IAM::Role":
		list, _ := p["Policies"].([]any)
		for _, x := range list {
			m, _ := x.(map[string]any)
			out = append(out, parse(m["PolicyDocument"])...)
		}
	case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
		out = parse(p["PolicyDocument"])
	}
	return out
}

// roleStatements are every statement in effect for each function's role: its
// inline policy and the policies attached to it.
func roleStatements(t *testing.T, stage string) map[string][]statement {
	t.Helper()
	out := map[string][]statement{}
	for _, spec := range stack.Specs {
		id := idOf(stage, "AWS::IAM::Role", strings.ToUpper(spec.Name[:1])+spec.Name[1:]+"Role")
		if id == "" {
			t.Fatalf("no role for %s", spec.Name)
		}
		out[spec.Name] = statementsOf(resources[stage][id])
		// Inline policies, and the protection policy every role is attached to.
		policies := ofType(stage, "AWS::IAM::Policy")
		maps.Copy(policies, ofType(stage, "AWS::IAM::ManagedPolicy"))
		for _, r := range policies {
			attached, _ := props(r)["Roles"].([]any)
			for _, role := range attached {
				if m, _ := role.(map[string]any); m["Ref"] == id {
					out[spec.Name] = append(out[spec.Name], statementsOf(r)...)
				}
			}
		}
		if mp := props(resources[stage][id])["ManagedPolicyArns"]; mp != nil {
			t.Errorf("%s role has managed policies %v", spec.Name, mp)
		}
	}
	return out
}

// protects: s's condition is the guard's protection rule on key (present,
// not "false"), or, for object tags, equal to "true".
func protects(s statement, key string) bool {
	null, _ := s.conditions["Null"].(map[string]any)
	notFalse, _ := s.conditions["StringNotEqualsIgnoreCase"].(map[string]any)
	if fmt.Sprint(null[key]) == "false" && fmt.Sprint(notFalse[key]) == "false" {
		return true
	}
	for _, op := range []string{"StringEqualsIgnoreCase", "StringEquals"} {
		if m, ok := s.conditions[op].(map[string]any); ok && strings.EqualFold(fmt.Sprint(m[key]), "true") {
			return true
		}
	}
	return false
}

// issueDestructive is the issue's list, kept apart from the code's so that
// dropping an action from stack.Destructive fails here.
var issueDestructive = []string{
	"ec2:TerminateInstances", "ec2:StopInstances", "ec2:DeleteVolume", "ec2:DeleteSnapshot", "ec2:DeregisterImage", "ec2:ReleaseAddress",
	"s3:DeleteBucket", "s3:DeleteObject", "s3:DeleteObjectVersion",
	"lambda:DeleteFunction", "lambda:PutFunctionConcurrency",
	"iam:DeleteRole", "iam:DeleteInstanceProfile",
	"cloudwatch:DeleteAlarms",
}

func TestDestructiveActionsDeniedOnProtected(t *testing.T) {
	for stage := range resources {
		for fn, stmts := range roleStatements(t, stage) {
			t.Run(stage+"/"+fn, func(t *testing.T) {
				denied := map[string]bool{}
				for _, s := range stmts {
					if s.effect == "Deny" && slices.Contains(s.resources, "*") && protects(s, "aws:ResourceTag/commander:protect") {
						for _, a := range s.actions {
							denied[a] = true
						}
					}
				}
				for _, a := range append(issueDestructive, stack.Destructive...) {
					if !denied[a] {
						t.Errorf("%s is not denied on resources tagged commander:protect=true", a)
					}
				}
				allowed := 0
				for _, s := range stmts {
					for _, a := range s.actions {
						if s.effect == "Allow" && (slices.Contains(stack.Destructive, a) || slices.Contains(issueDestructive, a)) {
							allowed++
							if !denied[a] {
								t.Errorf("allowed destructive %s has no protection Deny", a)
							}
						}
					}
				}
				if fn != "backup" && allowed == 0 {
					t.Errorf("%s allows no destructive action: the table is wrong", fn)
				}
			})
		}
	}
}

// No role, and no role under the boundary, can strip or change the
// protection tag of a protected resource or object: every tagging action a
// role holds has a Deny with the guard's conditions (untagging: the key is
// named at all; tagging: the key is named and not set to true).
func TestProtectionTagCannotBeStripped(t *testing.T) {
	type deny struct {
		actions []string
		key     string // the resource's tag under the guard's rule
		request string // "": any removal; else the request key that must be "true"
	}
	wants := []deny{
		{stack.UntagActions, "aws:ResourceTag/commander:protect", ""},
		{stack.TagActions, "aws:ResourceTag/commander:protect", "aws:RequestTag/commander:protect"},
		{stack.ObjectUntaggingActions, "s3:ExistingObjectTag/commander:protect", ""},
		{stack.ObjectTaggingActions, "s3:ExistingObjectTag/commander:protect", "s3:RequestObjectTag/commander:protect"},
	}
	check := func(t *testing.T, stmts []statement) {
		denied := map[string]bool{}
		for _, w := range wants {
			for _, a := range w.actions {
				ok := slices.ContainsFunc(stmts, func(s statement) bool {
					if s.effect != "Deny" || !slices.Contains(s.actions, a) || !protects(s, w.key) {
						return false
					}
					notTrue, _ := s.conditions["StringNotEqualsIgnoreCase"].(map[string]any)
					if w.request == "" {
						if len(notTrue) != 1 { // nothing lets a removal through
							return false
						}
					} else if fmt.Sprint(notTrue[w.request]) != "true" {
						return false
					}
					if strings.HasPrefix(w.key, "s3:") {
						return true // an object's whole tag set is replaced or removed: no aws:TagKeys
					}
					names, _ := s.conditions["ForAnyValue:StringEqualsIgnoreCase"].(map[string]any)
					return strings.Contains(fmt.Sprint(names["aws:TagKeys"]), "commander:protect")
				})
				if !ok {
					t.Errorf("%s has no Deny of removing or changing commander:protect on protected resources", a)
				}
				denied[a] = true
			}
		}
		for _, s := range stmts {
			for _, a := range s.actions {
				if s.effect == "Allow" && strings.Contains(a, "Tag") && !strings.Contains(a, ":List") && !strings.Contains(a, ":Get") && !strings.Contains(a, ":Describe") &&
					a != "s3:PutBucketTagging" && !denied[a] {
					t.Errorf("%s may be used to strip the protection tag: it is not among the denied tagging actions", a)
				}
			}
		}
	}
	for stage := range resources {
		for fn, stmts := range roleStatements(t, stage) {
			t.Run(stage+"/"+fn, func(t *testing.T) { check(t, stmts) })
		}
		_, b := boundaryOf(t, stage)
		t.Run(stage+"/boundary", func(t *testing.T) { check(t, statementsOf(b)) })
	}
}

// Each function may call only what it uses; the table pins the notable ones.
func TestLeastPrivilege(t *testing.T) {
	cases := []struct {
		fn, action string
		allowed    bool
	}{
		{"api", "ec2:RunInstances", true},
		{"api", "lambda:InvokeFunction", true},
		{"api", "iam:CreateRole", true},
		{"api", "ec2:DeleteSnapshot", false},
		{"backup", "ec2:CreateSnapshot", true},
		{"backup", "ec2:DeleteSnapshot", true},
		{"backup", "ec2:TerminateInstances", false},
		{"backup", "s3:DeleteBucket", false},
		{"backup", "iam:CreateRole", false},
		{"cleanup", "ec2:TerminateInstances", true},
		{"cleanup", "ec2:RunInstances", false},
		{"cleanup", "iam:CreateRole", false},
		{"cleanup", "iam:PassRole", false},
		{"alarm", "lambda:PutFunctionConcurrency", true},
		{"alarm", "ec2:StopInstances", true},
		{"alarm", "ec2:DeleteVolume", false},
		{"alarm", "s3:DeleteBucket", false},
		{"alarm", "iam:DeleteRole", false},
		{"scheduler", "ec2:StopInstances", true},
		{"scheduler", "ec2:StartInstances", true},
		{"scheduler", "ec2:TerminateInstances", false},
		{"scheduler", "ec2:DeleteTags", false},
		{"scheduler", "ec2:RunInstances", false},
	}
	all := roleStatements(t, "dev")
	for _, c := range cases {
		t.Run(c.fn+"/"+c.action, func(t *testing.T) {
			got := slices.ContainsFunc(all[c.fn], func(s statement) bool { return s.effect == "Allow" && slices.Contains(s.actions, c.action) })
			if got != c.allowed {
				t.Errorf("%s allowed = %v, want %v", c.action, got, c.allowed)
			}
		})
	}
}

// The scheduler starts and stops only instances that opted in with
// commander:schedule, and writes only the tag it remembers in: IAM says so,
// whatever the code lists.
func TestSchedulerTouchesOnlyScheduledInstances(t *testing.T) {
	for _, s := range roleStatements(t, "dev")["scheduler"] {
		if s.effect != "Allow" {
			continue
		}
		null, _ := s.conditions["Null"].(map[string]any)
		for _, a := range s.actions {
			switch a {
			case "ec2:StartInstances", "ec2:StopInstances", "ec2:CreateTags":
				if fmt.Sprint(null["aws:ResourceTag/commander:schedule"]) != "false" {
					t.Errorf("%s is allowed on instances without commander:schedule: %v", a, s.conditions)
				}
			}
			if a == "ec2:CreateTags" {
				only, _ := s.conditions["ForAllValues:StringEquals"].(map[string]any)
				if keys := strs(only["aws:TagKeys"]); !slices.Equal(keys, []string{"commander:schedule-state"}) || fmt.Sprint(null["aws:TagKeys"]) != "false" {
					t.Errorf("ec2:CreateTags may write other keys than commander:schedule-state: %v", s.conditions)
				}
			}
		}
	}
}

// Resource "*" only for actions without resource-level permissions or with a
// scoping condition; the Sid says which.
func TestResourceStarOnlyWhereNeeded(t *testing.T) {
	for fn, stmts := range stack.Policies(configFor()) {
		for _, s := range stmts {
			if s.Deny || !slices.Contains(s.Resources, "*") {
				continue
			}
			if !strings.HasSuffix(s.Sid, "ResourceStar") {
				t.Errorf("%s %s: Resource * without saying why in the Sid", fn, s.Sid)
			}
			for _, a := range s.Actions {
				verb := a[strings.Index(a, ":")+1:]
				if !strings.HasPrefix(verb, "Describe") && !strings.HasPrefix(verb, "List") && !strings.HasPrefix(verb, "Get") && len(s.Conditions) == 0 {
					t.Errorf("%s %s: %s on Resource * without a condition", fn, s.Sid, a)
				}
			}
		}
	}
	// Beyond our statements, only X-Ray (no resource-level permissions) may use *.
	for fn, stmts := range roleStatements(t, "dev") {
		for _, s := range stmts {
			if s.effect != "Allow" || !slices.Contains(s.resources, "*") {
				continue
			}
			for _, a := range s.actions {
				if !strings.HasPrefix(a, "xray:") && !isOurs(fn, a) {
					t.Errorf("%s: %s on Resource *", fn, a)
				}
			}
		}
	}
}

func isOurs(fn, action string) bool {
	for _, s := range stack.Policies(configFor())[fn] {
		if slices.Contains(s.Resources, "*") && slices.Contains(s.Actions, action) {
			return true
		}
	}
	return false
}

func configFor() stack.Config { return stacks["dev"].Config }

var tokenRE = regexp.MustCompile(`\$\{Token\[[^\]]+\]\}`)

// IAM limits a role's inline policies to 10,240 characters in total; the
// default policy CDK adds (logs, X-Ray, the queue) takes about 1,000 more.
func TestPolicySizeWithManyRegions(t *testing.T) {
	cfg, err := stack.FromContext(map[string]any{"regions": "eu-west-1,us-east-1,us-west-2,ap-southeast-2,eu-central-1,ap-northeast-1"}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for fn, stmts := range stack.Policies(cfg) {
		var doc []map[string]any
		for _, s := range stmts {
			effect := "Allow"
			if s.Deny {
				effect = "Deny"
			}
			st := map[string]any{"Sid": s.Sid, "Effect": effect, "Action": s.Actions, "Resource": s.Resources}
			if len(s.Conditions) > 0 {
				st["Condition"] = s.Conditions
			}
			doc = append(doc, st)
		}
		b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": doc})
		n := len(tokenRE.ReplaceAllString(string(b), "123456789012"))
		t.Logf("%s: %d characters", fn, n)
		if n > 10240-600 {
			t.Errorf("%s inline policy is %d characters; IAM allows 10,240 per role including CDK's default policy", fn, n)
		}
	}
}

func TestRegionsLimitRegionalStatements(t *testing.T) {
	for _, s := range roleStatements(t, "dev")["cleanup"] {
		regional := slices.ContainsFunc(s.actions, func(a string) bool { return strings.HasPrefix(a, "ec2:") })
		if s.effect != "Allow" || !regional {
			continue
		}
		eq, _ := s.conditions["StringEquals"].(map[string]any)
		if got := fmt.Sprint(eq["aws:RequestedRegion"]); got != "[eu-west-1 us-east-1]" {
			t.Errorf("%v: aws:RequestedRegion = %s, want the configured regions", s.actions, got)
		}
	}
	// Without configured regions, ARNs name the function's own region.
	for _, s := range roleStatements(t, "prod")["cleanup"] {
		if eq, _ := s.conditions["StringEquals"].(map[string]any); eq["aws:RequestedRegion"] != nil {
			t.Errorf("prod has no configured regions, yet %v is limited to %v", s.actions, eq["aws:RequestedRegion"])
		}
	}
}

// boundaryOf returns the role boundary policy of stage and its logical id.
func boundaryOf(t *testing.T, stage string) (string, map[string]any) {
	t.Helper()
	for id, r := range ofType(stage, "AWS::IAM::ManagedPolicy") {
		if props(r)["ManagedPolicyName"] == "commander-"+stage+"-role-boundary" {
			return id, r
		}
	}
	t.Fatalf("%s: no managed policy commander-%s-role-boundary", stage, stage)
	return "", nil
}

// covers reports whether the IAM action pattern p (with * wildcards) matches action.
func covers(p, action string) bool {
	re := "^" + strings.ReplaceAll(regexp.QuoteMeta(strings.ToLower(p)), `\*`, ".*") + "$"
	return regexp.MustCompile(re).MatchString(strings.ToLower(action))
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// joined renders an ARN built with Fn::Join as text, pseudo parameters by name.
func joined(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Sprint(v)
	}
	if j, ok := m["Fn::Join"].([]any); ok {
		var parts []string
		for _, p := range j[1].([]any) {
			parts = append(parts, joined(p))
		}
		return strings.Join(parts, fmt.Sprint(j[0]))
	}
	if r, ok := m["Ref"]; ok {
		return "${" + fmt.Sprint(r) + "}"
	}
	return fmt.Sprint(v)
}

// The role boundary caps every role the api creates: whatever a caller
// attaches, such a role cannot write IAM, hop into another role, touch the
// account or organization, or touch this stage's own resources.
func TestRoleBoundaryDenies(t *testing.T) {
	for stage := range resources {
		_, r := boundaryOf(t, stage)
		for _, k := range []string{"Roles", "Users", "Groups"} {
			if props(r)[k] != nil {
				t.Errorf("%s: the boundary is attached to %s %v: it must cap roles, never grant", stage, k, props(r)[k])
			}
		}
		stmts := statementsOf(r)
		// Resources rendered from their Fn::Join, pseudo parameters by name.
		var rendered [][]string
		for _, x := range props(r)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			var res []string
			for _, v := range asList(x.(map[string]any)["Resource"]) {
				res = append(res, joined(v))
			}
			rendered = append(rendered, res)
		}
		denied := func(action, resource string) bool {
			for i, s := range stmts {
				if s.effect == "Deny" && len(s.conditions) == 0 && slices.ContainsFunc(s.actions, func(p string) bool { return covers(p, action) }) &&
					slices.ContainsFunc(rendered[i], func(res string) bool { return covers(res, resource) }) {
					return true
				}
			}
			return false
		}
		cases := []struct {
			name, action, resource string
			denied                 bool
		}{
			{"create a role", "iam:CreateRole", "x", true},
			{"create a user", "iam:CreateUser", "x", true},
			{"create access keys", "iam:CreateAccessKey", "x", true},
			{"put an inline policy", "iam:PutRolePolicy", "x", true},
			{"attach a managed policy", "iam:AttachRolePolicy", "x", true},
			{"detach a managed policy", "iam:DetachUserPolicy", "x", true},
			{"delete a role", "iam:DeleteRole", "x", true},
			{"update a trust policy", "iam:UpdateAssumeRolePolicy", "x", true},
			{"tag a role", "iam:TagRole", "x", true},
			{"untag a role", "iam:UntagRole", "x", true},
			{"pass a role", "iam:PassRole", "x", true},
			{"add a role to an instance profile", "iam:AddRoleToInstanceProfile", "x", true},
			{"remove a role from an instance profile", "iam:RemoveRoleFromInstanceProfile", "x", true},
			{"new policy version", "iam:CreatePolicyVersion", "x", true},
			{"set the default policy version", "iam:SetDefaultPolicyVersion", "x", true},
			{"remove its own boundary", "iam:DeleteRolePermissionsBoundary", "x", true},
			{"replace its own boundary", "iam:PutRolePermissionsBoundary", "x", true},
			{"assume another role", "sts:AssumeRole", "x", true},
			{"leave the organization", "organizations:LeaveOrganization", "x", true},
			{"close the account", "account:CloseAccount", "x", true},
			{"read IAM", "iam:GetRole", "x", false},
			{"list roles", "iam:ListRoles", "x", false},
			{"ordinary work", "s3:GetObject", "arn:${AWS::Partition}:s3:::data/x", false},
			{"own function", "lambda:UpdateFunctionCode", "arn:${AWS::Partition}:lambda:eu-west-1:${AWS::AccountId}:function:commander-" + stage + "-api", true},
			{"own function's version", "lambda:InvokeFunction", "arn:${AWS::Partition}:lambda:eu-west-1:${AWS::AccountId}:function:commander-" + stage + "-backup:3", true},
			{"own log group", "logs:DeleteLogGroup", "arn:${AWS::Partition}:logs:eu-west-1:${AWS::AccountId}:log-group:/commander/" + stage + "/api", true},
			{"own queue", "sqs:PurgeQueue", "arn:${AWS::Partition}:sqs:eu-west-1:${AWS::AccountId}:commander-" + stage + "-dlq", true},
			{"own schedule", "scheduler:DeleteSchedule", "arn:${AWS::Partition}:scheduler:eu-west-1:${AWS::AccountId}:schedule/commander-" + stage + "/commander-" + stage + "-backup-daily", true},
			{"own schedule group", "scheduler:DeleteScheduleGroup", "arn:${AWS::Partition}:scheduler:eu-west-1:${AWS::AccountId}:schedule-group/commander-" + stage, true},
			{"own alarm rule", "events:DisableRule", "arn:${AWS::Partition}:events:eu-west-1:${AWS::AccountId}:rule/commander-" + stage + "-alarm-state-change", true},
			{"own alarms", "cloudwatch:DisableAlarmActions", "arn:${AWS::Partition}:cloudwatch:eu-west-1:${AWS::AccountId}:alarm:commander-" + stage + "-dlq-depth", true},
			{"own dashboard", "cloudwatch:DeleteDashboards", "arn:${AWS::Partition}:cloudwatch::${AWS::AccountId}:dashboard/commander-" + stage, true},
			{"own stack", "cloudformation:DeleteStack", "arn:${AWS::Partition}:cloudformation:eu-west-1:${AWS::AccountId}:stack/commander-" + stage + "/1234", true},
			{"own roles", "iam:GetRolePolicy", "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/commander-" + stage + "-ApiRole1234", true},
			{"a user's function", "lambda:UpdateFunctionCode", "arn:${AWS::Partition}:lambda:eu-west-1:${AWS::AccountId}:function:shop-web", false},
		}
		for _, c := range cases {
			t.Run(stage+"/"+c.name, func(t *testing.T) {
				if got := denied(c.action, c.resource); got != c.denied {
					t.Errorf("%s on %s denied = %v, want %v", c.action, c.resource, got, c.denied)
				}
			})
		}
		if !slices.ContainsFunc(stmts, func(s statement) bool {
			return s.effect == "Allow" && slices.Equal(s.actions, []string{"*"}) && slices.Equal(s.resources, []string{"*"})
		}) {
			t.Errorf("%s: the boundary does not allow * on * within its denies: roles under it could do nothing", stage)
		}
	}
}

// The api may create roles, and attach policies, only with the role boundary;
// nor may it remove or replace a boundary, or change the boundary policy.
func TestAPICreatesRolesOnlyWithTheBoundary(t *testing.T) {
	for stage := range resources {
		stmts := roleStatements(t, stage)["api"]
		want := "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/commander-" + stage + "-role-boundary"
		for _, action := range []string{"iam:CreateRole", "iam:AttachRolePolicy"} {
			t.Run(stage+"/"+action, func(t *testing.T) {
				n := 0
				for _, s := range stmts {
					if s.effect != "Allow" || !slices.Contains(s.actions, action) {
						continue
					}
					n++
					eq, _ := s.conditions["StringEquals"].(map[string]any)
					if got := joined(eq["iam:PermissionsBoundary"]); got != want {
						t.Errorf("%s allowed with iam:PermissionsBoundary = %q, want %q", action, got, want)
					}
				}
				if n == 0 {
					t.Errorf("the api may not call %s at all", action)
				}
			})
		}
		for _, action := range []string{"iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"} {
			t.Run(stage+"/deny "+action, func(t *testing.T) {
				if !slices.ContainsFunc(stmts, func(s statement) bool {
					return s.effect == "Deny" && len(s.conditions) == 0 && slices.Contains(s.actions, action)
				}) {
					t.Errorf("the api role does not deny %s", action)
				}
			})
		}
	}
}

// The api function learns the boundary from the stack, by reference, so the
// policy exists before the api can create a role with it.
func TestAPIFunctionKnowsTheBoundary(t *testing.T) {
	for stage := range resources {
		id, _ := boundaryOf(t, stage)
		for _, r := range ofType(stage, "AWS::Lambda::Function") {
			p := props(r)
			vars := p["Environment"].(map[string]any)["Variables"].(map[string]any)
			got, ok := vars["COMMANDER_ROLE_BOUNDARY_ARN"]
			if p["FunctionName"] != "commander-"+stage+"-api" {
				if ok {
					t.Errorf("%s %s has COMMANDER_ROLE_BOUNDARY_ARN: only the api creates roles", stage, p["FunctionName"])
				}
				continue
			}
			if fmt.Sprint(got) != fmt.Sprint(map[string]any{"Ref": id}) {
				t.Errorf("%s api: COMMANDER_ROLE_BOUNDARY_ARN = %v, want a reference to %s", stage, got, id)
			}
		}
	}
}

// A managed policy may hold 6,144 characters (whitespace not counted).
func TestRoleBoundarySize(t *testing.T) {
	cfg := configFor()
	var doc []map[string]any
	for _, s := range stack.BoundaryStatements(cfg) {
		effect := "Allow"
		if s.Deny {
			effect = "Deny"
		}
		doc = append(doc, map[string]any{"Sid": s.Sid, "Effect": effect, "Action": s.Actions, "Resource": s.Resources})
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": doc})
	// Tokens stand for the partition (up to 10: aws-us-gov) and the account (12).
	n := len(tokenRE.ReplaceAllString(string(b), "123456789012"))
	t.Logf("role boundary: %d characters", n)
	if n > 6144-500 {
		t.Errorf("the role boundary is %d characters; IAM allows 6,144 for a managed policy", n)
	}
}

// The api may pass only roles it created under /commander/<stage>/ (or the
// stage lists), never any role of the account; the same path bounds the
// roles it may create and attach policies to.
func TestPassRoleOnlyOwnOrListedRoles(t *testing.T) {
	cfg, err := stack.FromContext(map[string]any{"stage": "dev", "assetDir": t.TempDir(),
		"passableRoles": "arn:aws:iam::123456789012:role/team/app"}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	scoped := map[string]bool{"iam:PassRole": false, "iam:CreateRole": false, "iam:AttachRolePolicy": false}
	for _, s := range stack.Policies(cfg)["api"] {
		for _, a := range s.Actions {
			if _, ok := scoped[a]; !ok || s.Deny {
				continue
			}
			scoped[a] = true
			for _, r := range s.Resources {
				ok := strings.HasSuffix(r, ":role/commander/dev/*") || (a == "iam:PassRole" && r == "arn:aws:iam::123456789012:role/team/app")
				if !ok {
					t.Errorf("%s %s allows %s: only roles under /commander/dev/ (and, for PassRole, the listed ones)", s.Sid, a, r)
				}
			}
			if a == "iam:PassRole" && !slices.Contains(s.Resources, "arn:aws:iam::123456789012:role/team/app") {
				t.Errorf("%s: the listed role is not passable: %v", s.Sid, s.Resources)
			}
			if a == "iam:AttachRolePolicy" {
				arns, _ := s.Conditions["ArnEquals"]["iam:PolicyARN"].([]string)
				if len(arns) == 0 || slices.ContainsFunc(arns, func(p string) bool { return strings.HasSuffix(p, "/AdministratorAccess") }) {
					t.Errorf("%s: attach must be limited to the allow-list: %v", s.Sid, s.Conditions)
				}
			}
		}
	}
	for a, seen := range scoped {
		if !seen {
			t.Errorf("the api role has no Allow of %s: the table is wrong", a)
		}
	}
}

// The two caller policies: read-only grants execute-api:Invoke on each GET
// route and nothing that changes anything; operator grants every route of
// this API; neither grants invoking the api function directly.
func TestCallerPolicies(t *testing.T) {
	routes, err := stack.CommandRoutes()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string][]statement{}
	for _, r := range ofType("dev", "AWS::IAM::ManagedPolicy") {
		byName[fmt.Sprint(props(r)["ManagedPolicyName"])] = statementsOf(r)
	}
	reader, operator := byName["commander-dev-api-reader"], byName["commander-dev-api-operator"]
	if len(reader) != 2 || len(operator) != 2 {
		t.Fatalf("reader %v, operator %v: want two statements each (the routes, and finding the API)", reader, operator)
	}
	// The CLI reads the API's URL from this stack's outputs, and from no other stack.
	for name, st := range map[string]statement{"reader": reader[1], "operator": operator[1]} {
		if st.effect != "Allow" || !slices.Equal(st.actions, []string{"cloudformation:DescribeStacks"}) || len(st.resources) != 1 ||
			!strings.Contains(st.resources[0], ":stack/${AWS::StackName}/*") {
			t.Errorf("%s's second statement = %+v; want cloudformation:DescribeStacks on this stack only", name, st)
		}
	}
	var gets []string
	for _, r := range routes {
		if r.Method == "GET" {
			if r.Mutates {
				t.Errorf("%s is a GET that changes something: the read-only policy would grant it", r.Action)
			}
			gets = append(gets, "/*/GET"+r.ResourcePath())
		}
	}
	s := reader[0]
	if s.effect != "Allow" || !slices.Equal(s.actions, []string{"execute-api:Invoke"}) || len(s.resources) != len(gets) {
		t.Fatalf("reader statement = %+v; want execute-api:Invoke on %d GET routes", s, len(gets))
	}
	var got []string
	for _, res := range s.resources {
		// fmt of the Fn::Join: "... map[Ref:HttpApi…] /*/GET/ec2/instances]]]"
		i := strings.LastIndex(res, "] /*/")
		if !strings.Contains(res, "Ref:HttpApi") || i < 0 {
			t.Fatalf("reader resource %s is not a route of this API", res)
		}
		got = append(got, strings.TrimSuffix(res[i+2:], "]]]"))
	}
	slices.Sort(got)
	slices.Sort(gets)
	if !slices.Equal(got, gets) {
		t.Errorf("reader routes = %v, want every GET route %v", got, gets)
	}
	if o := operator[0]; o.effect != "Allow" || !slices.Equal(o.actions, []string{"execute-api:Invoke"}) || len(o.resources) != 1 || !strings.Contains(o.resources[0], "HttpApi") {
		t.Errorf("operator statement = %+v; want execute-api:Invoke on this API's routes", o)
	}
	for _, st := range append(reader, operator...) {
		for _, a := range st.actions {
			if strings.HasPrefix(a, "lambda:") {
				t.Errorf("a caller policy grants %s: direct invocation is granted apart", a)
			}
		}
	}
}

// conditionCheck is the pinned IAM reference's check (make tools installs
// it): every condition key must be one its action supports, or the
// statement silently does nothing for that action.
func conditionCheck(t *testing.T) string {
	t.Helper()
	tool, err := exec.LookPath("iam-condition-keys")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("iam-condition-keys is not installed (make tools: policy_sentry and parliament, pinned); CI requires it")
		}
		t.Skip("iam-condition-keys not installed: run make tools")
	}
	return tool
}

type keyCheck struct {
	Where   string   `json:"where"`
	Actions []string `json:"actions"`
	Keys    []string `json:"keys"`
}

func runConditionCheck(t *testing.T, tool string, in []keyCheck) (string, error) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tool)
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestConditionKeysSupportedByTheirActions(t *testing.T) {
	tool := conditionCheck(t)
	var in []keyCheck
	for _, stage := range []string{"dev", "prod"} {
		for id, r := range resources[stage] {
			for i, s := range statementsOf(r) {
				var keys []string
				for _, c := range s.conditions {
					m, _ := c.(map[string]any)
					keys = append(keys, slices.Collect(maps.Keys(m))...)
				}
				if len(keys) > 0 {
					slices.Sort(keys)
					in = append(in, keyCheck{Where: fmt.Sprintf("%s %s statement %d", stage, id, i), Actions: s.actions, Keys: keys})
				}
			}
		}
	}
	if len(in) < 10 {
		t.Fatalf("only %d conditioned statements found", len(in))
	}
	if out, err := runConditionCheck(t, tool, in); err != nil {
		t.Errorf("condition keys the IAM reference does not support (%v):\n%s", err, out)
	}
}

// The check can fail: a key an action does not evaluate, and an action that
// does not exist, are both named.
func TestConditionCheckRefuses(t *testing.T) {
	tool := conditionCheck(t)
	out, err := runConditionCheck(t, tool, []keyCheck{
		{Where: "bad key", Actions: []string{"s3:DeleteObject"}, Keys: []string{"s3:ExistingObjectTag/commander:protect"}},
		{Where: "bad action", Actions: []string{"ec2:TerminateInstance"}, Keys: []string{"aws:ResourceTag/commander:protect"}},
		{Where: "good", Actions: []string{"ec2:TerminateInstances"}, Keys: []string{"aws:ResourceTag/commander:protect", "aws:RequestedRegion"}},
	})
	if err == nil || !strings.Contains(out, "bad key: s3:DeleteObject does not support the condition key s3:ExistingObjectTag/commander:protect") ||
		!strings.Contains(out, "bad action: ec2:TerminateInstance is not an action") || strings.Contains(out, "good:") {
		t.Errorf("check output (%v):\n%s", err, out)
	}
}
