package pace_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/pace"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws-commander/commander/shared/testkit/emulator/pipenet"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestBucketOf(t *testing.T) {
	l := pace.EC2()
	cases := []struct {
		action string
		want   pace.Bucket
	}{
		{"DescribeSnapshots", pace.Bucket{Burst: 100, Rate: 20}},
		{"GetConsoleOutput", pace.Bucket{Burst: 100, Rate: 20}},
		{"DeleteSnapshot", pace.Bucket{Burst: 100, Rate: 5}},
		{"CreateTags", pace.Bucket{Burst: 100, Rate: 10}},
		{"StartInstances", pace.Bucket{Burst: 5, Rate: 2}},
		{"StopInstances", pace.Bucket{Burst: 50, Rate: 5}},
		{"ReleaseAddress", pace.Bucket{Burst: 50, Rate: 5}},
	}
	for _, c := range cases {
		t.Run(c.action, func(t *testing.T) {
			if got := l.Bucket(c.action); got != c.want {
				t.Errorf("Bucket(%s) = %+v, want %+v", c.action, got, c.want)
			}
		})
	}
}

func TestNewRefusesABadPercent(t *testing.T) {
	for _, p := range []int{0, -5, 101} {
		if _, err := pace.New(pace.EC2(), p); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("percent=%d is invalid: accepts 1 to 100", p)) {
			t.Errorf("New(%d) = %v, want an error naming the percent and what it accepts", p, err)
		}
	}
}

// Wait spends the burst at once, then lets calls go at the refill rate
// (times the percent), per region and action; instances take resource
// tokens too. Times are synctest's virtual ones, so the figures are exact.
func TestWait(t *testing.T) {
	cases := []struct {
		name      string
		percent   int
		calls     int
		action    string
		instances int
		regions   int
		want      time.Duration
	}{
		{"the burst goes at once", 100, 100, "DeleteSnapshot", 0, 1, 0},
		{"then the refill rate", 100, 200, "DeleteSnapshot", 0, 1, 20 * time.Second},                 // (200-100)/5
		{"a percent of it", 50, 200, "DeleteSnapshot", 0, 1, 40 * time.Second},                       // (200-100)/2.5
		{"regions do not share buckets", 100, 200, "DeleteSnapshot", 0, 2, 20 * time.Second},         // each region its own
		{"instances take resource tokens", 100, 3, "TerminateInstances", 1000, 1, 100 * time.Second}, // 2 × 1000/20
		{"a batch beyond the bucket waits for a full one", 100, 2, "StopInstances", 5000, 1, 50 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p, err := pace.New(pace.EC2(), c.percent)
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				for r := range c.regions {
					for range c.calls {
						if err := p.Wait(context.Background(), fmt.Sprintf("region-%d", r), c.action, c.instances); err != nil {
							t.Fatal(err)
						}
					}
				}
				if got := time.Since(start); got != c.want*time.Duration(c.regions) && !(c.regions > 1 && got == c.want*time.Duration(c.regions)) {
					t.Errorf("took %s, want %s", got, c.want*time.Duration(c.regions))
				}
			})
		})
	}
}

// A wait that outlives its context ends with the context's error and
// gives its token back.
func TestWaitEndsWithTheContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, _ := pace.New(pace.EC2(), 100)
		for range 5 {
			_ = p.Wait(context.Background(), "r", "StartInstances", 0)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := p.Wait(ctx, "r", "StartInstances", 0); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait = %v, want the context's deadline", err)
		}
		start := time.Now()
		if err := p.Wait(context.Background(), "r", "StartInstances", 0); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != 400*time.Millisecond { // 500 ms for the token at 2/s, 100 already passed
			t.Errorf("the next call waited %s, want 400ms: the cancelled wait kept its token", got)
		}
	})
}

// Through the SDK against the inventory server's realistic account (AWS's
// buckets, the same table): 300 DeleteSnapshot calls from 8 goroutines are
// never throttled and take the bucket's time, (300-100)/5 = 40 s; without
// the pacer the same calls are throttled.
func TestMiddlewareKeepsWithinTheBuckets(t *testing.T) {
	for _, paced := range []bool{true, false} {
		t.Run(fmt.Sprintf("paced=%v", paced), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ln := pipenet.Listen()
				srv, err := inventory.Start(inventory.Options{Listener: ln, Limits: inventory.AWSLimits()})
				if err != nil {
					t.Fatal(err)
				}
				defer srv.Stop()
				for k, v := range srv.Env() {
					t.Setenv(k, v)
				}
				if err := srv.Seed(inventory.Spec{Snapshots: 300, Volumes: 10, Now: time.Now(), MaxAge: time.Hour}); err != nil {
					t.Fatal(err)
				}
				cfg, err := awsclient.Load(context.Background(), inventory.DefaultRegion, 5)
				if err != nil {
					t.Fatal(err)
				}
				tr := &http.Transport{DialContext: ln.Dial}
				defer tr.CloseIdleConnections()
				cfg.HTTPClient = awsclient.RaceSafe(&http.Client{Transport: tr})
				p, _ := pace.New(pace.EC2(), 100)
				if paced {
					cfg.APIOptions = append(cfg.APIOptions, p.Middleware)
				}
				c := ec2.NewFromConfig(cfg)
				var ids []string
				for pg := ec2.NewDescribeSnapshotsPaginator(c, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: aws.Int32(1000)}); pg.HasMorePages(); {
					out, err := pg.NextPage(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					for _, s := range out.Snapshots {
						ids = append(ids, aws.ToString(s.SnapshotId))
					}
				}
				start := time.Now()
				work := make(chan string)
				errs := make(chan error, len(ids))
				for range 8 {
					go func() {
						for id := range work {
							_, err := c.DeleteSnapshot(context.Background(), &ec2.DeleteSnapshotInput{SnapshotId: aws.String(id)})
							errs <- err
						}
					}()
				}
				for _, id := range ids {
					work <- id
				}
				close(work)
				failed := 0
				for range ids {
					if err := <-errs; err != nil {
						failed++
					}
				}
				took, throttled := time.Since(start), srv.Throttled()["EC2.DeleteSnapshot"]
				if paced && (throttled != 0 || failed != 0 || took < 40*time.Second || took > 41*time.Second) {
					t.Errorf("paced: %d throttled, %d failed, %s; want 0, 0 and 40 s", throttled, failed, took)
				}
				if !paced && throttled == 0 {
					t.Errorf("unpaced: nothing throttled; the check above proves nothing")
				}
				t.Logf("paced=%v: %d calls in %s, %d throttled, %d failed", paced, len(ids), took, throttled, failed)
			})
		})
	}
}

// The middleware goes on every client of the configuration, a presigning
// one too (which has no retry step): presigning still works.
func TestMiddlewareLetsPresigningBe(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")}
	p, _ := pace.New(pace.EC2(), 100)
	cfg.APIOptions = append(cfg.APIOptions, p.Middleware)
	out, err := s3.NewPresignClient(s3.NewFromConfig(cfg)).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if err != nil || !strings.Contains(out.URL, "X-Amz-Signature=") {
		t.Fatalf("presign = %v, %v; want a signed URL", out, err)
	}
}
