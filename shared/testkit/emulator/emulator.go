// Package emulator runs the real parts that stand in for AWS on a laptop or
// in CI: moto server (the AWS APIs) and the AWS Lambda Runtime Interface
// Emulator (the Lambda runtime around a function's real bootstrap binary).
// Everything binds to 127.0.0.1 ports chosen at run time.
package emulator

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrMissing means a tool is not installed; its message says how to install it.
var ErrMissing = errors.New("emulator tool missing")

// RepoRoot is the folder holding go.mod, found from the working directory up.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// tool finds an executable: the variable env if set, then the repo's .tools
// folder (where `make tools` installs pinned versions), then PATH.
func tool(env, name, install string) (string, error) {
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: %s=%s: %v", ErrMissing, env, p, err)
		}
		return p, nil
	}
	if root, err := RepoRoot(); err == nil {
		for _, p := range []string{filepath.Join(root, ".tools", "bin", name), filepath.Join(root, ".tools", "venv", "bin", name)} {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w: %s not found (set %s, or run %s)", ErrMissing, name, env, install)
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail keeps the last bytes a child process wrote, for error messages.
type tail struct{ buf []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 4096 {
		t.buf = t.buf[len(t.buf)-4096:]
	}
	return len(p), nil
}

func (t *tail) String() string { return strings.TrimSpace(string(t.buf)) }
