package awserr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func apiErr(code string) error {
	return &smithy.OperationError{ServiceID: "EC2", OperationName: "TerminateInstances",
		Err: &smithy.GenericAPIError{Code: code, Message: "msg for " + code}}
}

func httpErr(status int) error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "HeadBucket", Err: &awshttp.ResponseError{
		RequestID: "req-1",
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      errors.New("http error"),
		},
	}}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, Unknown},
		{"plain error", errors.New("boom"), Unknown},
		{"ec2 instance not found", apiErr("InvalidInstanceID.NotFound"), NotFound},
		{"ec2 snapshot not found", apiErr("InvalidSnapshot.NotFound"), NotFound},
		{"ec2 ami not found", apiErr("InvalidAMIID.NotFound"), NotFound},
		{"s3 no such bucket", apiErr("NoSuchBucket"), NotFound},
		{"iam no such entity", apiErr("NoSuchEntity"), NotFound},
		{"lambda not found", apiErr("ResourceNotFoundException"), NotFound},
		{"s3 bucket exists", apiErr("BucketAlreadyOwnedByYou"), Conflict},
		{"iam exists", apiErr("EntityAlreadyExists"), Conflict},
		{"snapshot in use", apiErr("InvalidSnapshot.InUse"), Conflict},
		{"group duplicate", apiErr("InvalidGroup.Duplicate"), Conflict},
		{"wrong state", apiErr("IncorrectInstanceState"), Conflict},
		{"ec2 throttled", apiErr("RequestLimitExceeded"), Throttled},
		{"cloudwatch throttled", apiErr("Throttling"), Throttled},
		{"lambda throttled", apiErr("TooManyRequestsException"), Throttled},
		{"s3 slow down", apiErr("SlowDown"), Throttled},
		{"ec2 unauthorized", apiErr("UnauthorizedOperation"), AccessDenied},
		{"iam denied", apiErr("AccessDenied"), AccessDenied},
		{"invalid parameter", apiErr("InvalidParameterValue"), InvalidInput},
		{"ec2 malformed id", apiErr("InvalidInstanceID.Malformed"), InvalidInput},
		{"validation", apiErr("ValidationError"), InvalidInput},
		{"dry run", apiErr("DryRunOperation"), DryRunOK},
		{"ec2 snapshots of the volume in progress", apiErr("ConcurrentSnapshotLimitExceeded"), Busy},
		{"ec2 snapshot of the volume started too recently", apiErr("SnapshotCreationPerVolumeRateExceeded"), Busy},
		{"ec2 snapshots in progress, as the SDK returns it (HTTP 400)", &smithy.OperationError{ServiceID: "EC2", OperationName: "CreateSnapshot",
			Err: &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 400}},
				Err: &smithy.GenericAPIError{Code: "ConcurrentSnapshotLimitExceeded"}}}}, Busy},
		{"internal", apiErr("InternalError"), Unavailable},
		{"unknown code", apiErr("SomethingNew"), Unknown},
		{"http 404 without code", httpErr(404), NotFound},
		{"http 429", httpErr(429), Throttled},
		{"http 503", httpErr(503), Unavailable},
		{"http 403", httpErr(403), AccessDenied},
		{"wrapped", fmt.Errorf("delete snap-1: %w", apiErr("InvalidSnapshot.NotFound")), NotFound},
		{"deadline", fmt.Errorf("list: %w", context.DeadlineExceeded), Canceled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Classify(c.err); got != c.want {
				t.Errorf("Classify = %s, want %s", got, c.want)
			}
		})
	}
}

// sendErr is a failed HTTP attempt as the SDK returns it.
func sendErr(err error) error {
	return &smithy.OperationError{ServiceID: "EC2", OperationName: "CreateSnapshot",
		Err: &smithyhttp.RequestSendError{Err: &url.Error{Op: "Post", URL: "https://ec2.us-east-1.amazonaws.com/", Err: err}}}
}

type timeout struct{}

func (timeout) Error() string   { return "i/o timeout" }
func (timeout) Timeout() bool   { return true }
func (timeout) Temporary() bool { return true }

// Refused decides whether a create may be sent again: only what certainly
// did not take effect.
func TestRefused(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil is no failure", nil, false},
		{"ec2 throttled: refused before processing", apiErr("RequestLimitExceeded"), true},
		{"ec2 throttled in a 503", &smithy.OperationError{ServiceID: "EC2", OperationName: "CreateSnapshot",
			Err: &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 503}},
				Err: &smithy.GenericAPIError{Code: "RequestLimitExceeded"}}}}, true},
		{"http 429", httpErr(429), true},
		{"access denied", apiErr("UnauthorizedOperation"), true},
		{"invalid input", apiErr("InvalidParameterValue"), true},
		{"source not found", apiErr("InvalidVolume.NotFound"), true},
		{"conflict", apiErr("IncorrectState"), true},
		{"dry run", apiErr("DryRunOperation"), true},
		{"volume busy: nothing made", apiErr("ConcurrentSnapshotLimitExceeded"), true},
		{"dial refused: nothing sent", sendErr(&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}), true},
		{"name not resolved: nothing sent", sendErr(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "ec2.example", IsNotFound: true}}), true},
		{"ec2 internal error: may have landed", apiErr("InternalError"), false},
		{"http 500 without code", httpErr(500), false},
		{"http 503 without code", httpErr(503), false},
		{"reset after sending", sendErr(&net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}), false},
		{"connection closed before the answer", sendErr(io.ErrUnexpectedEOF), false},
		{"timeout", sendErr(timeout{}), false},
		{"our deadline during the call", sendErr(context.DeadlineExceeded), false},
		{"canceled", fmt.Errorf("create: %w", context.Canceled), false},
		{"unknown code", apiErr("SomethingNew"), false},
		{"plain error", errors.New("boom"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Refused(c.err); got != c.want {
				t.Errorf("Refused(%v) = %v, want %v", c.err, got, c.want)
			}
		})
	}
}

func TestIgnoreNotFound(t *testing.T) {
	if err := IgnoreNotFound(apiErr("InvalidVolume.NotFound")); err != nil {
		t.Errorf("not found must be success, got %v", err)
	}
	if err := IgnoreNotFound(apiErr("VolumeInUse")); err == nil {
		t.Error("conflict must stay an error")
	}
}

func TestExplainNamesTheAction(t *testing.T) {
	msg := Explain(apiErr("UnauthorizedOperation"))
	if !strings.Contains(msg, "EC2:TerminateInstances") || !strings.Contains(msg, "role") {
		t.Errorf("Explain = %q, want the action and what to do", msg)
	}
	d := Describe(httpErr(503))
	if d.RequestID != "req-1" || d.Operation != "HeadBucket" {
		t.Errorf("Describe = %+v", d)
	}
}

// Retryable: worth another try later, by a later run or the async retry.
func TestRetryable(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"throttled", apiErr("RequestLimitExceeded"), true},
		{"unavailable", apiErr("InternalError"), true},
		{"volume busy: snapshots in progress", apiErr("ConcurrentSnapshotLimitExceeded"), true},
		{"volume busy: too soon after the last", apiErr("SnapshotCreationPerVolumeRateExceeded"), true},
		{"invalid input", apiErr("InvalidParameterValue"), false},
		{"not found", apiErr("InvalidVolume.NotFound"), false},
		{"access denied", apiErr("UnauthorizedOperation"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Retryable(c.err); got != c.want {
				t.Errorf("Retryable(%v) = %v, want %v", c.err, got, c.want)
			}
		})
	}
	if msg := Explain(apiErr("ConcurrentSnapshotLimitExceeded")); !strings.Contains(msg, "busy") || !strings.Contains(msg, "later run") {
		t.Errorf("Explain = %q, want it to say the resource is busy and a later run tries again", msg)
	}
}
