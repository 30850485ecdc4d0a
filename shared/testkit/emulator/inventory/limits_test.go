package inventory_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
)

// ec2Post sends one raw EC2 query to srv, signed for region (the server
// reads the region from the credential scope; the signature itself is not
// checked), and answers the status and body.
func ec2Post(t testing.TB, srv *inventory.Server, region, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if region != "" {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=inventory/20261127/"+region+"/ec2/aws4_request, SignedHeaders=host, Signature=0")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// admitted sends body until the first RequestLimitExceeded (at most limit
// times) and counts the calls let through (whatever they answered).
func admitted(t testing.TB, srv *inventory.Server, region, body string, limit int) int {
	t.Helper()
	for n := 0; n < limit; n++ {
		if status, _ := ec2Post(t, srv, region, body); status == http.StatusServiceUnavailable {
			return n
		}
	}
	return limit
}

const ec2Query = "Version=2016-11-15&Action="

// TestTokenBucketsBurstThenRefill: each action's bucket lets its size
// through at once, then its refill rate each second, and never holds more
// than its size (AWSLimits, on a fake clock).
func TestTokenBucketsBurstThenRefill(t *testing.T) {
	noInstance := "&InstanceId.1=i-00000000000000000"
	tests := []struct {
		name        string
		body        string
		burst, rate int
	}{
		{"DescribeSnapshots, paginated", "DescribeSnapshots&MaxResults=5", 100, 20},
		{"DescribeSnapshots, unfiltered and unpaginated", "DescribeSnapshots", 50, 10},
		{"DescribeVolumes, filtered", "DescribeVolumes&Filter.1.Name=status&Filter.1.Value.1=available", 100, 20},
		{"DescribeVolumes, next page", "DescribeVolumes&NextToken=bad", 100, 20}, // refused token, token taken all the same
		{"DescribeInstances by id (unfiltered: the stricter reading)", "DescribeInstances" + noInstance, 50, 10},
		{"DescribeImages, unfiltered (not in the smaller bucket's list)", "DescribeImages", 100, 20},
		{"DescribeAddresses", "DescribeAddresses", 100, 20},
		{"CreateTags", "CreateTags&ResourceId.1=vol-00000000000000000&Tag.1.Key=k&Tag.1.Value=v", 100, 10},
		{"DeleteTags", "DeleteTags&ResourceId.1=vol-00000000000000000", 100, 10},
		{"CreateSnapshot", "CreateSnapshot&VolumeId=vol-00000000000000000", 100, 5},
		{"DeleteSnapshot", "DeleteSnapshot&SnapshotId=snap-00000000000000000", 100, 5},
		{"DeleteVolume", "DeleteVolume&VolumeId=vol-00000000000000000", 100, 5},
		{"TerminateInstances", "TerminateInstances" + noInstance, 100, 5},
		{"StopInstances (a mutating action)", "StopInstances" + noInstance, 50, 5},
		{"StartInstances", "StartInstances" + noInstance, 5, 2},
		{"ReleaseAddress (a mutating action)", "ReleaseAddress&AllocationId=eipalloc-00000000000000000", 50, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := inventory.NewFakeClock(now)
			srv, _, _, _, _ := startWith(t, inventory.Options{Clock: clock, Limits: inventory.AWSLimits()}, inventory.Spec{Snapshots: 10, Volumes: 2})
			body := ec2Query + tt.body
			if got := admitted(t, srv, "", body, 1000); got != tt.burst {
				t.Errorf("burst: %d let through, want %d", got, tt.burst)
			}
			for s := 1; s <= 2; s++ {
				clock.Advance(time.Second)
				if got := admitted(t, srv, "", body, 1000); got != tt.rate {
					t.Errorf("second %d: %d let through, want the refill rate %d", s, got, tt.rate)
				}
			}
			clock.Advance(time.Hour)
			if got := admitted(t, srv, "", body, 1000); got != tt.burst {
				t.Errorf("after an hour idle: %d let through, want the bucket's size %d", got, tt.burst)
			}
			srv.Refill()
			if got := admitted(t, srv, "", body, 1000); got != tt.burst {
				t.Errorf("after Refill: %d let through, want %d", got, tt.burst)
			}
			op := "EC2." + strings.SplitN(tt.body, "&", 2)[0]
			if th := srv.Throttled()[op]; th != 5 {
				t.Errorf("Throttled()[%s] = %d, want 5", op, th)
			}
			if calls, want := srv.Calls()[op], int64(3*tt.burst+2*tt.rate+5); calls != want {
				t.Errorf("Calls()[%s] = %d, want %d (throttled calls are counted)", op, calls, want)
			}
		})
	}
}

// TestResourceTokens: StartInstances, StopInstances and TerminateInstances
// also take one resource token per instance named, from a bucket of 1 000
// refilled at 2 (start) or 20 (stop, terminate) a second.
func TestResourceTokens(t *testing.T) {
	clock := inventory.NewFakeClock(now)
	srv, c, _, ctx, _ := startWith(t, inventory.Options{Clock: clock, Limits: inventory.AWSLimits()}, inventory.Spec{Instances: 600, Volumes: 600})
	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000)})
	if err != nil || len(out.Reservations) != 600 {
		t.Fatalf("instances: %v", err)
	}
	var ids strings.Builder
	for k, r := range out.Reservations {
		fmt.Fprintf(&ids, "&InstanceId.%d=%s", k+1, aws.ToString(r.Instances[0].InstanceId))
	}
	tests := []struct {
		action string
		refill time.Duration // to gain 200 resource tokens
	}{
		{"StartInstances", 100 * time.Second},
		{"StopInstances", 10 * time.Second},
		{"TerminateInstances", 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			body := ec2Query + tt.action + "&DryRun=true" + ids.String() // 600 instances, nothing changes
			steps := []struct {
				advance time.Duration
				want    bool
			}{
				{0, true},              // 1 000 → 400
				{0, false},             // 400 < 600, though request tokens remain
				{tt.refill / 2, false}, // 500
				{tt.refill / 2, true},  // 600 → 0
				{tt.refill * 10, true}, // full again (1 000, not more) → 400
				{0, false},
			}
			for k, st := range steps {
				clock.Advance(st.advance)
				status, _ := ec2Post(t, srv, "", body)
				if got := status != http.StatusServiceUnavailable; got != st.want {
					t.Errorf("step %d: let through %v, want %v (status %d)", k+1, got, st.want, status)
				}
			}
		})
	}
}

// TestBucketsAreAllOrNothing: a call short of one bucket's tokens takes none
// from the other.
func TestBucketsAreAllOrNothing(t *testing.T) {
	clock := inventory.NewFakeClock(now)
	limits := &inventory.Limits{
		Request:  map[string]inventory.Bucket{"StartInstances": {Size: 2}},
		Resource: map[string]inventory.Bucket{"StartInstances": {Size: 10}},
	}
	srv, _, _, _, _ := startWith(t, inventory.Options{Clock: clock, Limits: limits}, inventory.Spec{})
	call := func(n int) string {
		var b strings.Builder
		b.WriteString(ec2Query + "StartInstances")
		for k := range n {
			fmt.Fprintf(&b, "&InstanceId.%d=i-0%016x", k+1, k)
		}
		return b.String()
	}
	steps := []struct {
		ids  int
		want bool
	}{
		{11, false}, // 11 resource tokens wanted, 10 held: the request token stays too
		{10, true},  // request 2 → 1, resource 10 → 0
		{1, false},  // no resource token left
		{0, true},   // no instance named: only a request token (1 → 0)
		{0, false},  // none left
	}
	for k, st := range steps {
		status, _ := ec2Post(t, srv, "", call(st.ids))
		if got := status != http.StatusServiceUnavailable; got != st.want {
			t.Errorf("step %d (%d ids): let through %v, want %v", k+1, st.ids, got, st.want)
		}
	}
}

// TestBucketsAreIsolated: one bucket running dry throttles only its own
// action, kind and region.
func TestBucketsAreIsolated(t *testing.T) {
	clock := inventory.NewFakeClock(now)
	srv, _, _, _, _ := startWith(t, inventory.Options{Clock: clock, Limits: inventory.AWSLimits()}, inventory.Spec{Snapshots: 10, Volumes: 2})
	paged := ec2Query + "DescribeSnapshots&MaxResults=5"
	if got := admitted(t, srv, "", paged, 1000); got != 100 {
		t.Fatalf("burst %d, want 100", got)
	}
	tests := []struct {
		name, region, body string
		want               bool
	}{
		{"the same call", "", paged, false},
		{"the same call, other filters", "", paged + "&Filter.1.Name=status&Filter.1.Value.1=completed", false},
		{"the same action unpaginated (its own, smaller bucket)", "", ec2Query + "DescribeSnapshots", true},
		{"another Describe of the same category", "", ec2Query + "DescribeVolumes&MaxResults=5", true},
		{"a mutating action", "", ec2Query + "CreateTags&ResourceId.1=vol-00000000000000000&Tag.1.Key=k&Tag.1.Value=v", true},
		{"the same call in another region", "eu-west-1", paged, true},
		{"the same call, signed for us-east-1", inventory.DefaultRegion, paged, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _ := ec2Post(t, srv, tt.region, tt.body)
			if got := status != http.StatusServiceUnavailable; got != tt.want {
				t.Errorf("let through %v, want %v (status %d)", got, tt.want, status)
			}
		})
	}
}

// TestThrottlingThroughTheSDK: the throttled answer is EC2's error document
// (HTTP 503, <Response><Errors><Error><Code>RequestLimitExceeded…), which
// the SDK classifies as a throttle, its retryers retry, and awserr calls
// Throttled; a retry after the bucket refilled succeeds.
func TestThrottlingThroughTheSDK(t *testing.T) {
	clock := inventory.NewFakeClock(now)
	limits := &inventory.Limits{Request: map[string]inventory.Bucket{"DescribeVolumes": {Size: 1, Rate: 1}}}
	srv, c, _, ctx, counter := startWith(t, inventory.Options{Clock: clock, Limits: limits}, inventory.Spec{Volumes: 3})

	if status, _ := ec2Post(t, srv, "", ec2Query+"DescribeVolumes"); status != http.StatusOK {
		t.Fatalf("first call: status %d", status)
	}
	status, body := ec2Post(t, srv, "", ec2Query+"DescribeVolumes")
	shape := regexp.MustCompile(`^<\?xml version="1.0" encoding="UTF-8"\?>\n<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded\.</Message></Error></Errors><RequestID>[0-9a-f-]{36}</RequestID></Response>$`)
	if status != http.StatusServiceUnavailable || !shape.MatchString(body) {
		t.Errorf("throttled answer: %d %q; want 503 and EC2's error document", status, body)
	}

	// The awsclient configuration (one attempt: the error surfaces).
	_, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "RequestLimitExceeded" || ae.ErrorMessage() != "Request limit exceeded." {
		t.Fatalf("SDK error %v, want RequestLimitExceeded", err)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusServiceUnavailable || re.ServiceRequestID() == "" {
		t.Errorf("SDK response error %v: want HTTP 503 with the request id read from the document", err)
	}
	if got := (retry.IsErrorThrottles(retry.DefaultThrottles)).IsErrorThrottle(err); got != aws.TrueTernary {
		t.Errorf("SDK throttle classification %v, want true", got)
	}
	if !retry.NewStandard().IsErrorRetryable(err) || !retry.NewAdaptiveMode().IsErrorRetryable(err) {
		t.Errorf("the SDK's standard and adaptive retryers do not retry %v", err)
	}
	if k := awserr.Classify(err); k != awserr.Throttled {
		t.Errorf("awserr kind %v, want throttled", k)
	}

	// The SDK's retryer with a backoff that waits on the fake clock: the
	// first attempt is throttled, the retry a second later gets through.
	retrying := ec2.NewFromConfig(load(t, inventory.DefaultRegion), func(o *ec2.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 3
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) {
				clock.Advance(time.Second)
				return 0, nil
			})
		})
	})
	srv.Reset()
	before := counter.Retries()
	if _, err := retrying.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{}); err != nil {
		t.Fatalf("with retries: %v", err)
	}
	if got := counter.Retries() - before; got != 1 {
		t.Errorf("%d retries, want 1", got)
	}
	if calls, th := srv.Calls()["EC2.DescribeVolumes"], srv.Throttled()["EC2.DescribeVolumes"]; calls != 2 || th != 1 {
		t.Errorf("server saw %d calls, %d throttled; want 2, 1", calls, th)
	}
}

// TestLimitsValidation: a bucket that could never let a call through, or a
// rate that is not a number, fails Start with the field named.
func TestLimitsValidation(t *testing.T) {
	tests := []struct {
		name   string
		limits inventory.Limits
		want   string
	}{
		{"empty bucket", inventory.Limits{Request: map[string]inventory.Bucket{"CreateTags": {Size: 0.5, Rate: 1}}}, `Limits.Request["CreateTags"].Size=0.5 is invalid`},
		{"negative rate", inventory.Limits{Resource: map[string]inventory.Bucket{"StopInstances": {Size: 10, Rate: -1}}}, `Limits.Resource["StopInstances"].Rate=-1 is invalid`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inventory.Start(inventory.Options{Limits: &tt.limits})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	srv, err := inventory.Start(inventory.Options{Limits: inventory.AWSLimits()})
	if err != nil {
		t.Fatalf("AWSLimits refused: %v", err)
	}
	_ = srv.Stop()
}
