package runner_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

// Through each job's real bootstrap under the RIE: a payload that is not
// JSON meets the job's strict decoder, which names what is wrong, never the
// runtime's unmarshal error; and nothing runs.
func TestJobBootstrapsDecodeRawBytes(t *testing.T) {
	emulatortest.Moto(t)
	cases := []struct {
		fn, payload, want string
	}{
		{"backup", "not json", "backup: "},
		{"cleanup", "not json", "cleanup: "},
		{"alarm", "not json", "malformed event"},
		{"backup", `{"dryRun":true,"dryRun":false}`, `key \"dryRun\" is given twice`},
		{"cleanup", "\xef\xbb\xbf{}", "byte order mark"},
	}
	for _, c := range cases {
		t.Run(c.fn+"/"+c.payload, func(t *testing.T) {
			fn := emulatortest.Function(t, c.fn, nil)
			out, err := fn.Invoke(context.Background(), []byte(c.payload))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(out), "Runtime.") || strings.Contains(string(out), "SyntaxError") || strings.Contains(string(out), "UnmarshalTypeError") {
				t.Fatalf("the runtime answered, not the job: %s", out)
			}
			if !strings.Contains(string(out), c.want) {
				t.Errorf("answer %s; want it to mention %q", out, c.want)
			}
		})
	}
}
