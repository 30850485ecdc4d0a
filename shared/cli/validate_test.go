package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// commander validate FILE: the function's own validator, offline; exit 0
// and the kind when valid, exit 3 (bad input) with every path-named error
// when not.
func TestValidate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name     string
		file     string
		wantCode int
		want     []string
	}{
		{"the shipped cleanup policy", filepath.Join("..", "cleanup", "policy", "default.yaml"), ExitOK, []string{"cleanup-policy, valid"}},
		{"a policy with an unknown type", write("bad.yaml", "policies:\n  - name: x\n    resource: ec2:volum\n"), ExitBadInput,
			[]string{"(cleanup-policy) is not valid", `policies[0].resource: unknown resource type "ec2:volum"`, "policies[0].action: required"}},
		{"a document of no known kind", write("what.yaml", "hello: world\n"), ExitBadInput, []string{"is not valid"}},
		{"a file that is not there", filepath.Join(dir, "missing.yaml"), ExitBadInput, []string{"validate:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			app := App{Registry: declared(t), Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut}
			code := app.Run(context.Background(), []string{"validate", c.file})
			got := out.String() + errOut.String()
			if code != c.wantCode {
				t.Errorf("exit %d, want %d: %s", code, c.wantCode, got)
			}
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("output %q lacks %q", got, w)
				}
			}
		})
	}
}
