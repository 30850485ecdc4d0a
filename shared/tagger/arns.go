package tagger

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Partition is the AWS partition of region: aws-cn for the China regions
// (cn-*), aws-us-gov for GovCloud (us-gov-*), aws otherwise (and for a
// region that is no region, such as IAM's "global").
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// EC2ARN is the ARN of an EC2 resource:
// arn:<partition>:ec2:<region>:<owner>:<type>/<id>, with type as EC2's ARNs
// spell it (instance, volume, snapshot, image, elastic-ip). owner may be
// empty (EC2 names AMIs and snapshots without one; tagging takes the id).
func EC2ARN(region, owner, typ, id string) string {
	return arn.ARN{Partition: Partition(region), Service: "ec2", Region: region, AccountID: owner, Resource: typ + "/" + id}.String()
}

// BucketARN is the ARN of an S3 bucket in region: arn:<partition>:s3:::<bucket>.
func BucketARN(region, bucket string) string {
	return arn.ARN{Partition: Partition(region), Service: "s3", Resource: bucket}.String()
}

// IAMARN is the ARN of an IAM role or instance profile (kind) by name, when
// only its name is known: no account, no path. The tagger needs only the name.
func IAMARN(partition, kind, name string) string {
	return arn.ARN{Partition: partition, Service: "iam", Resource: kind + "/" + name}.String()
}
