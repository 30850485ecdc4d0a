package stack

import (
	"maps"
	"slices"
	"strings"

	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/tags"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// Statement is one IAM statement, kept as plain data so the policies can be
// read (and tested) as a table before they become CDK objects.
type Statement struct {
	Sid        string
	Deny       bool
	Actions    []string
	Resources  []string
	Conditions map[string]map[string]any
}

// Destructive are the actions that stop, terminate or delete something. Every
// role carries a Deny of them on resources tagged with the protection tag, so
// a bug in code cannot destroy a protected resource.
var Destructive = []string{
	"ec2:TerminateInstances", "ec2:StopInstances", "ec2:RebootInstances", "ec2:DeleteVolume",
	"ec2:DeleteSnapshot", "ec2:DeregisterImage", "ec2:ReleaseAddress", "ec2:DeleteSecurityGroup",
	"s3:DeleteBucket", "s3:DeleteObject", "s3:DeleteObjectVersion",
	"lambda:DeleteFunction", "lambda:PutFunctionConcurrency", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
	"iam:DeleteRole", "iam:DeleteInstanceProfile", "iam:DetachRolePolicy", "iam:DeleteRolePolicy", "iam:RemoveRoleFromInstanceProfile",
	"cloudwatch:DeleteAlarms",
}

// arns builds resource ARNs in this account.
type arns struct {
	partition, account, home string
	configured               []string // COMMANDER_REGIONS; empty: the function's own region
	stackName                string
}

func newARNs(c Config) arns {
	return arns{partition: *awscdk.Aws_PARTITION(), account: *awscdk.Aws_ACCOUNT_ID(), home: *awscdk.Aws_REGION(), configured: c.Regions, stackName: c.StackName()}
}

// each returns the ARN pattern arn:<partition>:<service>:<region>:<account>:<rest>
// in the function's own region, or in any region when regions are configured:
// those statements are then limited by aws:RequestedRegion (see regional), which
// keeps the policy small whatever the number of regions. withAccount false
// leaves the account empty (EC2 snapshots and images).
func (a arns) each(service, rest string, withAccount bool) []string {
	acct := a.account
	if !withAccount {
		acct = ""
	}
	region := a.home
	if len(a.configured) > 0 {
		region = "*"
	}
	return []string{strings.Join([]string{"arn", a.partition, service, region, acct, rest}, ":")}
}

// regional limits the statements of regional services to the configured
// regions. IAM and S3 are global (their calls are not made "in" our regions),
// and the home-region statements (audit bus, own functions) name their ARN.
func (a arns) regional(stmts []Statement) []Statement {
	if len(a.configured) == 0 {
		return stmts
	}
	for i, s := range stmts {
		if s.Deny || homeRegionSids[s.Sid] || slices.ContainsFunc(s.Actions, globalAction) {
			continue
		}
		conds := map[string]map[string]any{}
		for op, kv := range s.Conditions {
			conds[op] = maps.Clone(kv)
		}
		if conds["StringEquals"] == nil {
			conds["StringEquals"] = map[string]any{}
		}
		conds["StringEquals"]["aws:RequestedRegion"] = a.configured
		stmts[i].Conditions = conds
	}
	return stmts
}

var homeRegionSids = map[string]bool{"AuditEvents": true, "StartJobs": true, "FollowUpInvocation": true}

func (a arns) global(service, rest string) string {
	return strings.Join([]string{"arn", a.partition, service, "", a.account, rest}, ":")
}

func (a arns) s3(rest string) string { return "arn:" + a.partition + ":s3:::" + rest }

func (a arns) function(name string) string {
	return strings.Join([]string{"arn", a.partition, "lambda", a.home, a.account, "function", name}, ":")
}

func (a arns) bus(nameOrARN string) string {
	if strings.HasPrefix(nameOrARN, "arn:") {
		return nameOrARN
	}
	return strings.Join([]string{"arn", a.partition, "events", a.home, a.account, "event-bus/" + nameOrARN}, ":")
}

const managedBy = "aws:ResourceTag/commander:managed-by"

// Policies are each function's statements. Resource "*" appears only for
// actions without resource-level permissions (Describe*/List*), or with a
// condition that scopes them; each such statement says so in its Sid.
func Policies(c Config) map[string][]Statement {
	a := newARNs(c)
	res := a.kindResources() // the symbolic resources of the cleanup declarations, as ARN patterns
	ec2Any, instances, volumes := res[policy.ResEC2Any], res[policy.ResInstances], res[policy.ResVolumes]
	snapshots, images, functions, alarms := res[policy.ResSnapshots], res[policy.ResImages], res[policy.ResFunctions], res[policy.ResAlarms]
	roles, profiles, buckets, objects := res[policy.ResRoles], res[policy.ResInstanceProfiles], res[policy.ResBuckets], res[policy.ResObjects]
	boundary := BoundaryARN(c)
	pathRoles := a.global("iam", "role"+RolePath(c)+"*") // roles the api creates
	pathProfiles := a.global("iam", "instance-profile"+RolePath(c)+"*")
	attachable := AttachablePolicies(c, a.partition)

	audit := Statement{Sid: "AuditEvents", Actions: []string{"events:PutEvents"}, Resources: []string{a.bus(c.EventBus)}}
	// Volumes, snapshots and objects may use KMS keys the user chooses at run time, so the key ARN is unknown here;
	// kms:ViaService limits their use to EC2 and S3 acting for the function.
	kmsVia := Statement{Sid: "KmsThroughEc2AndS3OnlyResourceStar", Actions: []string{"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"},
		Resources: []string{"*"}, Conditions: map[string]map[string]any{"StringLike": {"kms:ViaService": []string{"ec2.*.amazonaws.com", "s3.*.amazonaws.com"}}}}
	common := func(s ...Statement) []Statement {
		return append([]Statement{audit}, s...)
	}

	out := map[string][]Statement{
		"api": common(
			Statement{Sid: "Ec2DescribeHasNoResourceLevelResourceStar", Actions: []string{"ec2:DescribeInstances", "ec2:DescribeImages", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs", "ec2:DescribeSubnets"}, Resources: []string{"*"}},
			Statement{Sid: "Ec2Launch", Actions: []string{"ec2:RunInstances"}, Resources: slices.Concat(ec2Any, images, snapshots)},
			Statement{Sid: "Ec2TagOnCreate", Actions: []string{"ec2:CreateTags"}, Resources: ec2Any,
				Conditions: map[string]map[string]any{"StringEquals": {"ec2:CreateAction": []string{"RunInstances", "CreateSecurityGroup"}}}},
			Statement{Sid: "Ec2Instances", Actions: []string{"ec2:StartInstances", "ec2:StopInstances", "ec2:RebootInstances", "ec2:TerminateInstances"}, Resources: instances},
			Statement{Sid: "Ec2SecurityGroups", Actions: []string{"ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:DeleteSecurityGroup"}, Resources: slices.Concat(a.each("ec2", "security-group/*", true), a.each("ec2", "vpc/*", true))},
			// Only roles the api created (under its role path) or the stage lists; the code refuses the rest first.
			Statement{Sid: "PassOwnOrListedRolesToEc2AndLambdaOnly", Actions: []string{"iam:PassRole"}, Resources: append([]string{pathRoles}, c.PassableRoles...),
				Conditions: map[string]map[string]any{"StringEquals": {"iam:PassedToService": []string{"ec2.amazonaws.com", "lambda.amazonaws.com"}}}},
			Statement{Sid: "S3ListAllMyBucketsHasNoResourceLevelResourceStar", Actions: []string{"s3:ListAllMyBuckets"}, Resources: []string{"*"}},
			Statement{Sid: "S3Buckets", Actions: []string{"s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:ListBucketVersions",
				"s3:PutBucketVersioning", "s3:PutEncryptionConfiguration", "s3:PutBucketPublicAccessBlock", "s3:PutLifecycleConfiguration",
				"s3:PutBucketCORS", "s3:GetBucketTagging", "s3:PutBucketTagging"}, Resources: buckets},
			// GetObjectVersion and DeleteObjectVersion: GetObject and DeleteObjects with a version id.
			Statement{Sid: "S3Objects", Actions: []string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"}, Resources: objects},
			Statement{Sid: "LambdaListHasNoResourceLevelResourceStar", Actions: []string{"lambda:ListFunctions"}, Resources: []string{"*"}},
			// TagResource: CreateFunction with tags needs it.
			Statement{Sid: "LambdaRead", Actions: []string{"lambda:GetFunction"}, Resources: functions},
			// Created only as this system's (tagged), changed only when this system created it.
			Statement{Sid: "LambdaCreateManagedOnly", Actions: []string{"lambda:CreateFunction", "lambda:TagResource"}, Resources: functions,
				Conditions: map[string]map[string]any{"StringEquals": {"aws:RequestTag/" + tags.ManagedBy: tags.ManagedByValue}}},
			Statement{Sid: "LambdaChangeManagedOnly", Actions: []string{"lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:DeleteFunction",
				"lambda:AddPermission", "lambda:RemovePermission"}, Resources: functions,
				Conditions: map[string]map[string]any{"StringEquals": {managedBy: tags.ManagedByValue}}},
			Statement{Sid: "DenyTheStacksOwnFunctions", Deny: true, Actions: []string{"lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:DeleteFunction",
				"lambda:AddPermission", "lambda:RemovePermission", "lambda:TagResource", "lambda:UntagResource", "lambda:PutFunctionConcurrency"},
				Resources: []string{strings.Join([]string{"arn", a.partition, "lambda", "*", a.account, "function:" + a.stackName + "-*"}, ":")}},
			Statement{Sid: "StartJobs", Actions: []string{"lambda:InvokeFunction"}, Resources: []string{a.function(c.FunctionName("backup")), a.function(c.FunctionName("cleanup")), a.function(c.FunctionName("scheduler"))}},
			Statement{Sid: "EventBridgeRules", Actions: []string{"events:PutRule", "events:DeleteRule", "events:DescribeRule", "events:PutTargets", "events:RemoveTargets",
				"events:ListTargetsByRule", "events:ListRuleNamesByTarget", "events:ListTagsForResource", "events:TagResource"}, Resources: a.each("events", "rule/*", true)},
			Statement{Sid: "IamListHasNoResourceLevelResourceStar", Actions: []string{"iam:ListRoles", "iam:ListUsers"}, Resources: []string{"*"}},
			// A role the api creates must carry the role boundary, and policies may be
			// attached only to roles that carry it (iam:PermissionsBoundary is the
			// target role's boundary), so whatever a caller attaches, such a role can
			// do no more than the boundary allows (AWS's documented delegation pattern).
			Statement{Sid: "IamCreateRolesWithBoundaryOnly", Actions: []string{"iam:CreateRole"}, Resources: []string{pathRoles},
				Conditions: map[string]map[string]any{"StringEquals": {"iam:PermissionsBoundary": boundary}}},
			// Only allow-listed managed policies, only onto bounded roles under the path.
			Statement{Sid: "IamAttachAllowListedPoliciesOnly", Actions: []string{"iam:AttachRolePolicy"}, Resources: []string{pathRoles},
				Conditions: map[string]map[string]any{"StringEquals": {"iam:PermissionsBoundary": boundary}, "ArnEquals": {"iam:PolicyARN": attachable}}},
			// TagRole and TagInstanceProfile: creating them with tags needs it.
			// Reading any role: a role to pass is checked before it is used.
			Statement{Sid: "IamRolesRead", Actions: []string{"iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:ListInstanceProfilesForRole"}, Resources: roles},
			Statement{Sid: "IamOwnRoles", Actions: []string{"iam:TagRole", "iam:DeleteRole", "iam:DetachRolePolicy", "iam:DeleteRolePolicy"}, Resources: []string{pathRoles}},
			Statement{Sid: "IamInstanceProfilesRead", Actions: []string{"iam:GetInstanceProfile"}, Resources: profiles},
			Statement{Sid: "IamOwnInstanceProfiles", Actions: []string{"iam:CreateInstanceProfile", "iam:DeleteInstanceProfile",
				"iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:TagInstanceProfile"}, Resources: []string{pathProfiles}},
			Statement{Sid: "IamUsersReadOnly", Actions: []string{"iam:ListAccessKeys", "iam:GetAccessKeyLastUsed"}, Resources: []string{a.global("iam", "user/*")}},
			// Removing or replacing a role's boundary would undo it; changing the
			// boundary policy itself would widen it for every role at once.
			Statement{Sid: "DenyChangingRoleBoundaries", Deny: true, Actions: []string{"iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"}, Resources: roles},
			Statement{Sid: "DenyChangingTheBoundaryPolicy", Deny: true, Actions: []string{"iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion",
				"iam:DeletePolicy", "iam:TagPolicy", "iam:UntagPolicy"}, Resources: []string{boundary}},
			Statement{Sid: "CloudWatchReadHasNoResourceLevelResourceStar", Actions: []string{"cloudwatch:DescribeAlarms", "cloudwatch:GetMetricStatistics"}, Resources: []string{"*"}},
			// TagResource: PutMetricAlarm with tags needs it.
			Statement{Sid: "CloudWatchAlarms", Actions: []string{"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:ListTagsForResource"}, Resources: alarms},
			kmsVia,
		),
		"backup": common(
			Statement{Sid: "Ec2DescribeHasNoResourceLevelResourceStar", Actions: []string{"ec2:DescribeVolumes", "ec2:DescribeInstances", "ec2:DescribeSnapshots", "ec2:DescribeImages"}, Resources: []string{"*"}},
			Statement{Sid: "Ec2Snapshot", Actions: []string{"ec2:CreateSnapshot", "ec2:CreateSnapshots", "ec2:CopySnapshot"}, Resources: slices.Concat(volumes, instances, snapshots)},
			Statement{Sid: "Ec2TagSnapshotsOnCreate", Actions: []string{"ec2:CreateTags"}, Resources: snapshots,
				Conditions: map[string]map[string]any{"StringEquals": {"ec2:CreateAction": []string{"CreateSnapshot", "CreateSnapshots", "CopySnapshot"}}}},
			// CreateSnapshots tags the set in common, then each snapshot with its own source: only snapshots this system made.
			Statement{Sid: "Ec2TagOwnSnapshots", Actions: []string{"ec2:CreateTags"}, Resources: snapshots,
				Conditions: map[string]map[string]any{"StringEquals": {managedBy: "commander"}}},
			// Retention deletes only snapshots this system made.
			Statement{Sid: "Ec2DeleteOwnSnapshots", Actions: []string{"ec2:DeleteSnapshot"}, Resources: snapshots,
				Conditions: map[string]map[string]any{"StringEquals": {managedBy: "commander"}}},
			Statement{Sid: "S3ListAllMyBucketsHasNoResourceLevelResourceStar", Actions: []string{"s3:ListAllMyBuckets"}, Resources: []string{"*"}},
			Statement{Sid: "S3BackupBuckets", Actions: []string{"s3:GetBucketTagging", "s3:GetBucketVersioning", "s3:PutBucketVersioning",
				"s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration", "s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock",
				"s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"}, Resources: buckets},
			Statement{Sid: "FollowUpInvocation", Actions: []string{"lambda:InvokeFunction"}, Resources: []string{a.function(c.FunctionName("backup"))}},
			kmsVia,
		),
		// The statements about resource types are generated from their
		// declarations (policy.Types, infra/stack/kindiam.go).
		"cleanup": common(append(kindStatements(a, policy.Types),
			Statement{Sid: "FollowUpInvocation", Actions: []string{"lambda:InvokeFunction"}, Resources: []string{a.function(c.FunctionName("cleanup"))}},
		)...),
		"alarm": common(
			// DescribeSnapshots: a snapshot reaction whose answer was lost looks for what it took.
			Statement{Sid: "ReadHasNoResourceLevelResourceStar", Actions: []string{"cloudwatch:DescribeAlarms", "ec2:DescribeInstances", "ec2:DescribeVolumes", "ec2:DescribeSnapshots"}, Resources: []string{"*"}},
			// The reaction confirms the event's state against the alarm's own history.
			Statement{Sid: "AlarmTags", Actions: []string{"cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:DescribeAlarmHistory"}, Resources: alarms},
			Statement{Sid: "Ec2Reactions", Actions: []string{"ec2:StopInstances", "ec2:StartInstances", "ec2:RebootInstances", "ec2:TerminateInstances"}, Resources: instances},
			Statement{Sid: "Ec2SnapshotReaction", Actions: []string{"ec2:CreateSnapshot", "ec2:CreateSnapshots"}, Resources: slices.Concat(instances, volumes, snapshots)},
			// Cooldown marks live in tags on the target; new snapshots are tagged as they are made.
			Statement{Sid: "Ec2CooldownTags", Actions: []string{"ec2:CreateTags"}, Resources: slices.Concat(instances, volumes, snapshots)},
			Statement{Sid: "LambdaThrottle", Actions: []string{"lambda:GetFunction", "lambda:TagResource", "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency"}, Resources: functions},
		),
		// Office hours: only instances that opted in with commander:schedule
		// (the protection Deny keeps protected ones from being stopped), and
		// the one tag the scheduler remembers its last enforcement in.
		"scheduler": common(
			Statement{Sid: "Ec2DescribeHasNoResourceLevelResourceStar", Actions: []string{"ec2:DescribeInstances"}, Resources: []string{"*"}},
			Statement{Sid: "Ec2ScheduledInstancesOnly", Actions: []string{"ec2:StartInstances", "ec2:StopInstances"}, Resources: instances,
				Conditions: map[string]map[string]any{"Null": {"aws:ResourceTag/" + tags.Schedule: "false"}}},
			Statement{Sid: "Ec2RememberEnforcedStateOnly", Actions: []string{"ec2:CreateTags"}, Resources: instances,
				Conditions: map[string]map[string]any{
					"Null":                      {"aws:ResourceTag/" + tags.Schedule: "false", "aws:TagKeys": "false"},
					"ForAllValues:StringEquals": {"aws:TagKeys": []string{tags.ScheduleState}},
				}},
			// Starting an instance whose volumes a customer key encrypts needs a grant through EC2.
			kmsVia,
		),
	}
	for fn := range out {
		out[fn] = a.regional(out[fn])
	}
	return out
}

// ProtectionStatements are the Denies every role of the stack carries, in one
// customer managed policy attached to all four roles (so the roles' inline
// policies keep within IAM's 10,240 characters): no destruction of a protected
// resource, no removing or changing its protection, no change to the stack's
// own roles.
func ProtectionStatements(c Config) []Statement {
	a := newARNs(c)
	objects := []string{a.s3("*/*")}
	// One protection rule (guard.Protected), stated once for IAM by the guard package.
	protect := Statement{Sid: "DenyDestructiveOnProtected", Deny: true, Actions: Destructive, Resources: []string{"*"},
		Conditions: guard.ProtectedConditions(c.ProtectTag)}
	// S3 evaluates no object tag on DeleteObject or PutObject (the Service
	// Authorization Reference; TestConditionKeysSupportedByTheirActions):
	// deleting or overwriting a protected object is refused by the code only.
	protectTags := denyProtectTagChange(c.ProtectTag, objects[0])
	// The functions must not be able to change the stack's own roles (privilege escalation).
	ownRoles := Statement{Sid: "DenyChangingOwnRoles", Deny: true,
		Actions:   []string{"iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary"},
		Resources: []string{a.global("iam", "role/"+a.stackName+"-*")}}
	return append(append([]Statement{protect}, protectTags...), ownRoles)
}

// ProtectionName is the protection policy's name: commander-<stage>-protection.
func ProtectionName(c Config) string { return c.Name("protection") }

// TagActions and UntagActions are the tagging actions of the services whose
// resources the jobs and the api touch and that evaluate aws:ResourceTag and
// aws:TagKeys on them (tag actions aws:RequestTag too; untag actions do not).
// ec2:DeleteTags is an untag action: it may name a value, so "delete the tag
// if it is true" must be refused too. S3 buckets are missing on purpose:
// PutBucketTagging and DeleteBucketTagging see no aws:ResourceTag unless ABAC
// is on the bucket, so there the code is the only guard (docs/SECURITY.md).
var (
	TagActions   = []string{"ec2:CreateTags", "lambda:TagResource", "iam:TagRole", "iam:TagInstanceProfile", "cloudwatch:TagResource", "events:TagResource"}
	UntagActions = []string{"ec2:DeleteTags", "lambda:UntagResource", "iam:UntagRole", "iam:UntagInstanceProfile", "cloudwatch:UntagResource", "events:UntagResource"}
)

// ObjectTaggingActions change an S3 object's tags; S3 evaluates
// s3:ExistingObjectTag on them (not on DeleteObject or PutObject).
var ObjectTaggingActions = []string{"s3:PutObjectTagging", "s3:PutObjectVersionTagging"}
var ObjectUntaggingActions = []string{"s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"}

// denyProtectTagChange denies removing the protection tag, or changing its
// value to anything but "true", on a resource or object it protects (the
// guard's rule): no role can first unprotect and then destroy.
func denyProtectTagChange(key, objects string) []Statement {
	return []Statement{
		{Sid: "DenyRemovingProtection", Deny: true, Actions: UntagActions, Resources: []string{"*"}, Conditions: guard.ProtectTagRemovalConditions(key)},
		{Sid: "DenyChangingProtection", Deny: true, Actions: TagActions, Resources: []string{"*"}, Conditions: guard.ProtectTagChangeConditions(key)},
		{Sid: "DenyRemovingObjectProtection", Deny: true, Actions: ObjectUntaggingActions, Resources: []string{objects}, Conditions: guard.ObjectProtectedConditions(key)},
		{Sid: "DenyChangingObjectProtection", Deny: true, Actions: ObjectTaggingActions, Resources: []string{objects}, Conditions: guard.ObjectProtectTagChangeConditions(key)},
	}
}

// RolePath is the IAM path of the roles and instance profiles the api
// creates: /commander/<stage>/. PassRole and role writes are scoped to it.
func RolePath(c Config) string { return "/commander/" + c.Stage + "/" }

// AttachablePolicies are the managed policies the api may attach to the roles
// it creates: the stage's list, or deputy's default.
func AttachablePolicies(c Config, partition string) []string {
	if len(c.AttachablePolicies) > 0 {
		return c.AttachablePolicies
	}
	out := make([]string, 0, len(deputy.DefaultAttachablePolicies))
	for _, n := range deputy.DefaultAttachablePolicies {
		out = append(out, deputy.AWSManagedPolicyARN(partition, n))
	}
	return out
}

// BoundaryName is the role boundary's policy name: commander-<stage>-role-boundary.
func BoundaryName(c Config) string { return c.Name("role-boundary") }

// BoundaryARN is the role boundary's ARN in this account.
func BoundaryARN(c Config) string { return newARNs(c).global("iam", "policy/"+BoundaryName(c)) }

// BoundaryIAMWrites are the IAM actions a bounded role may never call: every
// verb that creates, changes, attaches, passes or deletes anything in IAM
// (read verbs Get/List/Generate/Simulate stay). With them, such a role could
// give itself or a new role more than the boundary, or pass a stronger role
// to a service (PassRole) and act through it.
var BoundaryIAMWrites = []string{
	"iam:Add*", "iam:Attach*", "iam:Change*", "iam:Create*", "iam:Deactivate*", "iam:Delete*", "iam:Detach*", "iam:Enable*",
	"iam:PassRole", "iam:Put*", "iam:Remove*", "iam:Reset*", "iam:Resync*", "iam:Set*", "iam:Tag*", "iam:Untag*", "iam:Update*", "iam:Upload*",
}

// BoundaryStatements are the role boundary: the permissions boundary every
// role the api creates carries. A boundary grants nothing by itself; it caps
// what the role's own policies can grant. So it allows everything, then denies
// what would let a role escalate beyond its policies or touch this system,
// whichever managed policies (even AdministratorAccess) a caller attaches:
//   - IAM writes (BoundaryIAMWrites): no new roles, users, keys, policies or
//     policy versions, no PassRole, no instance-profile changes;
//   - sts:AssumeRole: no hop into a stronger role that trusts this account;
//   - organizations:* and account:*: the account and organization themselves;
//   - everything on this stage's own resources (every name starts with
//     commander-<stage>, log groups with /commander/<stage>/): its functions,
//     roles, log groups, dead-letter queue, schedules, rules, alarms, dashboard
//     and the CloudFormation stack.
func BoundaryStatements(c Config) []Statement {
	a, prefix := newARNs(c), c.Name()
	anyRegion := func(service, rest string) string { // a bounded role may act in any region
		return strings.Join([]string{"arn", a.partition, service, "*", a.account, rest}, ":")
	}
	return append(append([]Statement{
		{Sid: "AllowWithinTheseLimitsResourceStar", Actions: []string{"*"}, Resources: []string{"*"}},
		{Sid: "DenyIamWrites", Deny: true, Actions: BoundaryIAMWrites, Resources: []string{"*"}},
		{Sid: "DenyAssumingOtherRoles", Deny: true, Actions: []string{"sts:AssumeRole"}, Resources: []string{"*"}},
		{Sid: "DenyAccountAndOrganization", Deny: true, Actions: []string{"organizations:*", "account:*"}, Resources: []string{"*"}},
		// Whatever policies a caller attaches, a bounded role neither destroys nor unprotects a protected resource.
		{Sid: "DenyDestructiveOnProtected", Deny: true, Actions: Destructive, Resources: []string{"*"}, Conditions: guard.ProtectedConditions(c.ProtectTag)},
	}, denyProtectTagChange(c.ProtectTag, a.s3("*/*"))...), Statement{Sid: "DenyThisSystemsResources", Deny: true, Actions: []string{"*"}, Resources: []string{
		anyRegion("lambda", "function:"+prefix+"-*"),
		anyRegion("logs", "log-group:/commander/"+c.Stage+"/*"),
		anyRegion("sqs", prefix+"-*"),
		anyRegion("scheduler", "schedule/"+prefix+"/*"),
		anyRegion("scheduler", "schedule-group/"+prefix),
		anyRegion("events", "rule/"+prefix+"-*"),
		anyRegion("cloudwatch", "alarm:"+prefix+"-*"),
		strings.Join([]string{"arn", a.partition, "cloudwatch", "", a.account, "dashboard/" + prefix}, ":"),
		anyRegion("cloudformation", "stack/"+prefix+"/*"),
		a.global("iam", "role/"+prefix+"-*"),
		a.global("iam", "policy/"+prefix+"-*"),
	}})
}

// document turns statements into a policy document.
func document(stmts []Statement) awsiam.PolicyDocument {
	doc := awsiam.NewPolicyDocument(nil)
	for _, s := range stmts {
		effect := awsiam.Effect_ALLOW
		if s.Deny {
			effect = awsiam.Effect_DENY
		}
		props := &awsiam.PolicyStatementProps{
			Sid: jsii.String(s.Sid), Effect: effect,
			Actions: jsii.Strings(s.Actions...), Resources: jsii.Strings(s.Resources...),
		}
		if len(s.Conditions) > 0 {
			conds := map[string]any{}
			for op, kv := range s.Conditions {
				conds[op] = kv
			}
			props.Conditions = &conds
		}
		doc.AddStatements(awsiam.NewPolicyStatement(props))
	}
	return doc
}
