// Package faultproxy sits between a function and its AWS backend on
// loopback and injects the faults AWS produces under load: throttling of
// mutating calls, 503s on any call, and lost answers (a mutating call that
// took effect but whose answer never arrived). Jobs must reach the same end
// state through it, with bounded, counted retries, and make nothing twice.
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
	// LoseAnswers is the fraction of mutating calls forwarded to the
	// backend (they take effect) whose answer is then lost: half of them
	// (seeded) answered 500 InternalError, half with the connection closed
	// before any answer. The SDK retries both by default: the dangerous case.
	LoseAnswers float64
	Seed        uint64 // for a repeatable run
}

// Proxy is a running fault-injecting reverse proxy.
type Proxy struct {
	URL string

	srv *http.Server
	mu  sync.Mutex
	rnd *rand.Rand

	Injected map[string]int // "throttle", "unavailable", "lost" (a 500 after the call landed) and "dropped" (closed after it landed) counts
	ByCall   map[string]int // the same by fault and operation, e.g. "lost CreateSnapshot" (query and JSON protocols; S3 and Lambda calls by method)
	Passed   int
}

// Start listens on a free 127.0.0.1 port.
func Start(opts Options) (*Proxy, error) {
	target, err := url.Parse(opts.Target)
	if err != nil || target.Host == "" {
		return nil, fmt.Errorf("faultproxy: target %q: accepts an http URL", opts.Target)
	}
	for _, r := range []float64{opts.ThrottleMutates, opts.Unavailable, opts.LoseAnswers} {
		if r < 0 || r > 1 {
			return nil, fmt.Errorf("faultproxy: fault rates must be between 0 and 1")
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{URL: "http://" + l.Addr().String(), rnd: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)), Injected: map[string]int{}, ByCall: map[string]int{}}
	backend := httputil.NewSingleHostReverseProxy(target)
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		service, op, mutating := classify(r)
		p.mu.Lock()
		roll := p.rnd.Float64()
		fault := ""
		switch {
		case roll < opts.Unavailable:
			fault = "unavailable"
		case mutating && roll < opts.Unavailable+opts.ThrottleMutates:
			fault = "throttle"
		case mutating && roll < opts.Unavailable+opts.ThrottleMutates+opts.LoseAnswers:
			fault = "lost"
			if p.rnd.IntN(2) == 1 {
				fault = "dropped"
			}
		}
		if fault != "" {
			p.Injected[fault]++
			p.ByCall[fault+" "+op]++
		} else {
			p.Passed++
		}
		p.mu.Unlock()
		switch fault {
		case "":
			backend.ServeHTTP(w, r)
		case "lost":
			backend.ServeHTTP(discard{}, r) // it takes effect ...
			writeFault(w, service, fault)   // ... and its answer is a 500
		case "dropped":
			backend.ServeHTTP(discard{}, r)
			panic(http.ErrAbortHandler) // the server closes the connection without an answer
		default:
			writeFault(w, service, fault)
		}
	})}
	go func() { _ = p.srv.Serve(l) }()
	return p, nil
}

// discard is a response nobody reads: the answer that got lost.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// Stop closes the proxy.
func (p *Proxy) Stop() { _ = p.srv.Close() }

// Faults is the number of faults injected so far.
func (p *Proxy) Faults() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Injected["throttle"] + p.Injected["unavailable"] + p.Injected["lost"] + p.Injected["dropped"]
}

// LostOn is the number of answers lost (answered 500 or dropped after the
// call took effect) of the operations ops.
func (p *Proxy) LostOn(ops ...string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, op := range ops {
		n += p.ByCall["lost "+op] + p.ByCall["dropped "+op]
	}
	return n
}

// classify tells the service a request is for (from its SigV4 scope), its
// operation (the method where the protocol does not name it) and whether it
// changes anything.
func classify(r *http.Request) (service, op string, mutating bool) {
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
		return service, op, !readOnly(op)
	}
	if service == "s3" {
		return service, r.Method, r.Method != http.MethodGet && r.Method != http.MethodHead
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		// Query protocols (EC2, IAM): Action=... in the body, which the backend still needs.
		body, err := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if form, perr := url.ParseQuery(string(body)); err == nil && perr == nil {
			return service, form.Get("Action"), !readOnly(form.Get("Action"))
		}
	}
	// REST JSON (Lambda): reads are GETs.
	return service, r.Method, r.Method != http.MethodGet && r.Method != http.MethodHead
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
	switch fault {
	case "unavailable":
		status, code, msg = http.StatusServiceUnavailable, "ServiceUnavailable", "Service is unavailable, please retry"
	case "lost":
		status, code, msg = http.StatusInternalServerError, "InternalError", "An internal error has occurred"
		if service != "ec2" && service != "s3" {
			code = "InternalFailure"
		}
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
