package emulator

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MotoVersion is the moto release the tests and the demo are written against.
const MotoVersion = "5.2.1"

// Moto is a running moto server.
type Moto struct {
	URL  string // http://127.0.0.1:PORT
	cmd  *exec.Cmd
	out  *tail
	done chan struct{}
	once sync.Once
}

// StartMoto starts moto_server on a free loopback port and waits until it
// answers, with Lambda configured not to need Docker.
func StartMoto(ctx context.Context) (*Moto, error) {
	bin, err := tool("MOTO_SERVER", "moto_server", "`make tools` (pip install moto[server]=="+MotoVersion+")")
	if err != nil {
		return nil, err
	}
	var lastErr error
	for range 3 { // another process may take the port between FreePort and bind
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		m := &Moto{URL: "http://127.0.0.1:" + strconv.Itoa(port), out: &tail{}, done: make(chan struct{})}
		m.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
		m.cmd.Env = serverEnv()
		m.cmd.Stdout, m.cmd.Stderr = m.out, m.out
		m.cmd.SysProcAttr = childAttr()
		if err := m.cmd.Start(); err != nil {
			return nil, fmt.Errorf("start %s: %w", bin, err)
		}
		go func() { _ = m.cmd.Wait(); close(m.done) }()
		if lastErr = m.waitReady(ctx, 60*time.Second); lastErr == nil {
			if lastErr = m.configure(ctx); lastErr == nil {
				return m, nil
			}
		}
		m.Stop()
	}
	return nil, lastErr
}

// serverEnv is this process's environment without AWS_* variables: moto
// itself uses boto3, which fails on, say, an empty AWS_PROFILE a test set.
func serverEnv() []string {
	// AWS managed policies (e.g. AmazonEC2ReadOnlyAccess) exist only when loaded at start.
	env := []string{"MOTO_IAM_LOAD_MANAGED_POLICIES=true"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "MOTO_IAM_LOAD_MANAGED_POLICIES=") {
			env = append(env, kv)
		}
	}
	return env
}

func (m *Moto) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-m.done:
			return fmt.Errorf("moto server exited: %s", m.out)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(m.URL + "/moto-api/data.json")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("moto server at %s not ready after %s: %s", m.URL, limit, m.out)
}

func (m *Moto) post(ctx context.Context, path, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL+path, bytes.NewBufferString(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("moto %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("moto %s: HTTP %d", path, resp.StatusCode)
	}
	return nil
}

// configure makes moto's Lambda echo invocations instead of running Docker.
func (m *Moto) configure(ctx context.Context) error {
	return m.post(ctx, "/moto-api/config", `{"lambda":{"use_docker":false}}`)
}

// Reset clears every resource (configuration stays).
func (m *Moto) Reset(ctx context.Context) error {
	return m.post(ctx, "/moto-api/reset", "")
}

// Env is what a process (or the SDK in this one) needs to talk to this server.
func (m *Moto) Env() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL":      m.URL,
		"AWS_ACCESS_KEY_ID":     "testing",
		"AWS_SECRET_ACCESS_KEY": "testing",
		"AWS_SESSION_TOKEN":     "testing",
		"AWS_REGION":            "us-east-1",
		"AWS_DEFAULT_REGION":    "us-east-1",
		// Keep a developer's own profile and CA bundle out of the emulated setup.
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"AWS_PROFILE":                 "",
		"AWS_CA_BUNDLE":               "",
	}
}

// Stop ends the server and waits for it.
func (m *Moto) Stop() {
	m.once.Do(func() {
		if m.cmd.Process != nil {
			_ = killGroup(m.cmd.Process.Pid)
			_ = m.cmd.Process.Kill()
		}
		<-m.done
	})
}

// Out is the last part of what the server printed.
func (m *Moto) Out() string { return m.out.String() }
