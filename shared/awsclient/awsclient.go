// Package awsclient builds the one aws.Config every function's SDK clients
// share: credentials from the environment, standard retries with bounded
// attempts, a per-run API call counter, an HTTP client safe from the SDK's
// request-body race, and emulator endpoints when AWS_ENDPOINT_URL (or a
// per-service AWS_ENDPOINT_URL_<SERVICE>) is set.
//
// The clients themselves are built by one subpackage per service
// (ec2client, s3client, lambdaclient, iamclient, cloudwatchclient,
// eventbridgeclient), so that this package imports no service and each
// function links only the clients it uses (issue 9).
package awsclient

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Load returns the shared configuration for region. maxAttempts bounds every
// call's attempts (first try included) under the SDK's standard retry mode
// (exponential backoff with jitter, and its retry quota). Pacing to EC2's
// rate limits is shared/pace's, per region and action, ahead of AWS's
// throttling. The SDK's adaptive mode is not used: it is experimental, its
// one rate limiter per client slows every action for the throttling of
// one, and it reacts only after AWS has throttled (docs/PERFORMANCE.md,
// "At the account's rate limits", measures it).
//
// It reads the environment as config.LoadDefaultConfig does (through the
// SDK's own config.NewEnvConfig: endpoints, FIPS, dual-stack, checksums,
// AWS_CA_BUNDLE, ...) but takes credentials from the environment only, which
// is where Lambda puts the execution role's keys (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), as do the emulated runs. The
// full chain (shared files, SSO, web identity, container, IMDS) would link
// the STS, SSO and IMDS clients into every function: about 1.1 MB of each
// bootstrap (issue 9). Without keys, or with AWS_DEFAULTS_MODE=auto (which
// asks EC2 instance metadata), it fails at start instead.
// TestLoadMatchesLoadDefaultConfig holds every other field to LoadDefaultConfig's.
func Load(ctx context.Context, region string, maxAttempts int) (aws.Config, error) {
	if maxAttempts < 1 {
		return aws.Config{}, fmt.Errorf("aws config: max attempts must be at least 1, got %d", maxAttempts)
	}
	env, err := config.NewEnvConfig()
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	if !env.Credentials.HasKeys() {
		return aws.Config{}, errors.New("aws config: no credentials in the environment " +
			"(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, as Lambda sets them)")
	}
	if env.DefaultsMode == aws.DefaultsModeAuto {
		// auto asks EC2 instance metadata where it runs; Lambda has none.
		return aws.Config{}, errors.New("aws config: AWS_DEFAULTS_MODE=auto is not supported; use standard, in-region or cross-region")
	}
	hc, err := httpClient(env.CustomCABundle)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	cfg := aws.Config{
		Region: region,
		Credentials: aws.NewCredentialsCache(credentials.StaticCredentialsProvider{
			Value: env.Credentials, Source: []aws.CredentialSource{aws.CredentialSourceEnvVars}}),
		HTTPClient: hc,
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) { so.MaxAttempts = maxAttempts })
		},
		APIOptions: []func(*middleware.Stack) error{counterMiddleware},
		Logger:     logging.NewStandardLogger(os.Stderr),
		// The clients read per-service endpoints (AWS_ENDPOINT_URL_<SERVICE>),
		// FIPS, dual-stack and the S3 switches from here.
		ConfigSources:               []any{env},
		AppID:                       env.AppID,
		DefaultsMode:                aws.DefaultsModeLegacy,
		DisableRequestCompression:   aws.ToBool(env.DisableRequestCompression),
		DisableClockSkewCorrection:  aws.ToBool(env.DisableClockSkewCorrection),
		RequestMinCompressSizeBytes: 10240,
		AccountIDEndpointMode:       aws.AccountIDEndpointModePreferred,
		RequestChecksumCalculation:  aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation:  aws.ResponseChecksumValidationWhenSupported,
		AuthSchemePreference:        env.AuthSchemePreference,
		RestrictFilePermissions:     aws.RestrictFilePermissionsUserReadWrite,
		Interceptors:                new(smithyhttp.InterceptorRegistry).Copy(), // as LoadDefaultConfig: empty, not nil
	}
	if env.DefaultsMode != "" {
		cfg.DefaultsMode = env.DefaultsMode
	}
	if env.RequestMinCompressSizeBytes != nil {
		cfg.RequestMinCompressSizeBytes = *env.RequestMinCompressSizeBytes
	}
	if env.AccountIDEndpointMode != "" {
		cfg.AccountIDEndpointMode = env.AccountIDEndpointMode
	}
	if env.RequestChecksumCalculation != aws.RequestChecksumCalculationUnset {
		cfg.RequestChecksumCalculation = env.RequestChecksumCalculation
	}
	if env.ResponseChecksumValidation != aws.ResponseChecksumValidationUnset {
		cfg.ResponseChecksumValidation = env.ResponseChecksumValidation
	}
	if env.RestrictFilePermissions != aws.RestrictFilePermissionsUnset {
		cfg.RestrictFilePermissions = env.RestrictFilePermissions
	}
	if env.BaseEndpoint != "" && !aws.ToBool(env.IgnoreConfiguredEndpoints) {
		cfg.BaseEndpoint = aws.String(env.BaseEndpoint)
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
