package awsclient_test

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// lambdaEnv is what Lambda gives every function: the execution role's keys.
var lambdaEnv = map[string]string{
	"AWS_ACCESS_KEY_ID": "AKIDLAMBDA", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
	"AWS_REGION": "us-east-1",
}

// setEnv makes env the whole AWS environment of the test: no developer
// profile, file or variable leaks in.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_CLOUDWATCH",
		"AWS_ENDPOINT_URL_EC2", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
		"AWS_SDK_UA_APP_ID", "AWS_DEFAULTS_MODE", "AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION",
		"AWS_DISABLE_REQUEST_COMPRESSION", "AWS_REQUEST_MIN_COMPRESSION_SIZE_BYTES", "AWS_ACCOUNT_ID_ENDPOINT_MODE",
		"AWS_AUTH_SCHEME_PREFERENCE", "AWS_CA_BUNDLE", "AWS_S3_USE_ARN_REGION", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_EC2_METADATA_DISABLED",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true") // the reference chain must not wait on IMDS
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func with(extra map[string]string) map[string]string {
	env := map[string]string{}
	for _, m := range []map[string]string{lambdaEnv, extra} {
		for k, v := range m {
			env[k] = v
		}
	}
	return env
}

// errStop ends a call once its request is final, before it is sent.
var errStop = errors.New("request captured")

// requestURLs is where each client built from cfg sends one call.
func requestURLs(t *testing.T, cfg aws.Config) map[string]string {
	t.Helper()
	var got string
	capture := func(s *middleware.Stack) error {
		return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("capture", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			got = in.Request.(*smithyhttp.Request).URL.String()
			return middleware.FinalizeOutput{}, middleware.Metadata{}, errStop
		}), middleware.After)
	}
	cfg.APIOptions = append(slices.Clone(cfg.APIOptions), capture)
	ctx := context.Background()
	calls := map[string]func() error{
		"EC2": func() error {
			_, err := ec2client.New(cfg).DescribeVolumes(ctx, &ec2.DescribeVolumesInput{})
			return err
		},
		"S3": func() error {
			_, err := s3client.New(cfg).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bucket-b")})
			return err
		},
		"Lambda": func() error {
			_, err := lambdaclient.New(cfg).ListFunctions(ctx, &lambda.ListFunctionsInput{})
			return err
		},
		"IAM": func() error { _, err := iamclient.New(cfg).ListRoles(ctx, &iam.ListRolesInput{}); return err },
		"CloudWatch": func() error {
			_, err := cloudwatchclient.New(cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
			return err
		},
		"EventBridge": func() error {
			_, err := eventbridgeclient.New(cfg).ListRules(ctx, &eventbridge.ListRulesInput{})
			return err
		},
	}
	urls := map[string]string{}
	for name, call := range calls {
		got = ""
		if err := call(); !errors.Is(err, errStop) {
			t.Fatalf("%s: %v", name, err)
		}
		urls[name] = got
	}
	return urls
}

// TestLoadMatchesLoadDefaultConfig: Load reads the environment as the SDK's
// config.LoadDefaultConfig does and differs from it only where it must — the
// HTTP client (race-safe), the retryer and the call counter, and the
// credential chain (environment only) — so every aws.Config field, and
// where each client sends its requests, are the same.
func TestLoadMatchesLoadDefaultConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want map[string]string // request URLs that must appear (beyond equality)
	}{
		{"Lambda: keys and region only", lambdaEnv,
			map[string]string{"EC2": "https://ec2.eu-west-1.amazonaws.com/", "S3": "https://bucket-b.s3.eu-west-1.amazonaws.com/?list-type=2"}},
		{"an emulator for every service", with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}),
			map[string]string{"EC2": "http://127.0.0.1:5000/", "S3": "http://127.0.0.1:5000/bucket-b?list-type=2"}},
		{"per-service endpoints beside the global one", with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
			"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:6000", "AWS_ENDPOINT_URL_CLOUDWATCH": "http://127.0.0.1:7000"}),
			map[string]string{"EC2": "http://127.0.0.1:5000/", "S3": "http://127.0.0.1:6000/bucket-b?list-type=2", "CloudWatch": "http://127.0.0.1:7000/"}},
		{"a per-service endpoint alone", with(map[string]string{"AWS_ENDPOINT_URL_EC2": "http://127.0.0.1:5000"}),
			map[string]string{"EC2": "http://127.0.0.1:5000/", "S3": "https://bucket-b.s3.eu-west-1.amazonaws.com/?list-type=2"}},
		{"configured endpoints ignored", with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
			"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:6000", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}),
			map[string]string{"EC2": "https://ec2.eu-west-1.amazonaws.com/", "S3": "https://bucket-b.s3.eu-west-1.amazonaws.com/?list-type=2"}},
		{"FIPS and dual-stack endpoints", with(map[string]string{"AWS_USE_FIPS_ENDPOINT": "true", "AWS_USE_DUALSTACK_ENDPOINT": "true"}),
			map[string]string{"EC2": "https://ec2-fips.eu-west-1.api.aws/"}},
		{"SDK switches", with(map[string]string{"AWS_SDK_UA_APP_ID": "commander", "AWS_DEFAULTS_MODE": "in-region",
			"AWS_REQUEST_CHECKSUM_CALCULATION": "when_required", "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
			"AWS_DISABLE_REQUEST_COMPRESSION": "true", "AWS_REQUEST_MIN_COMPRESSION_SIZE_BYTES": "100",
			"AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled", "AWS_AUTH_SCHEME_PREFERENCE": "sigv4", "AWS_S3_USE_ARN_REGION": "true"}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			ctx := context.Background()
			got, err := awsclient.Load(ctx, "eu-west-1", 4)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := config.LoadDefaultConfig(ctx, config.WithRegion("eu-west-1"))
			if err != nil {
				t.Fatal(err)
			}

			// Every field but those Load sets on purpose.
			own := map[string]bool{"Credentials": true, "HTTPClient": true, "Retryer": true, "APIOptions": true, "ConfigSources": true, "Logger": true}
			gv, rv := reflect.ValueOf(got), reflect.ValueOf(ref)
			for i := range gv.NumField() {
				f := gv.Type().Field(i).Name
				if !own[f] && !reflect.DeepEqual(gv.Field(i).Interface(), rv.Field(i).Interface()) {
					t.Errorf("%s = %#v, LoadDefaultConfig has %#v", f, gv.Field(i).Interface(), rv.Field(i).Interface())
				}
			}
			gc, err := got.Credentials.Retrieve(ctx)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := ref.Credentials.Retrieve(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gc, rc) {
				t.Errorf("credentials %+v, LoadDefaultConfig has %+v", gc, rc)
			}
			if reflect.TypeOf(got.Logger) != reflect.TypeOf(ref.Logger) {
				t.Errorf("logger %T, LoadDefaultConfig has %T", got.Logger, ref.Logger)
			}
			if r := got.Retryer().MaxAttempts(); r != 4 {
				t.Errorf("max attempts %d, want 4", r)
			}

			gu, ru := requestURLs(t, got), requestURLs(t, ref)
			if !reflect.DeepEqual(gu, ru) {
				t.Errorf("requests go to\n%v\nwith LoadDefaultConfig to\n%v", gu, ru)
			}
			for svc, url := range tt.want {
				if gu[svc] != url {
					t.Errorf("%s request to %s, want %s", svc, gu[svc], url)
				}
			}
		})
	}
}

// TestLoadRefuses: what Load does not do, it says at start (boot turns the
// error into an init failure) instead of failing every call later.
func TestLoadRefuses(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		attempts int
		want     string
	}{
		{"no keys in the environment", map[string]string{"AWS_REGION": "us-east-1"}, 3, "no credentials in the environment"},
		{"a secret without its key id", map[string]string{"AWS_SECRET_ACCESS_KEY": "s"}, 3, "no credentials in the environment"},
		{"defaults mode auto (asks EC2 metadata)", with(map[string]string{"AWS_DEFAULTS_MODE": "auto"}), 3, "AWS_DEFAULTS_MODE=auto"},
		{"no attempt at all", lambdaEnv, 0, "max attempts must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			_, err := awsclient.Load(context.Background(), "us-east-1", tt.attempts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestLoadTrustsTheCABundle: AWS_CA_BUNDLE replaces the trusted roots, as
// with LoadDefaultConfig (an emulator or proxy behind its own certificate).
func TestLoadTrustsTheCABundle(t *testing.T) {
	var served atomic.Int64
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	bundle := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		bundle   string
		loadErr  string // Load fails with this
		callErr  string // else the call fails with this
		reaching bool   // and the request reaches the server
	}{
		{"the server's certificate in the bundle", bundle, "", "StatusCode: 500", true},
		{"no bundle: the system roots do not know it", "", "", "certificate", false},
		{"a bundle that cannot be read", filepath.Join(dir, "missing.pem"), "AWS_CA_BUNDLE", "", false},
		{"a bundle without a certificate", notPEM, "no PEM certificate", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, with(map[string]string{"AWS_ENDPOINT_URL": ts.URL, "AWS_CA_BUNDLE": tt.bundle}))
			before := served.Load()
			cfg, err := awsclient.Load(context.Background(), "us-east-1", 1)
			if tt.loadErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.loadErr) {
					t.Fatalf("Load error %v, want one containing %q", err, tt.loadErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = ec2client.New(cfg).DescribeVolumes(context.Background(), &ec2.DescribeVolumesInput{})
			if err == nil || !strings.Contains(err.Error(), tt.callErr) {
				t.Errorf("call error %v, want one containing %q", err, tt.callErr)
			}
			if reached := served.Load() > before; reached != tt.reaching {
				t.Errorf("request reached the server: %v, want %v", reached, tt.reaching)
			}
		})
	}
}
