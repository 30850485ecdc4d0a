package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/catalog"
	"github.com/aws-commander/commander/shared/boot"
	"github.com/aws-commander/commander/shared/cli"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws-commander/commander/shared/testkit/localapi"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

// The caller the test's credentials stand for.
var alice = localapi.Credential{AccessKeyID: "AKIDALICE", SecretAccessKey: "alice-secret",
	UserARN: "arn:aws:iam::123456789012:user/alice", UserID: "AIDAALICE"}

// world is the real api handler (catalog.New) over a fresh moto, behind the
// SigV4-verifying gateway on a loopback HTTP server.
type world struct {
	srv      *api.Server
	cfg      aws.Config
	url      string
	requests atomic.Int64 // requests that reached the gateway
	reg      *api.Registry
}

func newWorld(t *testing.T) *world {
	t.Helper()
	emulatortest.Moto(t)
	s, err := settings.Load(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	d, err := boot.Build(context.Background(), "api", s)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := catalog.New(d, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	srv.Log = slog.New(slog.DiscardHandler)
	reg, err := catalog.Declared()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{srv: srv, cfg: d.AWS, reg: reg}
	gw := &localapi.Gateway{Handler: srv, Routes: srv.Registry, Region: "us-east-1", Credentials: []localapi.Credential{alice},
		FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:commander-test-api"}
	hs := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.requests.Add(1)
		gw.ServeHTTP(rw, r)
	}))
	t.Cleanup(hs.Close)
	w.url = hs.URL
	return w
}

// run is one CLI run; stdin answers the confirmation on a terminal.
type run struct {
	args     []string
	secret   string // the secret key the CLI signs with (alice's by default)
	terminal bool
	stdin    string
	invoke   bool // the direct transport, to the handler in process
}

type result struct {
	code           int
	stdout, stderr string
}

func (w *world) cli(t *testing.T, r run) result {
	t.Helper()
	secret := r.secret
	if secret == "" {
		secret = alice.SecretAccessKey
	}
	var out, errOut bytes.Buffer
	app := cli.App{Registry: w.reg, Stdin: strings.NewReader(r.stdin), Stdout: &out, Stderr: &errOut,
		Terminal: func() bool { return r.terminal },
		Connect: func(ctx context.Context, g cli.Globals) (cli.Transport, error) {
			if r.invoke {
				return cli.InvokeTransport{Lambda: inProcess{w.srv}, Function: "commander-test-api"}, nil
			}
			return cli.HTTPTransport{URL: w.url, Client: http.DefaultClient, Region: "us-east-1",
				Credentials: credentials.NewStaticCredentialsProvider(alice.AccessKeyID, secret, "")}, nil
		}}
	code := app.Run(context.Background(), r.args)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// inProcess is Lambda's Invoke served by the real handler in this process:
// moto's Lambda only echoes a payload, so it cannot stand in for the api.
type inProcess struct{ srv *api.Server }

func (p inProcess) Invoke(ctx context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "invoke-1",
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:" + aws.ToString(in.FunctionName)})
	out, err := p.srv.Invoke(ctx, in.Payload)
	if err != nil {
		return nil, err
	}
	return &lambda.InvokeOutput{StatusCode: 200, Payload: out}, nil
}

func (w *world) launch(t *testing.T, tags map[string]string) string {
	t.Helper()
	var ts []ec2types.Tag
	for k, v := range tags {
		ts = append(ts, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	in := &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)}
	if len(ts) > 0 {
		in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: ts}}
	}
	out, err := ec2.NewFromConfig(w.cfg).RunInstances(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Instances[0].InstanceId)
}

func (w *world) state(t *testing.T, id string) string {
	t.Helper()
	out, err := ec2.NewFromConfig(w.cfg).DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	return string(out.Reservations[0].Instances[0].State.Name)
}

func (w *world) bucketExists(t *testing.T, name string) bool {
	t.Helper()
	_, err := s3.NewFromConfig(w.cfg, func(o *s3.Options) { o.UsePathStyle = true }).HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(name)})
	return err == nil
}

// The CLI against the real api over moto, through the verifying gateway:
// each case checks the exit status, the output, and the AWS state after.
func TestCLIAgainstTheAPI(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(t *testing.T, w *world) map[string]string // names for the args' {placeholders}
		run    run
		code   int
		out    string // in stdout
		errOut string // in stderr
		after  func(t *testing.T, w *world, ids map[string]string)
		sent   int64 // requests that reached the gateway (-1: any)
	}{
		{name: "list instances as a table",
			setup: func(t *testing.T, w *world) map[string]string {
				return map[string]string{"id": w.launch(t, map[string]string{"Name": "web"})}
			},
			run: run{args: []string{"ec2", "list"}}, out: "INSTANCE-ID", sent: 1,
			after: func(t *testing.T, w *world, ids map[string]string) {}},
		{name: "stop an instance for real",
			setup: func(t *testing.T, w *world) map[string]string { return map[string]string{"id": w.launch(t, nil)} },
			run:   run{args: []string{"ec2", "stop", "{id}", "--yes"}}, sent: 1,
			after: func(t *testing.T, w *world, ids map[string]string) {
				if s := w.state(t, ids["id"]); s != "stopped" && s != "stopping" {
					t.Fatalf("instance %s is %s, want stopped", ids["id"], s)
				}
			}},
		{name: "a dry run changes nothing",
			setup: func(t *testing.T, w *world) map[string]string { return map[string]string{"id": w.launch(t, nil)} },
			run:   run{args: []string{"ec2", "stop", "{id}", "--dry-run"}}, out: "DRY RUN", sent: 1,
			after: func(t *testing.T, w *world, ids map[string]string) {
				if s := w.state(t, ids["id"]); s != "running" {
					t.Fatalf("instance %s is %s after a dry run", ids["id"], s)
				}
			}},
		{name: "create a bucket, confirmed on the terminal",
			run: run{args: []string{"s3", "create-bucket", "cli-made-bucket", "--tags", "team=web"}, terminal: true, stdin: "y\n"},
			out: "cli-made-bucket", errOut: "Run it? [y/N]", sent: 1,
			after: func(t *testing.T, w *world, _ map[string]string) {
				if !w.bucketExists(t, "cli-made-bucket") {
					t.Fatal("the bucket was not created")
				}
			}},
		{name: "declined on the terminal: nothing sent",
			run:  run{args: []string{"s3", "create-bucket", "cli-declined-bucket"}, terminal: true, stdin: "n\n"},
			code: cli.ExitFailure, errOut: "not confirmed", sent: 0,
			after: func(t *testing.T, w *world, _ map[string]string) {
				if w.bucketExists(t, "cli-declined-bucket") {
					t.Fatal("a declined bucket exists")
				}
			}},
		{name: "no terminal and no --yes: refused, nothing sent",
			run:  run{args: []string{"s3", "create-bucket", "cli-unasked-bucket"}},
			code: cli.ExitUsage, errOut: "pass --yes", sent: 0},
		{name: "a protected instance: 409",
			setup: func(t *testing.T, w *world) map[string]string {
				return map[string]string{"id": w.launch(t, map[string]string{"commander:protect": "true"})}
			},
			run:  run{args: []string{"ec2", "stop", "{id}", "--yes"}},
			code: cli.ExitConflict, errOut: "409 Protected", sent: 1,
			after: func(t *testing.T, w *world, ids map[string]string) {
				if s := w.state(t, ids["id"]); s != "running" {
					t.Fatalf("a protected instance is %s", s)
				}
			}},
		{name: "an unknown instance: 404",
			run:  run{args: []string{"ec2", "describe", "i-0123456789abcdef0"}},
			code: cli.ExitNotFound, errOut: "404", sent: 1},
		{name: "a bad value is refused locally with the server's rule",
			run:  run{args: []string{"ec2", "list", "--max-results", "ten"}},
			code: cli.ExitBadInput, errOut: "--max-results: accepts an integer from", sent: 0},
		{name: "a wrong secret key: 403 from the gateway",
			run:  run{args: []string{"ec2", "list"}, secret: "not-alice-secret"},
			code: cli.ExitDenied, errOut: "signature we calculated does not match", sent: 1},
		{name: "--json prints the server's Response",
			run: run{args: []string{"s3", "list-buckets", "--json"}}, out: `"action":"s3.listBuckets"`, sent: 1},
		{name: "--json on a failure prints it too, with the exit status",
			run:  run{args: []string{"ec2", "describe", "i-0123456789abcdef0", "--json"}},
			code: cli.ExitNotFound, out: `"statusCode":404`, sent: 1},
		{name: "--invoke: the direct payload, to the handler",
			setup: func(t *testing.T, w *world) map[string]string { return map[string]string{"id": w.launch(t, nil)} },
			run:   run{args: []string{"ec2", "stop", "{id}", "--yes", "--invoke"}, invoke: true}, sent: 0,
			after: func(t *testing.T, w *world, ids map[string]string) {
				if s := w.state(t, ids["id"]); s != "stopped" && s != "stopping" {
					t.Fatalf("instance %s is %s after --invoke, want stopped", ids["id"], s)
				}
			}},
		{name: "--invoke: the server's error and its exit status",
			run:  run{args: []string{"jobs", "start", "backup", "--yes"}, invoke: true},
			code: cli.ExitServer, errOut: "501 NotImplemented", sent: 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			ids := map[string]string{}
			if c.setup != nil {
				ids = c.setup(t, w)
			}
			r := c.run
			r.args = append([]string{}, r.args...)
			for i := range r.args {
				for k, v := range ids {
					r.args[i] = strings.ReplaceAll(r.args[i], "{"+k+"}", v)
				}
			}
			got := w.cli(t, r)
			if got.code != c.code || !strings.Contains(got.stdout, c.out) || !strings.Contains(got.stderr, c.errOut) {
				t.Fatalf("%v: exit %d (want %d)\nstdout:\n%s\nstderr:\n%s\nwant stdout %q, stderr %q", r.args, got.code, c.code, got.stdout, got.stderr, c.out, c.errOut)
			}
			if n := w.requests.Load(); c.sent >= 0 && n != c.sent {
				t.Fatalf("%d requests reached the gateway, want %d", n, c.sent)
			}
			if c.after != nil {
				c.after(t, w, ids)
			}
		})
	}
}

// The gateway puts the Idempotency-Key the CLI sends (random per call, or
// --idempotency-key) into the event; ec2.launch derives its ClientToken from
// it, so the same key launches once.
func TestIdempotencyKeyLaunchesOnce(t *testing.T) {
	w := newWorld(t)
	args := []string{"ec2", "launch", "--name", "once", "--alarm=false", "--yes", "--json", "--idempotency-key", "cli-test-key-1"}
	first := w.cli(t, run{args: args})
	second := w.cli(t, run{args: args})
	if first.code != 0 || second.code != 0 {
		t.Fatalf("exit %d, %d: %s %s", first.code, second.code, first.stderr, second.stderr)
	}
	id := func(out string) string {
		var r struct {
			Result struct {
				Instance struct {
					InstanceID string            `json:"instanceId"`
					Tags       map[string]string `json:"tags"`
				} `json:"instance"`
			} `json:"result"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if r.Result.Instance.InstanceID == "" {
			t.Fatalf("no instance id in %s", out)
		}
		// The identity the gateway verified is the one the api records.
		if by := r.Result.Instance.Tags["commander:created-by"]; by != alice.UserARN {
			t.Fatalf("created-by %q, want the signer %s", by, alice.UserARN)
		}
		return r.Result.Instance.InstanceID
	}
	if a, b := id(first.stdout), id(second.stdout); a == "" || a != b {
		t.Fatalf("the same key launched %q and %q", a, b)
	}
	out, err := ec2.NewFromConfig(w.cfg).DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range out.Reservations {
		n += len(r.Instances)
	}
	if n != 1 {
		t.Fatalf("%d instances after two calls with one key", n)
	}
}

// Without --endpoint the CLI finds the API in the stage's stack outputs
// (cloudformation:DescribeStacks, moto's CloudFormation here) and signs with
// the ordinary credential chain (the environment's keys).
func TestFindsTheAPIInTheStack(t *testing.T) {
	w := newWorld(t)
	cfn := cloudformation.NewFromConfig(w.cfg)
	tmpl := `{"Resources":{"Q":{"Type":"AWS::SQS::Queue"}},"Outputs":{"ApiUrl":{"Value":"` + w.url + `/"},"ApiFunctionName":{"Value":"commander-cli-api"}}}`
	if _, err := cfn.CreateStack(context.Background(), &cloudformation.CreateStackInput{StackName: aws.String("commander-clitest"), TemplateBody: aws.String(tmpl)}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		args   []string
		code   int
		errOut string
	}{
		{"the stage's stack", []string{"--stage", "clitest", "s3", "list-buckets"}, 0, ""},
		{"a stage without a stack", []string{"--stage", "nosuch", "s3", "list-buckets"}, cli.ExitFailure, "stack commander-nosuch not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// moto's own keys sign the request: the gateway of this test knows them.
			gw := &localapi.Gateway{Handler: w.srv, Routes: w.srv.Registry, Region: "us-east-1",
				Credentials: []localapi.Credential{{AccessKeyID: "testing", SecretAccessKey: "testing", SessionToken: "testing",
					UserARN: "arn:aws:iam::123456789012:user/env"}},
				FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:commander-clitest-api"}
			hs := httptest.NewServer(gw)
			defer hs.Close()
			// Point the stack's output at this gateway.
			if _, err := cfn.UpdateStack(context.Background(), &cloudformation.UpdateStackInput{StackName: aws.String("commander-clitest"),
				TemplateBody: aws.String(strings.Replace(tmpl, w.url, hs.URL, 1))}); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			app := cli.App{Registry: w.reg, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut}
			code := app.Run(context.Background(), c.args)
			if code != c.code || !strings.Contains(errOut.String(), c.errOut) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, c.code, out.String(), errOut.String())
			}
		})
	}
}
