// Package inventory is an in-memory AWS backend for benchmarks: it serves
// N synthetic EC2 and S3 resources on a loopback port, speaking the wire
// protocols the SDK uses (EC2 query/XML, S3 REST/XML, path-style), with
// AWS's page sizes, NextTokens, batch limits and error codes, and counts
// every call. moto answers the same calls correctly but grows quadratically
// and ignores MaxResults; this server pages 200 000 snapshots in seconds.
//
// Point the SDK at it with AWS_ENDPOINT_URL=srv.URL (plus dummy
// credentials); ec2client.New and s3client.New work unchanged.
//
// By default it answers at once and never throttles. Options.Limits,
// Latency and Pending make it behave like an account in a region instead:
// EC2's token buckets with RequestLimitExceeded, latency per call kind,
// snapshots that stay pending under AWS's per-volume limits
// (docs/inventory-server.md, "A realistic account").
package inventory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a server. The zero value is usable.
type Options struct {
	// Addr to listen on; loopback only. Default "127.0.0.1:0" (a free port).
	Addr string
	// Listener, when set, is served instead of Addr: an in-memory network
	// (pipenet) lets a benchmark run the server and the job inside one
	// testing/synctest bubble, on virtual time. URL is then
	// http://inventory.pipe; the clients must dial through the listener.
	Listener net.Listener
	// Account owns every resource. Default "123456789012" (moto's).
	Account string
	// Now stamps what the server creates. Default time.Now.
	Now func() time.Time

	// What follows makes the server behave like a real account; each part
	// is off unless set, and the contract tests against moto run with all
	// of it off.

	// Clock is the time that passes inside the server: token buckets refill,
	// pending snapshots progress and latency is slept on it. Default
	// RealClock(); tests give a FakeClock.
	Clock Clock
	// Limits throttle EC2 calls with AWS's token buckets (AWSLimits()).
	Limits *Limits
	// Latency delays answers by the kind of call (TypicalLatency(seed)).
	Latency *Latency
	// Pending keeps new snapshots pending for a while, and enforces AWS's
	// limit on snapshots in progress per volume.
	Pending *PendingSnapshots
}

func (o Options) validate() error {
	if o.Limits != nil {
		if err := o.Limits.validate(); err != nil {
			return err
		}
	}
	if o.Latency != nil {
		if err := o.Latency.validate(); err != nil {
			return err
		}
	}
	if o.Pending != nil {
		if err := o.Pending.validate(); err != nil {
			return err
		}
	}
	return nil
}

// Server is a running inventory server.
type Server struct {
	// URL is http://127.0.0.1:PORT, for AWS_ENDPOINT_URL.
	URL string

	opts  Options
	http  *http.Server
	ln    net.Listener
	reqID atomic.Uint64

	s3 *s3Store // S3's bucket namespace is global

	clock   Clock
	limiter *limiter // nil: not throttled
	delayer *delayer // nil: no latency

	mu        sync.Mutex
	calls     map[string]int64
	throttled map[string]int64
	slept     map[callKind]time.Duration
	regions   map[string]*ec2Store // EC2 is regional: a job fanning out over regions sees only what was seeded in each
}

// Start listens on a loopback address and serves until Stop.
func Start(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Account == "" {
		opts.Account = "123456789012"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Clock == nil {
		opts.Clock = RealClock()
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	ln, url := opts.Listener, "http://inventory.pipe"
	if ln == nil {
		host, _, err := net.SplitHostPort(opts.Addr)
		if err != nil {
			return nil, fmt.Errorf("inventory: address %q: %w", opts.Addr, err)
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("inventory: address %q is not a loopback IP: the server has no authentication and must not be reachable from other hosts", opts.Addr)
		}
		if ln, err = net.Listen("tcp", opts.Addr); err != nil {
			return nil, fmt.Errorf("inventory: listen: %w", err)
		}
		url = "http://" + ln.Addr().String()
	}
	s := &Server{opts: opts, ln: ln, URL: url, clock: opts.Clock,
		calls: map[string]int64{}, throttled: map[string]int64{}, slept: map[callKind]time.Duration{}, regions: map[string]*ec2Store{}, s3: newS3Store()}
	if opts.Limits != nil {
		s.limiter = newLimiter(opts.Limits, opts.Clock)
	}
	if opts.Latency != nil {
		s.delayer = newDelayer(opts.Latency)
	}
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.http.Serve(ln) }()
	return s, nil
}

// Stop closes the listener and waits briefly for requests in flight.
func (s *Server) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("inventory: stop: %w", err)
	}
	return nil
}

// Env is what a process needs to reach the server: endpoint, dummy
// credentials, region.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL":      s.URL,
		"AWS_ACCESS_KEY_ID":     "inventory",
		"AWS_SECRET_ACCESS_KEY": "inventory",
		"AWS_REGION":            DefaultRegion,
		"AWS_DEFAULT_REGION":    DefaultRegion,
		// Keep a developer's own profile and CA bundle out of the setup.
		"AWS_SESSION_TOKEN":           "",
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"AWS_PROFILE":                 "",
		"AWS_CA_BUNDLE":               "",
	}
}

// Calls are the requests served (errors included) by "Service.Operation",
// the keys awsclient's Counter uses ("EC2.DescribeSnapshots", "S3.ListObjectsV2").
func (s *Server) Calls() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// Throttled are the requests answered RequestLimitExceeded (Options.Limits),
// by "Service.Operation"; they are counted in Calls too.
func (s *Server) Throttled() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.throttled)
}

// Reset zeroes the call counts and the latency slept; the estate and the
// token buckets stay.
func (s *Server) Reset() {
	s.mu.Lock()
	s.calls = map[string]int64{}
	s.throttled = map[string]int64{}
	s.slept = map[callKind]time.Duration{}
	s.mu.Unlock()
}

// Refill fills every token bucket (Options.Limits), as after a long rest:
// a benchmark calls it between runs so that each starts from the same
// account, not from what the run before left in the buckets.
func (s *Server) Refill() {
	if s.limiter != nil {
		s.limiter.refill()
	}
}

func (s *Server) count(op string) {
	s.mu.Lock()
	s.calls[op]++
	s.mu.Unlock()
}

func (s *Server) countThrottled(op string) {
	s.mu.Lock()
	s.throttled[op]++
	s.mu.Unlock()
}

// wait sleeps out the latency of one call (Options.Latency).
func (s *Server) wait(ctx context.Context, kind callKind, items int) {
	if s.delayer == nil {
		return
	}
	d := s.delayer.delay(kind, items)
	s.mu.Lock()
	s.slept[kind] += d
	s.mu.Unlock()
	s.clock.Sleep(ctx, d)
}

// Slept is the latency the server has slept out (Options.Latency) since
// Start or Reset, summed over calls, by kind: "describe", "mutation",
// "batch". Listings page one call after another, so a job's describe
// latency is (nearly) all on its critical path.
func (s *Server) Slept() map[string]time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := map[callKind]string{kindDescribe: "describe", kindMutation: "mutation", kindBatch: "batch"}
	out := map[string]time.Duration{}
	for k, d := range s.slept {
		if n, ok := names[k]; ok {
			out[n] += d
		}
	}
	return out
}

func (s *Server) region(name string) *ec2Store {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.regions[name]
	if r == nil {
		r = newEC2Store(name)
		s.regions[name] = r
	}
	return r
}

func (s *Server) requestID() string {
	n := s.reqID.Add(1)
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", n)
}

// signedFor reads service and region from the SigV4 credential scope
// (Credential=AKID/DATE/REGION/SERVICE/aws4_request).
func signedFor(r *http.Request) (service, region string) {
	auth := r.Header.Get("Authorization")
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return "", ""
	}
	scope := auth[i+len("Credential="):]
	if j := strings.IndexAny(scope, ", "); j >= 0 {
		scope = scope[:j]
	}
	parts := strings.Split(scope, "/")
	if len(parts) != 5 {
		return "", ""
	}
	return parts[3], parts[2]
}

// ServeHTTP routes by the signing service, falling back on the request's
// shape: EC2 is a form POST to "/", everything else is S3.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	service, regionName := signedFor(r)
	if regionName == "" {
		regionName = DefaultRegion
	}
	if service == "" {
		service = "s3"
		if r.Method == http.MethodPost && r.URL.Path == "/" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			service = "ec2"
		}
	}
	switch service {
	case "ec2":
		s.serveEC2(w, r, s.region(regionName))
	case "s3":
		s.serveS3(w, r)
	default:
		s.count(strings.ToUpper(service) + ".Unknown")
		http.Error(w, "inventory serves ec2 and s3 only, not "+strconv.Quote(service), http.StatusNotImplemented)
	}
}

// apiError is an AWS error answer.
type apiError struct {
	code, msg string
	status    int
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func apiErr(code, msg string) *apiError {
	return &apiError{code: code, msg: msg, status: http.StatusBadRequest}
}

func asAPIError(err error) *apiError {
	var e *apiError
	if errors.As(err, &e) {
		return e
	}
	return &apiError{code: "InternalError", msg: err.Error(), status: http.StatusInternalServerError}
}
