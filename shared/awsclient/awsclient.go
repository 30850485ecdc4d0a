// Package awsclient builds the SDK clients every function uses from one
// aws.Config: the standard credential chain, adaptive retries with bounded
// attempts, a per-run API call counter, and emulator endpoints when
// AWS_ENDPOINT_URL (or a per-service AWS_ENDPOINT_URL_<SERVICE>) is set.
package awsclient

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
)

// Load returns the shared configuration for region. maxAttempts bounds every
// call's attempts (first try included) under the SDK's adaptive retry mode,
// which also slows the client down when AWS throttles it.
func Load(ctx context.Context, region string, maxAttempts int) (aws.Config, error) {
	if maxAttempts < 1 {
		return aws.Config{}, fmt.Errorf("aws config: max attempts must be at least 1, got %d", maxAttempts)
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(region),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
				o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
					so.MaxAttempts = maxAttempts
				})
			})
		}),
		config.WithAPIOptions([]func(*middleware.Stack) error{counterMiddleware}),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	return cfg, nil
}

// InRegion is cfg for another region, sharing credentials, retryer and middleware.
func InRegion(cfg aws.Config, region string) aws.Config {
	c := cfg.Copy()
	c.Region = region
	return c
}

// Emulated reports whether service (as in AWS_ENDPOINT_URL_<SERVICE>, e.g.
// "S3", "CLOUDWATCH") is pointed at an endpoint other than AWS's own.
func Emulated(cfg aws.Config, service string) bool {
	if os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") == "true" {
		return false
	}
	return cfg.BaseEndpoint != nil || os.Getenv("AWS_ENDPOINT_URL_"+service) != ""
}

func NewEC2(cfg aws.Config) *ec2.Client { return ec2.NewFromConfig(cfg) }

// NewS3 uses path-style addressing against an emulator, where
// bucket.localhost would not resolve.
func NewS3(cfg aws.Config) *s3.Client {
	emulated := Emulated(cfg, "S3")
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = emulated
		// moto returns no checksums; the SDK would log that on every GET.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
}

func NewLambda(cfg aws.Config) *lambda.Client { return lambda.NewFromConfig(cfg) }

func NewIAM(cfg aws.Config) *iam.Client { return iam.NewFromConfig(cfg) }

// NewCloudWatch speaks JSON 1.0 to an emulator: the SDK's default since v1.53
// is Smithy RPC v2 CBOR, which moto does not understand; real CloudWatch
// accepts both.
func NewCloudWatch(cfg aws.Config) *cloudwatch.Client {
	emulated := Emulated(cfg, "CLOUDWATCH")
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		if emulated {
			o.Protocol = awsjson.New10(cwschemas.GraniteServiceVersion20100801)
		}
	})
}

func NewEventBridge(cfg aws.Config) *eventbridge.Client { return eventbridge.NewFromConfig(cfg) }
