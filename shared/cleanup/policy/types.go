package policy

import (
	"sort"
)

// Resource types the cleanup job knows.
const (
	EC2Instance = "ec2:instance"
	EC2Volume   = "ec2:volume"
	EC2Snapshot = "ec2:snapshot"
	EC2Address  = "ec2:address"
	EC2Image    = "ec2:image"
	// CloudWatchAlarm is a metric alarm.
	CloudWatchAlarm = "cloudwatch:alarm"
	// IAMRole is a role this system created (commander:managed-by=commander).
	IAMRole            = "iam:role"
	IAMInstanceProfile = "iam:instance-profile"
	// S3Bucket is a bucket this system created (commander:managed-by=commander).
	S3Bucket = "s3:bucket"
	// LambdaFunction is a function this system created (commander:managed-by=commander).
	LambdaFunction = "lambda:function"
	// LambdaVersion is a published version of a function this system created,
	// beyond the newest Keep and with no alias pointing to it.
	LambdaVersion = "lambda:version"
	// S3MultipartUpload is an incomplete multipart upload in a bucket this system created.
	S3MultipartUpload = "s3:multipart-upload"
)

// Type is the one declaration of a resource type cleanup knows. The policy
// validator reads its vocabulary (Actions, Filters, States, Options), the
// engine (shared/cleanup) its scope and order (Global, After), the stack
// (infra/stack/kindiam.go) the cleanup role's statements (IAM), and
// docs/CLEANUP.md its table (TestKindsReference). How the engine lists,
// marks and acts on the type is its kind in shared/cleanup/engine.go.
type Type struct {
	// Doc is one line for the docs: what is a candidate, what the action
	// does, what holds a resource back.
	Doc string
	// Global: the service is global (IAM); the type runs once per run, as
	// the region "global", not once per region.
	Global bool
	// After are the types whose resources use this type's (an instance its
	// volumes, an image its snapshots): cleaned up first, so what one frees
	// can follow in the same run. The run order is derived from it.
	After   []string
	Actions []string
	Filters []string
	States  []string
	Options []string // extra policy keys the type accepts
	// Metrics is where the type's CloudWatch metrics live, for the metric
	// filter (nil: the type has none, and Filters must not list Metric).
	Metrics *Metrics
	// IAM is every permission the engine needs to list, mark and act on the
	// type, each call attributed to the type that makes it; an action
	// several types need appears in each (the stack merges them).
	IAM []Grant
}

// Metrics are a type's CloudWatch metrics: the defaults a metric filter
// needs besides what the policy says (namespace, dimension), and the metrics
// it may name.
type Metrics struct {
	Namespace string // e.g. AWS/EC2
	// Dimension is the one dimension that names a resource; its value is the
	// resource's id (InstanceId, VolumeId, FunctionName).
	Dimension string
	Names     []string // the metrics a metric filter may name
	// Sparse are the metrics the service publishes only for periods with a
	// nonzero value (Lambda: Invocations). A day without a datapoint is a day
	// with none, but only once the resource existed: days that began after
	// the resource's Created count as 0; days before it stay unknown.
	Sparse []string
}

// getMetricData is the grant every type with Metrics needs: GetMetricData
// supports no resource-level permission.
var getMetricData = Grant{Actions: []string{"cloudwatch:GetMetricData"}, Resource: AnyResource}

// Types are the resource types, their actions, filters and states.
var Types = map[string]Type{
	EC2Instance: {
		Doc:     "Terminate/StopInstances 100 ids a call; termination / stop protection learned from the call, never read per instance",
		Actions: []string{"terminate", "stop"},
		Filters: []string{Age, StoppedFor, State, Expired, Tag, Name, Metric},
		States:  []string{"pending", "running", "stopping", "stopped"},
		Metrics: &Metrics{Namespace: "AWS/EC2", Dimension: "InstanceId", Names: []string{"CPUUtilization", "NetworkIn", "NetworkOut"}},
		IAM: []Grant{
			{Actions: []string{"ec2:DescribeInstances"}, Resource: AnyResource},
			getMetricData,
			// The guard reads termination and stop protection.
			{Actions: []string{"ec2:StopInstances", "ec2:TerminateInstances"}, Resource: ResInstances},
			{Actions: []string{"ec2:CreateTags", "ec2:DeleteTags"}, Resource: ResEC2Any}, // marks
		},
	},
	EC2Volume: {
		Doc:     "`finalSnapshot: true` (default) takes a tagged snapshot first. EBS records no detach time: `age` is the volume's age",
		After:   []string{EC2Instance},
		Actions: []string{"delete"},
		Filters: []string{Age, State, Expired, Tag, Name, Metric},
		States:  []string{"creating", "available", "in-use", "error"},
		Options: []string{"finalSnapshot"},
		// EBS reports metrics only while a volume is attached to an instance.
		Metrics: &Metrics{Namespace: "AWS/EBS", Dimension: "VolumeId", Names: []string{"VolumeReadOps", "VolumeWriteOps"}},
		IAM: []Grant{
			// DescribeSnapshots finds a final snapshot an earlier attempt took.
			{Actions: []string{"ec2:DescribeVolumes", "ec2:DescribeSnapshots"}, Resource: AnyResource},
			getMetricData,
			{Actions: []string{"ec2:DeleteVolume", "ec2:CreateSnapshot"}, Resource: ResVolumes},
			// The final snapshot, tagged as it is taken (TagSpecifications).
			{Actions: []string{"ec2:CreateSnapshot", "ec2:CreateTags"}, Resource: ResSnapshots},
			{Actions: []string{"ec2:CreateTags", "ec2:DeleteTags"}, Resource: ResEC2Any}, // marks
		},
	},
	EC2Snapshot: {
		Doc:     "owned snapshots only; held when an owned AMI uses it or AWS Backup made it",
		After:   []string{EC2Volume, EC2Image},
		Actions: []string{"delete"},
		Filters: []string{Age, Expired, Tag, Name, VolumeGone},
		IAM: []Grant{
			// DescribeImages: the snapshots an owned AMI uses are held; DescribeVolumes: volumeGone.
			{Actions: []string{"ec2:DescribeSnapshots", "ec2:DescribeImages", "ec2:DescribeVolumes"}, Resource: AnyResource},
			{Actions: []string{"ec2:DeleteSnapshot", "ec2:CreateTags", "ec2:DeleteTags"}, Resource: ResSnapshots},
		},
	},
	EC2Image: {
		Doc:     "owned AMIs only; deregistered, then its snapshots deleted; held when used by a live instance or a launch template",
		After:   []string{EC2Instance},
		Actions: []string{"deregister"}, // and delete the AMI's snapshots
		Filters: []string{Age, State, Expired, Tag, Name},
		States:  []string{"available", "pending", "failed", "error"},
		IAM: []Grant{
			// Instances and launch templates: the AMIs in use are held.
			{Actions: []string{"ec2:DescribeImages", "ec2:DescribeInstances", "ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions"}, Resource: AnyResource},
			{Actions: []string{"ec2:DeregisterImage", "ec2:CreateTags", "ec2:DeleteTags"}, Resource: ResImages},
			{Actions: []string{"ec2:DeleteSnapshot"}, Resource: ResSnapshots}, // the AMI's snapshots
		},
	},
	CloudWatchAlarm: {
		Doc:     "metric alarms; DeleteAlarms 100 names a call; `age` is since the last configuration update",
		After:   []string{EC2Instance},
		Actions: []string{"delete"},
		Filters: []string{Age, State, StateFor, InstanceGone, Expired, Tag, Name},
		States:  []string{"OK", "ALARM", "INSUFFICIENT_DATA"},
		IAM: []Grant{
			{Actions: []string{"cloudwatch:DescribeAlarms", "ec2:DescribeInstances"}, Resource: AnyResource}, // instanceGone
			{Actions: []string{"cloudwatch:DeleteAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:UntagResource"}, Resource: ResAlarms},
		},
	},
	IAMRole: {
		Doc: "only roles this system created (never service-linked roles); deleted completely: removed from its instance profiles " +
			"(a profile it was alone in is deleted), managed policies detached (not deleted), inline policies deleted, then the role",
		Global:  true,
		After:   []string{LambdaFunction, IAMInstanceProfile},
		Actions: []string{"delete"}, // with its policies and instance profiles
		Filters: []string{Age, UnusedFor, Expired, Tag, Name},
		IAM: []Grant{
			{Actions: []string{"iam:ListRoles"}, Resource: AnyResource},
			{Actions: []string{"iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:ListInstanceProfilesForRole", "iam:TagRole", "iam:UntagRole"}, Resource: ResRoles},
			// Only roles this system created are ever deleted.
			{Actions: []string{"iam:DetachRolePolicy", "iam:DeleteRolePolicy", "iam:DeleteRole"}, Resource: ResRoles, Conditions: managedOnly},
			{Actions: []string{"iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"}, Resource: ResInstanceProfiles},
		},
	},
	IAMInstanceProfile: {
		Doc:     "empty = no role",
		Global:  true,
		After:   []string{EC2Instance},
		Actions: []string{"delete"},
		Filters: []string{Age, State, Expired, Tag, Name},
		States:  []string{"empty", "in-use"},
		IAM: []Grant{
			{Actions: []string{"iam:ListInstanceProfiles"}, Resource: AnyResource},
			{Actions: []string{"iam:GetInstanceProfile", "iam:TagInstanceProfile", "iam:UntagInstanceProfile", "iam:DeleteInstanceProfile"}, Resource: ResInstanceProfiles},
		},
	},
	S3Bucket: {
		Doc: "only buckets this system created, in the run's regions; empty = no object, version or delete marker; DeleteBucket " +
			"never deletes objects, so a bucket that filled up fails and stays; marks are merged into the bucket's tag set",
		After:   []string{S3MultipartUpload},
		Actions: []string{"delete"}, // only ever an empty bucket: DeleteBucket refuses others
		Filters: []string{Age, State, Expired, Tag, Name},
		States:  []string{"empty", "not-empty"},
		IAM: []Grant{
			{Actions: []string{"s3:ListAllMyBuckets"}, Resource: AnyResource},
			// ListBucketVersions: empty or not.
			{Actions: []string{"s3:GetBucketTagging", "s3:PutBucketTagging", "s3:ListBucketVersions", "s3:DeleteBucket"}, Resource: ResBuckets},
		},
	},
	LambdaFunction: {
		Doc:     "only functions this system created (`commander:managed-by=commander`); deleted with versions and aliases; `age` is since the last change",
		Actions: []string{"delete"}, // with its versions and aliases
		Filters: []string{Age, Expired, Tag, Name, Metric},
		// Lambda sends Invocations only when nonzero; Created is the last change.
		Metrics: &Metrics{Namespace: "AWS/Lambda", Dimension: "FunctionName", Names: []string{"Invocations"}, Sparse: []string{"Invocations"}},
		IAM: []Grant{
			{Actions: []string{"lambda:ListFunctions"}, Resource: AnyResource},
			getMetricData,
			{Actions: []string{"lambda:ListTags", "lambda:TagResource", "lambda:UntagResource", "lambda:DeleteFunction"}, Resource: ResFunctions},
		},
	},
	LambdaVersion: {
		Doc: "published versions of functions this system created, beyond the newest `keep` (default 3, 0 to 10000) and with no alias " +
			"routing to them (its version or `AdditionalVersionWeights`); never `$LATEST`; `age` is since the version was published; " +
			"tag and name are the function's; marks live on the function (below)",
		After:   []string{LambdaFunction},
		Actions: []string{"delete"},       // never $LATEST, never a version an alias points to
		Filters: []string{Age, Tag, Name}, // tag and name are the function's
		Options: []string{"keep"},
		IAM: []Grant{
			{Actions: []string{"lambda:ListFunctions"}, Resource: AnyResource},
			// Marks are the function's tags; DeleteFunction with a version as Qualifier
			// deletes one version (functions covers function:name:N).
			{Actions: []string{"lambda:ListTags", "lambda:TagResource", "lambda:UntagResource", "lambda:ListVersionsByFunction", "lambda:ListAliases", "lambda:DeleteFunction"}, Resource: ResFunctions},
		},
	},
	S3MultipartUpload: {
		Doc: "incomplete multipart uploads in buckets this system created, in the run's regions; `age` is since the upload was initiated; " +
			"tag and name are the bucket's; marks live on the bucket (below)",
		Actions: []string{"abort"},
		Filters: []string{Age, Tag, Name}, // age since initiation; tag and name are the bucket's
		IAM: []Grant{
			{Actions: []string{"s3:ListAllMyBuckets"}, Resource: AnyResource},
			// Marks are the bucket's tags.
			{Actions: []string{"s3:ListBucketMultipartUploads", "s3:GetBucketTagging", "s3:PutBucketTagging"}, Resource: ResBuckets},
			{Actions: []string{"s3:AbortMultipartUpload"}, Resource: ResObjects},
		},
	},
	EC2Address: {
		Doc:     "VPC Elastic IPs",
		After:   []string{EC2Instance},
		Actions: []string{"release"},
		Filters: []string{State, Tag, Name},
		States:  []string{"associated", "unassociated"},
		IAM: []Grant{
			{Actions: []string{"ec2:DescribeAddresses"}, Resource: AnyResource},
			{Actions: []string{"ec2:ReleaseAddress"}, Resource: ResElasticIPs},
			{Actions: []string{"ec2:CreateTags", "ec2:DeleteTags"}, Resource: ResEC2Any}, // marks
		},
	},
}

// TypeNames are the declared types, sorted.
func TypeNames() []string {
	names := make([]string, 0, len(Types))
	for n := range Types {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
