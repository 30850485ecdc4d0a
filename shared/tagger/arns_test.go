package tagger

import "testing"

func TestARNs(t *testing.T) {
	cases := []struct {
		name, got, want string
	}{
		{"instance", EC2ARN("us-east-1", "123456789012", "instance", "i-1"), "arn:aws:ec2:us-east-1:123456789012:instance/i-1"},
		{"volume", EC2ARN("eu-west-1", "123456789012", "volume", "vol-1"), "arn:aws:ec2:eu-west-1:123456789012:volume/vol-1"},
		{"snapshot, no owner", EC2ARN("us-east-1", "", "snapshot", "snap-1"), "arn:aws:ec2:us-east-1::snapshot/snap-1"},
		{"image, no owner", EC2ARN("ap-south-1", "", "image", "ami-1"), "arn:aws:ec2:ap-south-1::image/ami-1"},
		{"elastic ip", EC2ARN("us-east-1", "1", "elastic-ip", "eipalloc-1"), "arn:aws:ec2:us-east-1:1:elastic-ip/eipalloc-1"},
		{"China", EC2ARN("cn-north-1", "1", "volume", "vol-1"), "arn:aws-cn:ec2:cn-north-1:1:volume/vol-1"},
		{"China, Ningxia", EC2ARN("cn-northwest-1", "", "image", "ami-1"), "arn:aws-cn:ec2:cn-northwest-1::image/ami-1"},
		{"GovCloud", EC2ARN("us-gov-west-1", "1", "instance", "i-1"), "arn:aws-us-gov:ec2:us-gov-west-1:1:instance/i-1"},
		{"GovCloud east", EC2ARN("us-gov-east-1", "1", "instance", "i-1"), "arn:aws-us-gov:ec2:us-gov-east-1:1:instance/i-1"},
		{"us-east-1 is not GovCloud", EC2ARN("us-east-2", "1", "instance", "i-1"), "arn:aws:ec2:us-east-2:1:instance/i-1"},
		{"bucket", BucketARN("us-east-1", "data"), "arn:aws:s3:::data"},
		{"bucket in China", BucketARN("cn-north-1", "data"), "arn:aws-cn:s3:::data"},
		{"bucket in GovCloud", BucketARN("us-gov-west-1", "data"), "arn:aws-us-gov:s3:::data"},
		{"role by name", IAMARN("aws", "role", "app"), "arn:aws:iam:::role/app"},
		{"profile by name", IAMARN("aws-cn", "instance-profile", "p"), "arn:aws-cn:iam:::instance-profile/p"},
		{"global region", Partition("global"), "aws"},
		{"no region", Partition(""), "aws"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %s, want %s", c.got, c.want)
			}
		})
	}
}

// What the builders make, the tagger parses to the id or name it tags by.
func TestBuiltARNsParse(t *testing.T) {
	cases := []struct{ arn, service, kind, name string }{
		{EC2ARN("us-gov-west-1", "", "elastic-ip", "eipalloc-1"), "ec2", "elastic-ip", "eipalloc-1"},
		{BucketARN("cn-north-1", "data"), "s3", "", "data"},
		{IAMARN("aws", "role", "app"), "iam", "role", "app"},
		{IAMARN("aws", "instance-profile", "p"), "iam", "instance-profile", "p"},
	}
	for _, c := range cases {
		r, err := parse(c.arn)
		if err != nil || r.service != c.service || r.kind != c.kind || r.name != c.name {
			t.Errorf("parse(%s) = %+v, %v", c.arn, r, err)
		}
	}
}
