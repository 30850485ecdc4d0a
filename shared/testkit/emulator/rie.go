package emulator

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RIEModule is the pinned AWS Lambda Runtime Interface Emulator.
const RIEModule = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

// BuildBootstrap compiles functions/<fn> for this host into dir/<fn>/bootstrap,
// with the same tags as the deployed build.
func BuildBootstrap(ctx context.Context, fn, dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, fn, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", out, "./functions/"+fn)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %v: %s", fn, err, b)
	}
	return out, nil
}

// Function is a bootstrap binary running under the RIE.
type Function struct {
	URL  string // the invoke URL
	cmd  *exec.Cmd
	out  *tail
	done chan struct{}
	once sync.Once
}

// StartFunction runs bootstrap under the RIE on loopback ports, with env
// (KEY=VALUE) added to this process's environment. logs may be nil.
func StartFunction(ctx context.Context, bootstrap string, env []string, logs io.Writer) (*Function, error) {
	rie, err := tool("AWS_LAMBDA_RIE", "aws-lambda-rie", "`make tools` (go install "+RIEModule+")")
	if err != nil {
		return nil, err
	}
	var lastErr error
	for range 3 {
		p1, err := FreePort()
		if err != nil {
			return nil, err
		}
		p2, err := FreePort()
		if err != nil {
			return nil, err
		}
		f := &Function{
			URL: "http://127.0.0.1:" + strconv.Itoa(p1) + "/2015-03-31/functions/function/invocations",
			out: &tail{}, done: make(chan struct{}),
		}
		var w io.Writer = f.out
		if logs != nil {
			w = io.MultiWriter(f.out, logs)
		}
		f.cmd = exec.Command(rie,
			"--runtime-interface-emulator-address", "127.0.0.1:"+strconv.Itoa(p1),
			"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(p2),
			bootstrap)
		f.cmd.Dir = filepath.Dir(bootstrap)
		f.cmd.Env = append(append(os.Environ(), "LOG_LEVEL=warn"), env...)
		f.cmd.Stdout, f.cmd.Stderr = w, w
		f.cmd.SysProcAttr = childAttr()
		if err := f.cmd.Start(); err != nil {
			return nil, fmt.Errorf("start %s: %w", rie, err)
		}
		go func() { _ = f.cmd.Wait(); close(f.done) }()
		if lastErr = f.waitReady(ctx, p1, 20*time.Second); lastErr == nil {
			return f, nil
		}
		f.Stop()
	}
	return nil, lastErr
}

func (f *Function) waitReady(ctx context.Context, port int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-f.done:
			return fmt.Errorf("runtime interface emulator exited: %s", f.out)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.Close()
			return nil
		}
	}
	return fmt.Errorf("runtime interface emulator not ready after %s: %s", limit, f.out)
}

// Invoke sends one event and returns the function's answer. A function error
// comes back as a JSON object with errorMessage and errorType, as from Lambda.
func (f *Function) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL, bytes.NewReader(event))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke: %w (emulator output: %s)", err, f.out)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("invoke: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("invoke: HTTP %d: %s", resp.StatusCode, body)
	}
	return body, nil
}

// Output is the last part of what the emulator and the function printed.
func (f *Function) Output() string { return f.out.String() }

// AwaitOutput waits up to d for the function's output to contain want and
// reports whether it did: the RIE may answer an invocation before the log
// line of a failed start reaches us.
func (f *Function) AwaitOutput(want string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !strings.Contains(f.Output(), want) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// Stop ends the emulator and the function process.
func (f *Function) Stop() {
	f.once.Do(func() {
		if f.cmd.Process != nil {
			// The RIE runs bootstrap as its child: end the whole process group.
			_ = killGroup(f.cmd.Process.Pid)
			_ = f.cmd.Process.Kill()
		}
		<-f.done
	})
}
