package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
)

// Stack outputs the CLI reads (infra/stack: the HTTP stage's URL and the
// api function's name).
const (
	OutputAPIURL      = "ApiUrl"
	OutputAPIFunction = "ApiFunctionName"
)

// DefaultStage is the stage a deployment without STAGE gets (make deploy).
const DefaultStage = "dev"

// StackName is the stack of a stage, as infra/stack names it.
func StackName(stage string) string { return "commander-" + stage }

// StacksAPI is the slice of CloudFormation the CLI calls to find the API.
type StacksAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// StackOutput reads one output of a stack.
func StackOutput(ctx context.Context, cfn StacksAPI, stack, key, region string) (string, error) {
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" {
			return "", fmt.Errorf("stack %s not found in %s: deploy it (make deploy STAGE=<stage>), or pass --stage, --region, or --endpoint URL: %w", stack, region, err)
		}
		return "", fmt.Errorf("find the API: describe stack %s in %s (needs cloudformation:DescribeStacks): %w", stack, region, err)
	}
	for _, s := range out.Stacks {
		for _, o := range s.Outputs {
			if aws.ToString(o.OutputKey) == key && aws.ToString(o.OutputValue) != "" {
				return aws.ToString(o.OutputValue), nil
			}
		}
	}
	return "", fmt.Errorf("stack %s in %s has no output %s: is it an AWS Commander stack?", stack, region, key)
}

// Connect is the transport the globals ask for, with the user's ordinary
// AWS configuration (profile, SSO, environment): --endpoint, else --invoke,
// else the stack's ApiUrl output.
func Connect(ctx context.Context, g Globals) (Transport, error) {
	var opts []func(*config.LoadOptions) error
	if g.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(g.Profile))
	}
	if g.Region != "" {
		opts = append(opts, config.WithRegion(g.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	stage := g.Stage
	if stage == "" {
		stage = DefaultStage
	}
	if g.Invoke {
		fn := g.Function
		if fn == "" {
			if cfg.Region == "" {
				return nil, errNoRegion
			}
			if fn, err = StackOutput(ctx, cloudformation.NewFromConfig(cfg), StackName(stage), OutputAPIFunction, cfg.Region); err != nil {
				return nil, err
			}
		}
		return InvokeTransport{Lambda: lambda.NewFromConfig(cfg), Function: fn}, nil
	}
	base := g.Endpoint
	if base == "" {
		if cfg.Region == "" {
			return nil, errNoRegion
		}
		if base, err = StackOutput(ctx, cloudformation.NewFromConfig(cfg), StackName(stage), OutputAPIURL, cfg.Region); err != nil {
			return nil, err
		}
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, usagef("--endpoint %q: accepts an http(s) URL such as https://abc123.execute-api.us-east-1.amazonaws.com/", base)
	}
	region := RegionOf(u.Host, cfg.Region)
	if region == "" {
		return nil, errNoRegion
	}
	// The SDK's own client (a CA bundle, proxies from the environment), which
	// LoadDefaultConfig leaves nil unless the configuration needs it.
	var client interface {
		Do(*http.Request) (*http.Response, error)
	} = awshttp.NewBuildableClient()
	if cfg.HTTPClient != nil {
		client = cfg.HTTPClient
	}
	return HTTPTransport{URL: base, Client: client, Credentials: cfg.Credentials, Region: region}, nil
}

var errNoRegion = usagef("no AWS region: pass --region or set AWS_REGION (or a region in the profile)")

var executeAPIHost = regexp.MustCompile(`^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$`)

// RegionOf is the region to sign for: the one an execute-api host names
// (API Gateway refuses a signature for another), else the configured one.
func RegionOf(host, configured string) string {
	if m := executeAPIHost.FindStringSubmatch(host); m != nil {
		return m[1]
	}
	return configured
}
