package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/guard"
)

// Error is an answer other than success: the HTTP status and what the caller
// can do about it.
type Error struct {
	Status     int      `json:"-"`
	Code       string   `json:"code"`
	Message    string   `json:"message"`
	Field      string   `json:"field,omitempty"`     // the parameter at fault
	Rule       string   `json:"rule,omitempty"`      // what the field accepts
	Valid      []string `json:"valid,omitempty"`     // valid routes or actions, for a 404
	AWSAction  string   `json:"awsAction,omitempty"` // e.g. EC2:RunInstances
	AWSCode    string   `json:"awsCode,omitempty"`
	RequestID  string   `json:"awsRequestId,omitempty"`
	RetryAfter int      `json:"retryAfterSeconds,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Invalid is a 400 naming the field and its rule.
func Invalid(field, rule string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "InvalidParameter", Field: field, Rule: rule,
		Message: fmt.Sprintf("parameter %q is invalid: accepts %s", field, rule)}
}

// Missing is a 400 for a required parameter not given.
func Missing(field, rule string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "MissingParameter", Field: field, Rule: rule,
		Message: fmt.Sprintf("parameter %q is required: %s", field, rule)}
}

// Conflictf is a 409, e.g. a protected resource.
func Conflictf(format string, a ...any) *Error {
	return &Error{Status: http.StatusConflict, Code: "Conflict", Message: fmt.Sprintf(format, a...)}
}

// NotFoundf is a 404 for a resource the command looked for.
func NotFoundf(format string, a ...any) *Error {
	return &Error{Status: http.StatusNotFound, Code: "NotFound", Message: fmt.Sprintf(format, a...)}
}

// Protected is the 409 for a resource carrying the protection tag.
func Protected(resource, tag string) *Error {
	return &Error{Status: http.StatusConflict, Code: "Protected",
		Message: fmt.Sprintf("%s is protected by its %s tag (any value but false): commander never stops, rewrites or deletes it; set the tag to false first", resource, tag)}
}

// RefuseProtected is the commands' one protection check: the 409 Protected
// when tags protect resource under key (guard.Protected, the rule IAM's
// conditions state too), else nil.
func RefuseProtected(resource string, tags map[string]string, key string) error {
	if guard.Protected(tags, key) {
		return Protected(resource, key)
	}
	return nil
}

// NotImplemented is a 501 with the reason.
func NotImplemented(msg string) *Error {
	return &Error{Status: http.StatusNotImplemented, Code: "NotImplemented", Message: msg}
}

// FromError maps any error a command returns to an answer: an *Error as is,
// an AWS error by its kind.
func FromError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	d := awserr.Describe(err)
	action := d.Service + ":" + d.Operation
	out := &Error{AWSAction: action, AWSCode: d.Code, RequestID: d.RequestID, Message: err.Error()}
	switch d.Kind {
	case awserr.NotFound:
		out.Status, out.Code = http.StatusNotFound, "NotFound"
	case awserr.Conflict:
		out.Status, out.Code = http.StatusConflict, "Conflict"
	case awserr.Throttled:
		out.Status, out.Code, out.RetryAfter = http.StatusTooManyRequests, "Throttled", 5
		out.Message = awserr.Explain(err)
	case awserr.Busy:
		// The resource's work in progress must finish first (e.g. five
		// snapshots of a volume pending): minutes, not the seconds of a throttle.
		out.Status, out.Code, out.RetryAfter = http.StatusConflict, "Busy", 60
		out.Message = awserr.Explain(err)
	case awserr.AccessDenied:
		out.Status, out.Code = http.StatusForbidden, "AccessDenied"
		out.Message = awserr.Explain(err)
	case awserr.InvalidInput:
		out.Status, out.Code = http.StatusBadRequest, "InvalidRequest"
	case awserr.Canceled:
		out.Status, out.Code = http.StatusGatewayTimeout, "Timeout"
		out.Message = awserr.Explain(err)
	default:
		out.Status, out.Code = http.StatusBadGateway, "AWSError"
		if d.Code == "" {
			out.Code = "UpstreamError"
		}
	}
	return out
}
