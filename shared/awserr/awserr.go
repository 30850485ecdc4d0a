// Package awserr classifies AWS errors once, so callers decide by kind
// (not found, conflict, throttled, ...) instead of matching error codes.
package awserr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Kind is what a caller can do about an error.
type Kind int

const (
	Unknown      Kind = iota
	NotFound          // the resource is gone: a delete counts as done
	Conflict          // already exists, in use, wrong state
	Throttled         // slow down and retry later
	AccessDenied      // the role lacks a permission
	InvalidInput      // the request itself is wrong
	DryRunOK          // EC2 DryRun: the call would have succeeded
	Unavailable       // the service failed; retry later
	Canceled          // our context ended (deadline or cancel)
	// Busy: a limit on work still in progress on one resource is reached
	// (EC2: five snapshots of a volume in progress, one for st1/sc1, or 15 s
	// not yet passed since the last one started). Nothing was done; the
	// same request succeeds once that work has finished, minutes or hours
	// later, so retry on a later run, never at once in a loop. Appended
	// last so the other kinds keep their values.
	Busy
)

func (k Kind) String() string {
	return [...]string{"unknown", "not-found", "conflict", "throttled", "access-denied", "invalid-input", "dry-run-ok", "unavailable", "canceled", "busy"}[k]
}

// codes maps AWS error codes to kinds. Services spell "not found" many ways;
// EC2 uses "<Resource>.NotFound" and "Invalid<Resource>ID.NotFound", handled by suffix.
var codes = map[string]Kind{
	"NoSuchBucket": NotFound, "NoSuchKey": NotFound, "NoSuchEntity": NotFound, "NoSuchUpload": NotFound,
	"NoSuchVersion": NotFound, "NoSuchLifecycleConfiguration": NotFound, "NoSuchTagSet": NotFound,
	"ResourceNotFoundException": NotFound, "ResourceNotFound": NotFound, "NotFound": NotFound,
	"ServerSideEncryptionConfigurationNotFoundError": NotFound, "NoSuchPublicAccessBlockConfiguration": NotFound,
	"NoSuchCORSConfiguration": NotFound,

	"BucketAlreadyExists": Conflict, "BucketAlreadyOwnedByYou": Conflict, "BucketNotEmpty": Conflict,
	"EntityAlreadyExists": Conflict, "DeleteConflict": Conflict, "ResourceConflictException": Conflict,
	"ResourceInUseException": Conflict, "ResourceAlreadyExistsException": Conflict, "ConcurrentModificationException": Conflict,
	"IncorrectInstanceState": Conflict, "IncorrectState": Conflict, "InvalidSnapshot.InUse": Conflict,
	"InvalidVolume.InUse": Conflict, "VolumeInUse": Conflict, "DependencyViolation": Conflict,
	"InvalidGroup.Duplicate": Conflict, "InvalidPermission.Duplicate": Conflict, "OperationNotPermitted": Conflict,
	"LimitExceeded": Conflict, "LimitExceededException": Conflict, "ResourceLimitExceeded": Conflict,
	"UnsupportedOperation": InvalidInput,

	"Throttling": Throttled, "ThrottlingException": Throttled, "RequestLimitExceeded": Throttled,
	"TooManyRequestsException": Throttled, "SlowDown": Throttled, "RequestThrottled": Throttled,
	"RequestThrottledException": Throttled, "ProvisionedThroughputExceededException": Throttled,
	"EC2ThrottledException": Throttled, "BandwidthLimitExceeded": Throttled, "PriorRequestNotComplete": Throttled,

	"AccessDenied": AccessDenied, "AccessDeniedException": AccessDenied, "UnauthorizedOperation": AccessDenied,
	"AuthFailure": AccessDenied, "UnrecognizedClientException": AccessDenied, "InvalidClientTokenId": AccessDenied,
	"ExpiredToken": AccessDenied, "ExpiredTokenException": AccessDenied, "SignatureDoesNotMatch": AccessDenied,
	"AllAccessDisabled": AccessDenied, "InvalidAccessKeyId": AccessDenied,

	"ValidationError": InvalidInput, "ValidationException": InvalidInput, "InvalidParameterValue": InvalidInput,
	"InvalidParameterValueException": InvalidInput, "InvalidParameter": InvalidInput, "InvalidParameterCombination": InvalidInput,
	"MissingParameter": InvalidInput, "InvalidRequest": InvalidInput, "InvalidArgument": InvalidInput,
	"MalformedPolicyDocument": InvalidInput, "MalformedXML": InvalidInput, "InvalidBucketName": InvalidInput,
	"InvalidInput": InvalidInput, "InvalidParameterException": InvalidInput, "InvalidRequestContentException": InvalidInput,
	"InvalidLocationConstraint": InvalidInput, "IllegalLocationConstraintException": InvalidInput,

	"DryRunOperation": DryRunOK,

	// EC2 answers these with HTTP 400, which would read as invalid input:
	// the request is right, the volume is busy.
	"ConcurrentSnapshotLimitExceeded": Busy, "SnapshotCreationPerVolumeRateExceeded": Busy,

	"InternalError": Unavailable, "InternalFailure": Unavailable, "ServiceUnavailable": Unavailable,
	"ServiceUnavailableException": Unavailable, "ServiceException": Unavailable, "Unavailable": Unavailable,
	"InternalServerError": Unavailable, "ServiceFailure": Unavailable,
}

// Classify returns the kind of err (Unknown for nil or non-AWS errors).
func Classify(err error) Kind {
	if err == nil {
		return Unknown
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Canceled
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		if k, ok := codes[code]; ok {
			return k
		}
		switch {
		case strings.HasSuffix(code, ".NotFound"):
			return NotFound
		case strings.HasSuffix(code, ".Duplicate"), strings.HasSuffix(code, ".InUse"):
			return Conflict
		case strings.HasPrefix(code, "Invalid"):
			return InvalidInput
		}
	}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) {
		switch s := resp.HTTPStatusCode(); {
		case s == 404:
			return NotFound
		case s == 409:
			return Conflict
		case s == 429:
			return Throttled
		case s == 403:
			return AccessDenied
		case s == 400:
			return InvalidInput
		case s >= 500:
			return Unavailable
		}
	}
	return Unknown
}

// Is reports whether err is of kind k.
func Is(err error, k Kind) bool { return err != nil && Classify(err) == k }

// IgnoreNotFound turns a not-found error into success: deleting what is gone is done.
func IgnoreNotFound(err error) error {
	if Is(err, NotFound) {
		return nil
	}
	return err
}

// Retryable is true for kinds worth retrying later (by a later run or the async retry).
func Retryable(err error) bool {
	k := Classify(err)
	return k == Throttled || k == Unavailable || k == Busy
}

// Refused reports whether err certainly means the request did not take
// effect, so that sending it again cannot make a second resource: AWS
// answered and said no before doing anything (throttled, denied, invalid,
// not found, in conflict, a dry run), or no connection was ever made (a
// dial error, name resolution included), so nothing was sent.
//
// Everything else is ambiguous: the request may have landed and only its
// answer was lost. A 5xx (EC2's InternalError, a 503 without a throttling
// code), a timeout, a connection reset or closed after the request went
// out, our context ending during the call, and any error we do not know.
// nil is neither: it is not a failure.
func Refused(err error) bool {
	if err == nil {
		return false
	}
	switch Classify(err) {
	case Throttled, AccessDenied, InvalidInput, NotFound, Conflict, DryRunOK, Busy:
		return true
	case Canceled, Unavailable:
		return false
	}
	return neverSent(err)
}

// neverSent is true for a connection that failed before it was open: no
// byte of the request reached anyone.
func neverSent(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// Details are the parts of an AWS error a person needs to act on it.
type Details struct {
	Kind      Kind
	Code      string // AWS error code, e.g. InvalidInstanceID.NotFound
	Message   string // AWS's message
	Service   string // e.g. EC2
	Operation string // e.g. TerminateInstances
	RequestID string
}

// Describe extracts Details from err.
func Describe(err error) Details {
	d := Details{Kind: Classify(err)}
	var api smithy.APIError
	if errors.As(err, &api) {
		d.Code, d.Message = api.ErrorCode(), api.ErrorMessage()
	}
	var op *smithy.OperationError
	if errors.As(err, &op) {
		d.Service, d.Operation = op.Service(), op.Operation()
	}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) {
		d.RequestID = resp.ServiceRequestID()
	}
	return d
}

// Explain says what happened and what a person can do about it.
func Explain(err error) string {
	if err == nil {
		return ""
	}
	d := Describe(err)
	action := d.Service + ":" + d.Operation
	switch d.Kind {
	case AccessDenied:
		return fmt.Sprintf("access denied to %s: grant the function's role this action on the resource (%s)", action, d.Message)
	case Throttled:
		return fmt.Sprintf("%s was throttled after retries: run again later or lower COMMANDER_CONCURRENCY", action)
	case NotFound:
		return fmt.Sprintf("not found (%s): %s", d.Code, d.Message)
	case Conflict:
		return fmt.Sprintf("conflict (%s): %s", d.Code, d.Message)
	case InvalidInput:
		return fmt.Sprintf("invalid request to %s (%s): %s", action, d.Code, d.Message)
	case Busy:
		return fmt.Sprintf("%s: the resource is busy (%s): %s; nothing was done, a later run tries again", action, d.Code, d.Message)
	case Unavailable:
		return fmt.Sprintf("%s is unavailable (%s, request %s): retry later", action, d.Code, d.RequestID)
	case Canceled:
		return "stopped: the time allowed ran out or the run was canceled"
	}
	return err.Error()
}
