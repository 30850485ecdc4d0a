// Package lambdaclient builds the Lambda client from awsclient's
// configuration. Each service has its own package so a function links only
// the SDK clients it uses (issue 9); the behaviour is tested in shared/awsclient.
package lambdaclient

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// New is the Lambda client for cfg (see awsclient.Load).
func New(cfg aws.Config) *lambda.Client { return lambda.NewFromConfig(cfg) }
