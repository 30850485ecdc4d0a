// Package faultproxy sits between a function and its AWS backend on
// loopback and injects the faults AWS produces under load: throttling of
// mutating calls and 503s on any call. Jobs must reach the same end state
// through it, with bounded, counted retries.
package faultproxy

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// Options for a proxy.
type Options struct {
	Target          string  // backend URL, e.g. moto's
	ThrottleMutates float64 // fraction of mutating calls answered as throttled (e.g. 0.20)
	Unavailable     float64 // fraction of all calls answered 503 (e.g. 0.05)
	Seed            uint64  // for a repeatable run
}

// Proxy is a running fault-injecting reverse proxy.
type Proxy struct {
	URL string

	srv *http.Server
	mu  sync.Mutex
	rnd *rand.Rand

	Injected map[string]int // "throttle" and "unavailable" counts
	Passed   int
}

// Start listens on a free 127.0.0.1 port.
func Start(opts Options) (*Proxy, error) {
	target, err := url.Parse(opts.Target)
	if err != nil || target.Host == "" {
		return nil, fmt.Errorf("faultproxy: target %q: accepts an http URL", opts.Target)
	}
	if opts.ThrottleMutates < 0 || opts.ThrottleMutates > 1 || opts.Unavailable < 0 || opts.Unavailable > 1 {
		return nil, fmt.Errorf("faultproxy: fault rates must be between 0 and 1")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{URL: "http://" + l.Addr().String(), rnd: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)), Injected: map[string]int{}}
	backend := httputil.NewSingleHostReverseProxy(target)
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		service, mutating := classify(r)
		p.mu.Lock()
		roll := p.rnd.Float64()
		fault := ""
		switch {
		case roll < opts.Unavailable:
			fault = "unavailable"
		case mutating && roll < opts.Unavailable+opts.ThrottleMutates:
			fault = "throttle"
		}
		if fault != "" {
			p.Injected[fault]++
		} else {
			p.Passed++
		}
		p.mu.Unlock()
		if fault == "" {
			backend.ServeHTTP(w, r)
			return
		}
		writeFault(w, service, fault)
	})}
	go func() { _ = p.srv.Serve(l) }()
	return p, nil
}

// Stop closes the proxy.
func (p *Proxy) Stop() { _ = p.srv.Close() }

// Faults is the number of faults injected so far.
func (p *Proxy) Faults() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Injected["throttle"] + p.Injected["unavailable"]
}

// classify tells the service a request is for (from its SigV4 scope) and
// whether it changes anything.
func classify(r *http.Request) (service string, mutating bool) {
	auth := r.Header.Get("Authorization")
	// Credential=AKID/20260101/us-east-1/ec2/aws4_request
	if i := strings.Index(auth, "Credential="); i >= 0 {
		parts := strings.Split(strings.SplitN(auth[i+len("Credential="):], ",", 2)[0], "/")
		if len(parts) >= 4 {
			service = parts[3]
		}
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" { // JSON protocols: Service.Operation
		op := target[strings.LastIndex(target, ".")+1:]
		return service, !readOnly(op)
	}
	if service == "s3" {
		return service, r.Method != http.MethodGet && r.Method != http.MethodHead
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		// Query protocols (EC2, IAM): Action=... in the body, which the backend still needs.
		body, err := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if form, perr := url.ParseQuery(string(body)); err == nil && perr == nil {
			return service, !readOnly(form.Get("Action"))
		}
	}
	// REST JSON (Lambda): reads are GETs.
	return service, r.Method != http.MethodGet && r.Method != http.MethodHead
}

func readOnly(op string) bool {
	for _, p := range []string{"Describe", "List", "Get", "Head"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// writeFault answers in the error shape of the service's protocol, so the
// SDK classifies it as AWS would: EC2's RequestLimitExceeded, S3's SlowDown,
// everyone else's ThrottlingException.
func writeFault(w http.ResponseWriter, service, fault string) {
	status, code, msg := http.StatusBadRequest, "ThrottlingException", "Rate exceeded"
	if fault == "unavailable" {
		status, code, msg = http.StatusServiceUnavailable, "ServiceUnavailable", "Service is unavailable, please retry"
	}
	switch service {
	case "ec2":
		if fault == "throttle" {
			code, status = "RequestLimitExceeded", http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>`, code, msg)
	case "s3":
		if fault == "throttle" {
			code, status = "SlowDown", http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>fault-proxy</RequestId></Error>`, code, msg)
	case "iam", "sts":
		if fault == "throttle" {
			code = "Throttling"
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>`, code, msg)
	default: // JSON protocols: CloudWatch (JSON 1.0 against emulators), EventBridge, Lambda
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-ErrorType", code)
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type":"%s","message":"%s"}`, code, msg)
	}
}
