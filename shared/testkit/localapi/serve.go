package localapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aws-commander/commander/shared/api/catalog"
	"github.com/aws-commander/commander/shared/boot"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/testkit/demo"
	"github.com/aws-commander/commander/shared/testkit/emulator"
)

// Local is the credential `make serve` accepts and prints: test values,
// never a real key.
var Local = Credential{
	AccessKeyID:     "AKIDCOMMANDERLOCAL",
	SecretAccessKey: "commander-local-secret",
	UserARN:         "arn:aws:iam::123456789012:user/commander-local",
	UserID:          "AIDACOMMANDERLOCAL",
}

// Region is the region the local API signs and runs in (moto's default).
const Region = "us-east-1"

// Options of a local API.
type Options struct {
	Addr  string // host:port on loopback, e.g. 127.0.0.1:8765 (port 0: any free one)
	Stage string // names the function the events claim to come from
	// Estate seeds the demo's small estate (shared/testkit/demo) into moto.
	Estate bool
	// InsecureUnsigned lets unsigned requests through (as UnsignedCaller).
	InsecureUnsigned bool
	Out              io.Writer // what was started, for the user
	Log              io.Writer // one line per request; nil: none
}

// Running is a started local API.
type Running struct {
	URL     string // http://127.0.0.1:PORT
	AWS     string // the emulator's endpoint (AWS_ENDPOINT_URL)
	Estate  *demo.Estate
	server  *http.Server
	stopAll []func()
}

// Start runs moto (or uses the emulator AWS_ENDPOINT_URL names), the real
// api handler (catalog.New) against it, and the gateway on opts.Addr, which
// must be a loopback address: it serves anyone who can reach it.
func Start(ctx context.Context, opts Options) (*Running, error) {
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", opts.Addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("address %q: the local API listens on loopback only (127.0.0.1)", opts.Addr)
	}
	if opts.Stage == "" {
		opts.Stage = "local"
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	r := &Running{}
	ok := false
	defer func() {
		if !ok {
			r.Stop()
		}
	}()
	if r.AWS = os.Getenv("AWS_ENDPOINT_URL"); r.AWS == "" {
		m, err := emulator.StartMoto(ctx)
		if err != nil {
			return nil, err
		}
		r.stopAll = append(r.stopAll, m.Stop)
		r.AWS = m.URL
		// This process's clients (the api handler's, the estate's) talk to it.
		for k, v := range m.Env() {
			os.Setenv(k, v)
		}
	}
	if os.Getenv("AWS_REGION") == "" {
		os.Setenv("AWS_REGION", Region)
	}
	if os.Getenv("COMMANDER_LOG_LEVEL") == "" {
		os.Setenv("COMMANDER_LOG_LEVEL", "WARN") // the request log is the gateway's
	}
	s, err := settings.Load(os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	d, err := boot.Build(ctx, "api", s)
	if err != nil {
		return nil, fmt.Errorf("api dependencies: %w", err)
	}
	srv, err := catalog.New(d, os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	if opts.Estate {
		e, err := demo.Seed(ctx, d.AWS, time.Now().UTC())
		if err != nil {
			return nil, fmt.Errorf("seed the estate: %w", err)
		}
		r.Estate = &e
	}
	gw := &Gateway{Handler: srv, Routes: srv.Registry, Region: d.AWS.Region, Credentials: []Credential{Local},
		AllowUnsigned: opts.InsecureUnsigned, Log: opts.Log,
		FunctionARN: "arn:aws:lambda:" + d.AWS.Region + ":123456789012:function:commander-" + opts.Stage + "-api"}
	l, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	r.URL = "http://" + l.Addr().String()
	r.server = &http.Server{Handler: gw, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.server.Serve(l) }()
	ok = true
	return r, nil
}

// Stop ends the gateway, then what Start started.
func (r *Running) Stop() {
	if r.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = r.server.Shutdown(ctx)
		cancel()
	}
	for i := len(r.stopAll) - 1; i >= 0; i-- {
		r.stopAll[i]()
	}
	r.stopAll = nil
}

// Banner tells the user what runs and how to call it.
func (r *Running) Banner(w io.Writer, opts Options) {
	fmt.Fprintf(w, "AWS Commander local API (the api handler behind a SigV4-verifying HTTP API, payload 2.0)\n\n")
	fmt.Fprintf(w, "  API            %s\n", r.URL)
	fmt.Fprintf(w, "  AWS emulator   %s\n", r.AWS)
	if opts.InsecureUnsigned {
		fmt.Fprintf(w, "  signatures     verified when present; unsigned requests run as %s\n", UnsignedCaller)
	} else {
		fmt.Fprintf(w, "  signatures     required (SigV4, service execute-api, region %s)\n", Region)
	}
	if r.Estate != nil {
		fmt.Fprintf(w, "\nThe demo's estate:\n")
		demo.PrintEstate(w, *r.Estate)
	}
	fmt.Fprintf(w, `
Sign with these test credentials (they only work here):

  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_REGION=%s
  unset AWS_SESSION_TOKEN AWS_PROFILE

  commander --endpoint %s ec2 list
  curl --aws-sigv4 "aws:amz:%s:execute-api" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" %s/commands

Ctrl-C stops the API and the emulator.
`, Local.AccessKeyID, Local.SecretAccessKey, Region, r.URL, Region, r.URL)
}

// Serve starts the local API, prints its banner and runs until ctx ends.
func Serve(ctx context.Context, opts Options) error {
	r, err := Start(ctx, opts)
	if err != nil {
		return err
	}
	defer r.Stop()
	r.Banner(opts.Out, opts)
	<-ctx.Done()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
