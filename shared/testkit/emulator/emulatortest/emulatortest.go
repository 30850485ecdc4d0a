// Package emulatortest gives tests a moto server and functions under the
// Lambda Runtime Interface Emulator. One moto server serves a test binary
// (reset before each test that asks for it); call Main from TestMain so the
// servers stop with the tests.
//
// Under CI=true a test that cannot start an emulator fails with the reason;
// elsewhere it skips and says how to install what is missing.
package emulatortest

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/testkit/emulator"
	"github.com/aws-commander/commander/shared/testkit/emulator/faultproxy"
	"github.com/aws/aws-sdk-go-v2/aws"
)

var (
	mu        sync.Mutex
	moto      *emulator.Moto
	motoErr   error
	buildDir  string
	bootstrap = map[string]string{}
)

// Main runs the tests, then stops what they started.
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	if moto != nil {
		moto.Stop()
	}
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	mu.Unlock()
	os.Exit(code)
}

// unavailable fails under CI and skips elsewhere.
func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s unavailable under CI: %v", what, err)
	}
	t.Skipf("%s unavailable, skipping (CI=true makes this a failure): %v", what, err)
}

// Moto returns the shared moto server, emptied, with the test's environment
// (AWS_ENDPOINT_URL, dummy credentials, us-east-1) pointing at it.
func Moto(t testing.TB) *emulator.Moto {
	t.Helper()
	mu.Lock()
	if moto == nil && motoErr == nil {
		moto, motoErr = emulator.StartMoto(context.Background())
	}
	m, err := moto, motoErr
	mu.Unlock()
	if err != nil {
		unavailable(t, "moto server", err)
	}
	if err := m.Reset(context.Background()); err != nil {
		t.Fatalf("reset moto: %v", err)
	}
	for k, v := range m.Env() {
		t.Setenv(k, v)
	}
	return m
}

// MotoWith starts a moto server of the test's own, with serverEnv added to
// its environment (e.g. MOTO_EC2_LOAD_DEFAULT_AMIS=false), for a test that
// needs moto configured differently from the shared one. It stops when the
// test ends. It does not point the test's environment at it.
func MotoWith(t testing.TB, serverEnv map[string]string) *emulator.Moto {
	t.Helper()
	for k, v := range serverEnv {
		t.Setenv(k, v) // moto inherits the test's environment, less AWS_*
	}
	m, err := emulator.StartMoto(context.Background())
	if err != nil {
		unavailable(t, "moto server", err)
	}
	t.Cleanup(m.Stop)
	return m
}

// Config is an aws.Config from the shared runtime, pointed at a fresh moto.
func Config(t testing.TB) aws.Config {
	t.Helper()
	m := Moto(t)
	cfg, err := awsclient.Load(context.Background(), m.Env()["AWS_REGION"], 3)
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
	return cfg
}

// Bootstrap builds functions/<fn> for this host once per test binary.
func Bootstrap(t testing.TB, fn string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if p, ok := bootstrap[fn]; ok {
		return p
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "commander-bootstrap-")
		if err != nil {
			t.Fatalf("temp dir: %v", err)
		}
		buildDir = d
	}
	p, err := emulator.BuildBootstrap(context.Background(), fn, buildDir)
	if err != nil {
		t.Fatalf("%v", err)
	}
	bootstrap[fn] = p
	return p
}

// Function runs functions/<fn>'s bootstrap under the RIE with env added to
// the test's environment (which Moto pointed at the emulator). It stops when
// the test ends; on failure the test log shows the function's output.
func Function(t testing.TB, fn string, env map[string]string) *emulator.Function {
	t.Helper()
	bin := Bootstrap(t, fn)
	var kv []string
	for k, v := range env {
		kv = append(kv, k+"="+v)
	}
	f, err := emulator.StartFunction(context.Background(), bin, kv, nil)
	if err != nil {
		unavailable(t, "Lambda Runtime Interface Emulator", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s output:\n%s", fn, f.Output())
		}
		f.Stop()
	})
	return f
}

// Faulty is a fresh moto behind a fault proxy (opts, its Target set here):
// faulty reaches moto through the proxy with attempts per call, direct
// reaches moto itself, for the checks. The proxy stops with the test.
func Faulty(t testing.TB, opts faultproxy.Options, attempts int) (faulty, direct aws.Config, proxy *faultproxy.Proxy) {
	t.Helper()
	m := Moto(t)
	direct, err := awsclient.Load(context.Background(), m.Env()["AWS_REGION"], 3)
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
	opts.Target = m.URL
	proxy, err = faultproxy.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Stop)
	t.Setenv("AWS_ENDPOINT_URL", proxy.URL)
	faulty, err = awsclient.Load(context.Background(), m.Env()["AWS_REGION"], attempts)
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
	return faulty, direct, proxy
}
