package bench_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/testkit/bench"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
)

// TestRealAccount: the options a benchmark opts in with start a server
// that throttles at AWS's published buckets (checked here on a fake clock,
// with the latency off so the check is instant; the inventory package's
// tests cover each part).
func TestRealAccount(t *testing.T) {
	opts := bench.RealAccount(bench.Now, 1)
	if opts.Limits == nil || opts.Latency == nil || opts.Pending == nil || !opts.Now().Equal(bench.Now) {
		t.Fatalf("RealAccount leaves a part off: %+v", opts)
	}
	opts.Clock, opts.Latency = inventory.NewFakeClock(bench.Now), nil
	srv, err := inventory.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if err := srv.Seed(inventory.Spec{Snapshots: 10, Volumes: 1, Now: bench.Now, MaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	let := 0
	for range 101 {
		resp, err := http.Post(srv.URL+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=DescribeSnapshots&Version=2016-11-15&MaxResults=5"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			let++
		}
	}
	if let != 100 || srv.Throttled()["EC2.DescribeSnapshots"] != 1 {
		t.Errorf("%d of 101 DescribeSnapshots let through, %d throttled; want AWS's burst of 100", let, srv.Throttled()["EC2.DescribeSnapshots"])
	}
}
