package cli

import (
	"errors"
	"fmt"
	"net/http"
)

// Exit statuses, one per kind of failure, so a script can tell a typo from a
// missing resource from a refusal (documented in docs/CLI.md).
const (
	ExitOK        = 0
	ExitFailure   = 1 // anything else: credentials, network, the stack not found, confirmation declined
	ExitUsage     = 2 // the command line: unknown command or flag, wrong number of arguments, --yes needed
	ExitBadInput  = 3 // a parameter refused, locally or by the server (400, 413)
	ExitNotFound  = 4 // 404
	ExitConflict  = 5 // 409: exists, wrong state, protected
	ExitThrottled = 6 // 429
	ExitDenied    = 7 // 401, 403: IAM or the api's bounds
	ExitServer    = 8 // 5xx, or the function failed
)

// ExitFor is the exit status of an HTTP status the api (or API Gateway)
// answered.
func ExitFor(status int) int {
	switch {
	case status >= 200 && status < 300:
		return ExitOK
	case status == http.StatusNotFound:
		return ExitNotFound
	case status == http.StatusConflict:
		return ExitConflict
	case status == http.StatusTooManyRequests:
		return ExitThrottled
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ExitDenied
	case status >= 500:
		return ExitServer
	case status >= 400:
		return ExitBadInput
	}
	return ExitFailure
}

// exitError is a failure with the exit status it ends the CLI with.
type exitError struct {
	code    int
	err     error
	printed bool // its message is already on stderr (a failed answer)
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, a...)}
}

func badInputf(format string, a ...any) error {
	return &exitError{code: ExitBadInput, err: fmt.Errorf(format, a...)}
}

// codeOf is the exit status an error ends the CLI with.
func codeOf(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return ExitFailure
}
