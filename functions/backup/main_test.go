package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/emulator/emulatortest"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

type lambdaError struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

// The real bootstrap, under the Lambda Runtime Interface Emulator, answers
// every backup sample event.
func TestBootstrapAnswersSamples(t *testing.T) {
	emulatortest.Moto(t)
	fn := emulatortest.Function(t, "backup", nil)
	samples, err := events.Samples("backup")
	if err != nil || len(samples) == 0 {
		t.Fatalf("samples: %v (%d)", err, len(samples))
	}
	for _, s := range samples {
		t.Run(s.Name, func(t *testing.T) {
			out, err := fn.Invoke(context.Background(), s.Body)
			if err != nil {
				t.Fatal(err)
			}
			var e lambdaError
			if err := json.Unmarshal(out, &e); err != nil {
				t.Fatalf("answer is not JSON: %s", out)
			}
			if !strings.Contains(e.ErrorMessage, "not implemented yet (received a schedule trigger)") {
				t.Errorf("answer = %s", out)
			}
		})
	}
}

// A bad setting stops the start with a message naming the variable.
func TestBootstrapRefusesBadSettings(t *testing.T) {
	emulatortest.Moto(t)
	fn := emulatortest.Function(t, "backup", map[string]string{"COMMANDER_ROOT_VOLUME_SIZE_GB": "0"})
	out, _ := fn.Invoke(context.Background(), []byte(`{}`))
	if strings.Contains(string(out), "not implemented") {
		t.Fatalf("the handler ran despite a bad setting: %s", out)
	}
	if !strings.Contains(fn.Output(), `COMMANDER_ROOT_VOLUME_SIZE_GB=\"0\" is invalid`) {
		t.Errorf("the function's log must name the variable and value; got %s", fn.Output())
	}
}
