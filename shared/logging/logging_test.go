package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestJSONWithRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, "INFO")
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-42"})
	log.DebugContext(ctx, "hidden below INFO")
	log.InfoContext(ctx, "planned", "resources", 3)

	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("want exactly one JSON line, got %q: %v", buf.String(), err)
	}
	for k, want := range map[string]any{"requestId": "req-42", "message": "planned", "level": "INFO", "resources": 3.0} {
		if line[k] != want {
			t.Errorf("%s = %v, want %v (line %s)", k, line[k], want, buf.String())
		}
	}
	if _, ok := line["timestamp"]; !ok {
		t.Errorf("no timestamp in %s", buf.String())
	}
}

func TestLevel(t *testing.T) {
	cases := map[string]string{"TRACE": "DEBUG", "DEBUG": "DEBUG", "INFO": "INFO", "WARN": "WARN", "ERROR": "ERROR", "FATAL": "ERROR", "": "INFO"}
	for in, want := range cases {
		if got := Level(in).String(); got != want {
			t.Errorf("Level(%q) = %s, want %s", in, got, want)
		}
	}
}
