// Package ec2client builds the EC2 client from awsclient's configuration.
// Each service has its own package so a function links only the SDK clients
// it uses (issue 9); the behaviour is tested in shared/awsclient.
package ec2client

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// New is the EC2 client for cfg (see awsclient.Load).
func New(cfg aws.Config) *ec2.Client { return ec2.NewFromConfig(cfg) }
