// Package cloudwatchclient builds the CloudWatch client from awsclient's
// configuration. Each service has its own package so a function links only
// the SDK clients it uses (issue 9); the behaviour is tested in shared/awsclient.
package cloudwatchclient

import (
	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
)

// New is the CloudWatch client for cfg (see awsclient.Load). It speaks
// JSON 1.0 to an emulator: the SDK's default since v1.53 is Smithy RPC v2
// CBOR, which moto does not understand; real CloudWatch accepts both.
func New(cfg aws.Config) *cloudwatch.Client {
	emulated := awsclient.Emulated(cfg, "CLOUDWATCH")
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		if emulated {
			o.Protocol = awsjson.New10(cwschemas.GraniteServiceVersion20100801)
		}
	})
}
