package artifacts_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/aws-commander/commander/events"
)

// What deploys links no test support: no package of shared/testkit (moto,
// the RIE, fixtures, the demo, the benchmarks) and not the testing package,
// in any function's binary, for the platform it ships to.
func TestFunctionsShipNoTestSupport(t *testing.T) {
	for _, fn := range events.Functions {
		t.Run(fn, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", "../"+fn)
			cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			deps := strings.Fields(string(out))
			if len(deps) < 50 {
				t.Fatalf("only %d dependencies listed: %s", len(deps), out)
			}
			for _, p := range deps {
				if strings.Contains(p, "/shared/testkit") || p == "testing" {
					t.Errorf("the %s function links %s", fn, p)
				}
			}
		})
	}
}
