// Package eventbridgeclient builds the EventBridge client from awsclient's
// configuration. Each service has its own package so a function links only
// the SDK clients it uses (issue 9); the behaviour is tested in shared/awsclient.
package eventbridgeclient

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
)

// New is the EventBridge client for cfg (see awsclient.Load).
func New(cfg aws.Config) *eventbridge.Client { return eventbridge.NewFromConfig(cfg) }
