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

// Type says what a policy on one resource type may ask for.
type Type struct {
	Actions []string
	Filters []string
	States  []string
	Options []string // extra policy keys the type accepts
}

// Types are the resource types, their actions, filters and states.
var Types = map[string]Type{
	EC2Instance: {
		Actions: []string{"terminate", "stop"},
		Filters: []string{Age, StoppedFor, State, Expired, Tag, Name},
		States:  []string{"pending", "running", "stopping", "stopped"},
	},
	EC2Volume: {
		Actions: []string{"delete"},
		Filters: []string{Age, State, Expired, Tag, Name},
		States:  []string{"creating", "available", "in-use", "error"},
		Options: []string{"finalSnapshot"},
	},
	EC2Snapshot: {
		Actions: []string{"delete"},
		Filters: []string{Age, Expired, Tag, Name, VolumeGone},
	},
	EC2Image: {
		Actions: []string{"deregister"}, // and delete the AMI's snapshots
		Filters: []string{Age, State, Expired, Tag, Name},
		States:  []string{"available", "pending", "failed", "error"},
	},
	CloudWatchAlarm: {
		Actions: []string{"delete"},
		Filters: []string{Age, State, StateFor, InstanceGone, Expired, Tag, Name},
		States:  []string{"OK", "ALARM", "INSUFFICIENT_DATA"},
	},
	IAMRole: {
		Actions: []string{"delete"}, // with its policies and instance profiles
		Filters: []string{Age, UnusedFor, Expired, Tag, Name},
	},
	IAMInstanceProfile: {
		Actions: []string{"delete"},
		Filters: []string{Age, State, Expired, Tag, Name},
		States:  []string{"empty", "in-use"},
	},
	S3Bucket: {
		Actions: []string{"delete"}, // only ever an empty bucket: DeleteBucket refuses others
		Filters: []string{Age, State, Expired, Tag, Name},
		States:  []string{"empty", "not-empty"},
	},
	LambdaFunction: {
		Actions: []string{"delete"}, // with its versions and aliases
		Filters: []string{Age, Expired, Tag, Name},
	},
	LambdaVersion: {
		Actions: []string{"delete"},       // never $LATEST, never a version an alias points to
		Filters: []string{Age, Tag, Name}, // tag and name are the function's
		Options: []string{"keep"},
	},
	S3MultipartUpload: {
		Actions: []string{"abort"},
		Filters: []string{Age, Tag, Name}, // age since initiation; tag and name are the bucket's
	},
	EC2Address: {
		Actions: []string{"release"},
		Filters: []string{State, Tag, Name},
		States:  []string{"associated", "unassociated"},
	},
}

func typeNames() []string {
	names := make([]string, 0, len(Types))
	for n := range Types {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
