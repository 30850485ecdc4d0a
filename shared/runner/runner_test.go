package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws-commander/commander/shared/runner"
)

type answer struct {
	Got string `json:"got"`
}

func TestHandler(t *testing.T) {
	echo := runner.Handler(func(_ context.Context, raw json.RawMessage) (*answer, error) {
		if string(raw) == "fail" {
			return nil, errors.New("job: the event is not JSON")
		}
		return &answer{Got: string(raw)}, nil
	})
	cases := []struct {
		name, payload, want, err string
	}{
		{"JSON passes unchanged", `{"a": 1, "a": 2}`, `{"got":"{\"a\": 1, \"a\": 2}"}`, ""},
		{"bytes that are not JSON reach the job", "not json", `{"got":"not json"}`, ""},
		{"empty payload reaches the job", "", `{"got":""}`, ""},
		{"the job's error is the invocation's", "fail", "", "job: the event is not JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := echo.Invoke(context.Background(), []byte(c.payload))
			if c.err != "" {
				if err == nil || err.Error() != c.err || out != nil {
					t.Fatalf("Invoke = %s, %v; want error %q", out, err, c.err)
				}
				return
			}
			if err != nil || string(out) != c.want {
				t.Errorf("Invoke = %s, %v; want %s", out, err, c.want)
			}
		})
	}
}
