package awsclient_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func code(c string) error {
	return &smithy.OperationError{ServiceID: "EC2", OperationName: "CreateSnapshot", Err: &smithy.GenericAPIError{Code: c}}
}

func sent(err error) error {
	return &smithy.OperationError{ServiceID: "EC2", OperationName: "CreateSnapshot",
		Err: &smithyhttp.RequestSendError{Err: &url.Error{Op: "Post", URL: "https://ec2/", Err: err}}}
}

// OnlyRefused keeps the SDK's own decision for what certainly did not take
// effect and retries nothing else.
func TestOnlyRefused(t *testing.T) {
	plain := retry.NewStandard()
	once := awsclient.OnlyRefused(plain)
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"throttled", code("RequestLimitExceeded"), true},
		{"dial refused", sent(&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}), true},
		{"internal error", code("InternalError"), false},
		{"reset after sending", sent(&net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}), false},
		{"closed before the answer", sent(errors.New("EOF")), false},
		{"refused but the SDK does not retry it", code("InvalidParameterValue"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := once.IsErrorRetryable(c.err); got != c.want {
				t.Errorf("IsErrorRetryable = %v, want %v (the SDK alone: %v)", got, c.want, plain.IsErrorRetryable(c.err))
			}
		})
	}
	if once.MaxAttempts() != plain.MaxAttempts() {
		t.Errorf("MaxAttempts = %d, want the wrapped retryer's %d", once.MaxAttempts(), plain.MaxAttempts())
	}
	if _, ok := once.(aws.RetryerV2); !ok {
		t.Error("OnlyRefused lost GetAttemptToken (the retryer's attempt tokens)")
	}
}

// A 500 to a CreateSnapshot is sent once with NoBlindRetry, up to the
// attempts without it; a throttle is retried either way.
func TestNoBlindRetry(t *testing.T) {
	cases := []struct {
		name     string
		answer   string // error code the server answers the first attempts with
		status   int
		noBlind  bool
		attempts int64
	}{
		{"lost answer, plain SDK: sent again", "InternalError", 500, false, 3},
		{"lost answer, no blind retry: sent once", "InternalError", 500, true, 1},
		{"throttled, no blind retry: retried", "RequestLimitExceeded", 503, true, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(c.status)
				fmt.Fprintf(w, `<Response><Errors><Error><Code>%s</Code><Message>m</Message></Error></Errors><RequestID>r</RequestID></Response>`, c.answer)
			}))
			defer srv.Close()
			t.Setenv("AWS_ACCESS_KEY_ID", "test")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
			t.Setenv("AWS_CA_BUNDLE", "")
			t.Setenv("AWS_ENDPOINT_URL", srv.URL)
			cfg, err := awsclient.Load(context.Background(), "us-east-1", 3)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Retryer = func() aws.Retryer { // no backoff, same decisions
				return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 3; o.Backoff = retry.BackoffDelayerFunc(noDelay) })
			}
			var opts []func(*ec2.Options)
			if c.noBlind {
				opts = append(opts, ec2client.NoBlindRetry)
			}
			_, err = ec2client.New(cfg).CreateSnapshot(context.Background(), &ec2.CreateSnapshotInput{VolumeId: aws.String("vol-1")}, opts...)
			if err == nil {
				t.Fatal("the create succeeded against a server that always fails")
			}
			if got := n.Load(); got != c.attempts {
				t.Errorf("attempts = %d, want %d (%v)", got, c.attempts, err)
			}
		})
	}
}

func noDelay(int, error) (time.Duration, error) { return 0, nil }

// step is one create's fate: its error, and whether it made the resource
// (a lost answer may come from a call that landed or from one that did not).
type step struct {
	err   error
	lands bool
}

// fakeCreate plays a sequence of creates; its find sees what landed.
type fakeCreate struct {
	creates []step
	findErr error
	made    int // resources made
	calls   struct{ create, find int }
}

func (f *fakeCreate) create(context.Context) (string, error) {
	s := f.creates[f.calls.create]
	f.calls.create++
	if s.lands || s.err == nil {
		f.made++
	}
	if s.err != nil {
		return "", s.err
	}
	return "snap-new", nil
}

func (f *fakeCreate) find(context.Context) (string, bool, error) {
	f.calls.find++
	if f.findErr != nil {
		return "", false, f.findErr
	}
	return "snap-found", f.made > 0, nil
}

func TestCreateOnce(t *testing.T) {
	lost, throttled, denied := code("InternalError"), code("RequestLimitExceeded"), code("UnauthorizedOperation")
	reset := sent(&net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")})
	ok := step{}
	landed := func(err error) step { return step{err, true} }
	notLanded := func(err error) step { return step{err, false} }
	cases := []struct {
		name           string
		fake           fakeCreate
		canceled       bool
		want           string
		wantKind       awserr.Kind // of the error, when one
		lost           bool        // the error wraps ErrAnswerLost
		creates, finds int
	}{
		{name: "success: no look", fake: fakeCreate{creates: []step{ok}}, want: "snap-new", creates: 1},
		{name: "refused: returned, no look", fake: fakeCreate{creates: []step{notLanded(denied)}}, wantKind: awserr.AccessDenied, creates: 1},
		{name: "throttled after retries: nothing made, no look", fake: fakeCreate{creates: []step{notLanded(throttled)}}, wantKind: awserr.Throttled, creates: 1},
		{name: "lost answer of a call that landed: found and used", fake: fakeCreate{creates: []step{landed(lost)}}, want: "snap-found", creates: 1, finds: 1},
		{name: "reset after a call that landed: found and used", fake: fakeCreate{creates: []step{landed(reset)}}, want: "snap-found", creates: 1, finds: 1},
		{name: "5xx of a call that did not land: created once more", fake: fakeCreate{creates: []step{notLanded(lost), ok}}, want: "snap-new", creates: 2, finds: 1},
		{name: "not landed, then lost again after landing: found the second time", fake: fakeCreate{creates: []step{notLanded(lost), landed(reset)}}, want: "snap-found", creates: 2, finds: 2},
		{name: "ambiguous twice, nothing made: failure", fake: fakeCreate{creates: []step{notLanded(lost), notLanded(reset)}}, lost: true, wantKind: awserr.Unknown, creates: 2, finds: 2},
		{name: "not landed, then refused: the refusal", fake: fakeCreate{creates: []step{notLanded(lost), notLanded(denied)}}, wantKind: awserr.AccessDenied, creates: 2, finds: 1},
		{name: "lost, the look fails: failure, no second create", fake: fakeCreate{creates: []step{landed(lost)}, findErr: code("RequestLimitExceeded")},
			wantKind: awserr.Unavailable, lost: true, creates: 1, finds: 1},
		{name: "lost and out of time: not looked for", fake: fakeCreate{creates: []step{landed(lost)}}, canceled: true, wantKind: awserr.Canceled, lost: true, creates: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f := &c.fake
			create := f.create
			if c.canceled {
				create = func(ctx context.Context) (string, error) { cancel(); return f.create(ctx) }
			}
			got, err := awsclient.CreateOnce(ctx, create, f.find)
			if got != c.want {
				t.Errorf("result = %q, want %q", got, c.want)
			}
			switch {
			case c.want != "" && err != nil:
				t.Errorf("error %v, want none", err)
			case c.want == "" && err == nil:
				t.Error("no error")
			case err != nil && c.wantKind != awserr.Unknown && awserr.Classify(err) != c.wantKind:
				t.Errorf("kind %s, want %s (%v)", awserr.Classify(err), c.wantKind, err)
			}
			if errors.Is(err, awsclient.ErrAnswerLost) != c.lost {
				t.Errorf("ErrAnswerLost = %v, want %v (%v)", errors.Is(err, awsclient.ErrAnswerLost), c.lost, err)
			}
			if f.calls.create != c.creates || f.calls.find != c.finds {
				t.Errorf("creates %d, finds %d; want %d, %d", f.calls.create, f.calls.find, c.creates, c.finds)
			}
			if f.made > 1 || c.want != "" && f.made != 1 {
				t.Errorf("%d resources made for one create, want exactly one on success and at most one", f.made)
			}
		})
	}
}
