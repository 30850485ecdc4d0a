// Package logging sets up structured JSON logs with the Lambda request id
// on every line, using aws-lambda-go's lambdacontext handler.
package logging

import (
	"context"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// New returns the logger for a function. In Lambda with the JSON log format
// (as the stack deploys) it is lambdacontext's own handler, which follows
// the function's application log level. Elsewhere (tests, the RIE, the demo)
// it writes the same JSON shape to w at level (TRACE, DEBUG, INFO, WARN,
// ERROR or FATAL; TRACE logs as DEBUG and FATAL as ERROR).
func New(w io.Writer, level string) *slog.Logger {
	if os.Getenv("AWS_LAMBDA_LOG_FORMAT") == "JSON" && w == os.Stdout {
		return lambdacontext.NewLogger()
	}
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: Level(level), ReplaceAttr: lambdacontext.ReplaceAttr})
	return slog.New(requestID{h})
}

// Level maps Lambda's application log levels to slog's.
func Level(s string) slog.Level {
	switch s {
	case "TRACE", "DEBUG":
		return slog.LevelDebug
	case "WARN":
		return slog.LevelWarn
	case "ERROR", "FATAL":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// requestID adds the Lambda request id, as lambdacontext's handler does.
type requestID struct{ slog.Handler }

func (h requestID) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		r.AddAttrs(slog.String("requestId", lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestID) WithAttrs(a []slog.Attr) slog.Handler { return requestID{h.Handler.WithAttrs(a)} }
func (h requestID) WithGroup(n string) slog.Handler      { return requestID{h.Handler.WithGroup(n)} }
