// Package iamclient builds the IAM client from awsclient's configuration.
// Each service has its own package so a function links only the SDK clients
// it uses (issue 9); the behaviour is tested in shared/awsclient.
package iamclient

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// New is the IAM client for cfg (see awsclient.Load).
func New(cfg aws.Config) *iam.Client { return iam.NewFromConfig(cfg) }
