package cleanup

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// metricCalls records the GetMetricData calls (pages) that reach the
// client, and can answer them itself (answer set) or refuse some.
type metricCalls struct {
	CloudWatchAPI
	mu      sync.Mutex
	calls   []*cloudwatch.GetMetricDataInput // first pages only
	pages   int
	queries int
	listed  func() int // resources listed so far, at each call
	during  []int
	answer  func(q cwtypes.MetricDataQuery, start, end time.Time) ([]time.Time, []float64)
	refuse  func(call int) bool
}

func (m *metricCalls) GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	m.mu.Lock()
	m.pages++
	first := in.NextToken == nil
	if first {
		m.calls = append(m.calls, in)
		m.queries += len(in.MetricDataQueries)
		if m.listed != nil {
			m.during = append(m.during, m.listed())
		}
	}
	call := len(m.calls)
	m.mu.Unlock()
	if m.refuse != nil && m.refuse(call) {
		return nil, errors.New("throttled for good")
	}
	if m.answer == nil {
		return m.CloudWatchAPI.GetMetricData(ctx, in, opts...)
	}
	// Two pages, as CloudWatch may split a call: the first half of the
	// queries, then (with a NextToken) the rest.
	half := len(in.MetricDataQueries) / 2
	qs, next := in.MetricDataQueries[:half], aws.String("page2")
	if !first {
		qs, next = in.MetricDataQueries[half:], nil
	}
	out := &cloudwatch.GetMetricDataOutput{NextToken: next}
	for _, q := range qs {
		ts, vals := m.answer(q, aws.ToTime(in.StartTime), aws.ToTime(in.EndTime))
		out.MetricDataResults = append(out.MetricDataResults, cwtypes.MetricDataResult{Id: q.Id, Timestamps: ts, Values: vals, StatusCode: cwtypes.StatusCodeComplete})
	}
	return out, nil
}

// The engine fetches metrics in calls of 500 queries while the type is
// listed, one query per resource and metric filter of the resources that
// passed the other filters, and decides each resource once its queries are
// answered: ceil(queries/500) calls, whatever the pages.
func TestMetricsBatched(t *testing.T) {
	now := time.Date(2026, 6, 1, 15, 30, 0, 0, time.UTC)
	end := plan.MetricWindowEnd(now)
	doc := func(filters string) []policy.Policy {
		d, err := policy.Parse([]byte("policies:\n  - name: idle\n    resource: ec2:instance\n    action: stop\n    filters: [{state: running}, " + filters + "]\n"))
		if err != nil {
			t.Fatal(err)
		}
		return d.Policies
	}
	cpu := "{metric: {name: CPUUtilization, stat: Maximum, below: 5, for: 14d}}"
	net := "{metric: {name: NetworkOut, stat: Sum, below: 1000, for: 7d}}"
	// Instance i: stopped when i%10 == 9 (no query); else idle when even, busy
	// when odd, and with 3 days of data only when i%10 == 4.
	instances := func(n int) []plan.Resource {
		var out []plan.Resource
		for i := range n {
			state := "running"
			if i%10 == 9 {
				state = "stopped"
			}
			out = append(out, plan.Resource{Type: policy.EC2Instance, ID: fmt.Sprintf("i-%05d", i), Region: "r-1", State: state, Tags: map[string]string{}})
		}
		return out
	}
	answer := func(q cwtypes.MetricDataQuery, start, stop time.Time) ([]time.Time, []float64) {
		id := aws.ToString(q.MetricStat.Metric.Dimensions[0].Value)
		i, _ := strconv.Atoi(strings.TrimPrefix(id, "i-"))
		v := 1.0
		if i%2 == 1 {
			v = 80
		}
		days := 14
		if i%10 == 4 {
			days = 3
		}
		var ts []time.Time
		var vals []float64
		for d := range days {
			// Newest first, as TimestampDescending asks; each a period's start.
			ts = append(ts, stop.Add(-time.Duration(d+1)*day))
			vals = append(vals, v)
		}
		if start != stop.Add(-14*day) || aws.ToInt32(q.MetricStat.Period) != 86400 {
			t.Errorf("query %s: window %s to %s, period %d", aws.ToString(q.Id), start, stop, aws.ToInt32(q.MetricStat.Period))
		}
		return ts, vals
	}
	cases := []struct {
		name      string
		pols      []policy.Policy
		n         int
		refuse    func(int) bool
		wantCalls []int // queries per call
		wantErr   string
		counts    map[string]int
	}{
		// 1203 instances: 1083 running, one query each; 602 idle, of which the
		// 120 with 3 days of data are unproven (reported skipped), 482 marked.
		{name: "one metric filter: 1083 queries, 3 calls", pols: doc(cpu), n: 1203, wantCalls: []int{500, 500, 83},
			counts: map[string]int{"mark.done": 482, "stop.skipped": 120}},
		// 2 queries per running instance: calls split a resource's queries, and it waits for both.
		{name: "two metric filters: 1260 queries, 3 calls", pols: doc(cpu + ", " + net), n: 700, wantCalls: []int{500, 500, 260},
			counts: map[string]int{"mark.done": 280, "stop.skipped": 70}},
		// The second call's 500 running instances (i-00555 to i-01110) hold
		// 223 of the idle and 55 of the unproven: neither marked nor reported.
		{name: "a call that fails leaves its resources undecided and says so", pols: doc(cpu), n: 1203,
			refuse: func(call int) bool { return call == 2 }, wantCalls: []int{500, 500, 83},
			wantErr: "metrics: 500 resources left undecided (marks left as they are): get metric data: ",
			counts:  map[string]int{"mark.done": 482 - 223, "stop.skipped": 120 - 55}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := settings.Settings{ProtectTag: "protect", CleanupGrace: 24 * time.Hour, Concurrency: 4, MaxReportedResources: 10}
			r := &run{job: &Job{Settings: s}, now: now, measure: func(string, float64) {},
				rep:     report.New("cleanup", "direct", false, now, s.MaxReportedResources),
				breaker: guard.NewLedger(guard.Breaker{MaxCount: 100000, MaxPercent: 100}, guard.LedgerState{})}
			f := &fakeKind{resources: instances(c.n)}
			cw := &metricCalls{answer: answer, refuse: c.refuse, listed: func() int { f.mu.Lock(); defer f.mu.Unlock(); return f.listed }}
			err := r.resources(context.Background(), f.kind(), Clients{CloudWatch: cw}, "r-1", policy.EC2Instance, c.pols)
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
			var got []int
			for _, in := range cw.calls {
				got = append(got, len(in.MetricDataQueries))
				if !aws.ToTime(in.EndTime).Equal(end) || in.ScanBy != cwtypes.ScanByTimestampDescending {
					t.Errorf("call ends %s, scans %s", aws.ToTime(in.EndTime), in.ScanBy)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.wantCalls) {
				t.Errorf("calls carry %v queries, want %v", got, c.wantCalls)
			}
			if cw.pages != 2*len(c.wantCalls)-boolInt(c.refuse != nil) {
				t.Errorf("%d pages for %d calls", cw.pages, len(cw.calls))
			}
			if len(cw.during) == 0 || cw.during[0] >= c.n {
				t.Errorf("the first call came after the listing (listed %v of %d)", cw.during, c.n)
			}
			for k, v := range c.counts {
				if r.rep.Counts[k] != v {
					t.Errorf("count %s = %d, want %d (all: %v)", k, r.rep.Counts[k], v, r.rep.Counts)
				}
			}
			if len(r.rep.Counts) != len(c.counts) {
				t.Errorf("counts %v, want %v", r.rep.Counts, c.counts)
			}
		})
	}
}

// uncompressed sends PutMetricData's body as it is. The SDK gzips a body of
// 10 240 bytes or more (RequestMinCompressSizeBytes), and moto 5.2.1's
// server then decompresses it twice (BadGzipFile, an HTML 500). Only
// these tests call PutMetricData: the job never does.
func uncompressed(o *cloudwatch.Options) { o.DisableRequestCompression = true }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A datapoint goes to the day it falls in; today's, and any outside the
// window, are dropped.
func TestMetricsPlace(t *testing.T) {
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	m := &metricFetcher{days: 3, end: end}
	got := nanDays(3)
	m.place(got,
		[]time.Time{end, end.Add(-day), end.Add(-36 * time.Hour), end.Add(-3 * day), end.Add(-3*day - time.Second), end.Add(time.Hour)},
		[]float64{9, 1, 2, 3, 4, 5})
	if got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Errorf("days = %v, want [1 2 3]", got)
	}
	none := nanDays(2)
	m.place(none, nil, nil)
	if !math.IsNaN(none[0]) || !math.IsNaN(none[1]) {
		t.Errorf("no datapoints: %v", none)
	}
}

// Idle detection against moto: an idle instance (daily maximum 1 for 14
// days) is selected, a busy one (80) is not, a stopped one costs no query,
// and a volume without datapoints is reported as not provable; the
// GetMetricData calls are ceil(queries/500) per type: one each here.
func TestIdleFromMetrics(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now().UTC()
	end := plan.MetricWindowEnd(now)
	idle := f.instance("running", nil, nil)
	busy := f.instance("running", nil, nil)
	stopped := f.instance("stopped", nil, nil)
	vol := f.volume(nil)

	cw := cloudwatchclient.New(f.cfg)
	put := func(id string, vals ...float64) {
		var data []cwtypes.MetricDatum
		for d := range 14 {
			day := end.Add(-time.Duration(d+1) * 24 * time.Hour)
			for j, v := range vals {
				data = append(data, cwtypes.MetricDatum{
					MetricName: aws.String("CPUUtilization"), Value: aws.Float64(v), Unit: cwtypes.StandardUnitPercent,
					Timestamp:  aws.Time(day.Add(time.Duration(2+7*j) * time.Hour)),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("InstanceId"), Value: aws.String(id)}},
				})
			}
		}
		if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/EC2"), MetricData: data}, uncompressed); err != nil {
			t.Fatal(err)
		}
	}
	put(idle, 0.5, 1, 0.25)
	put(busy, 80, 75, 90)
	put(stopped, 0, 0, 0)
	// Today is outside the window: a busy start of today changes nothing.
	if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/EC2"), MetricData: []cwtypes.MetricDatum{{
		MetricName: aws.String("CPUUtilization"), Value: aws.Float64(99), Timestamp: aws.Time(end),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("InstanceId"), Value: aws.String(idle)}},
	}}}); err != nil {
		t.Fatal(err)
	}

	j := f.job(`
policies:
  - name: idle-instances
    resource: ec2:instance
    action: stop
    filters:
      - state: [running]
      - metric: {name: CPUUtilization, stat: Maximum, below: 5, for: 14d}
  - name: idle-volumes
    resource: ec2:volume
    action: delete
    filters:
      - state: [available]
      - metric: {name: VolumeReadOps, stat: Sum, below: 1, for: 14d}
      - metric: {name: VolumeWriteOps, stat: Sum, below: 1, for: 14d}
`, map[string]string{"COMMANDER_DRY_RUN": "true"})
	counted := &metricCalls{}
	clients := j.Clients
	j.Clients = func(region string) Clients {
		c := clients(region)
		counted.CloudWatchAPI = c.CloudWatch
		c.CloudWatch = counted
		return c
	}
	rep := f.run(j, now, "")

	if d := decisionFor(rep, idle); d.Action != "mark" || d.Outcome != report.Planned ||
		!strings.Contains(d.Reason, "policy idle-instances: state running; metric CPUUtilization Maximum below 5 on each of the last 14 days (highest 1)") {
		t.Errorf("idle instance: %+v", d)
	}
	for _, id := range []string{busy, stopped} {
		if d := decisionFor(rep, id); d.Resource != "" {
			t.Errorf("%s: %+v, want no decision", id, d)
		}
	}
	if d := decisionFor(rep, vol); d.Action != "delete" || d.Outcome != report.Skipped ||
		d.Reason != "policy idle-volumes: metric VolumeReadOps: 0 of 14 daily datapoints, not enough to prove idle" {
		t.Errorf("volume: %+v", d)
	}
	// Queries: 2 running instances x 1 filter, 1 volume x 2 filters; a call per type.
	maxCalls := int64(math.Ceil(2*1/500.0) + math.Ceil(1*2/500.0))
	if n := rep.APICalls["CloudWatch.GetMetricData"]; n != 2 || n > maxCalls {
		t.Errorf("GetMetricData calls = %d, want 2 (at most %d); calls %v", n, maxCalls, rep.APICalls)
	}
	if counted.queries != 4 {
		t.Errorf("%d queries, want 4 (none for the stopped instance)", counted.queries)
	}
	if rep.Status != report.StatusOK {
		t.Errorf("report %s: %s", rep.Status, rep.Reason)
	}
}

// At a few hundred instances against moto, the calls are still
// ceil(instances x metric filters / 500): 700 running instances with two
// metric filters make 1 400 queries in 3 calls. The first 50 have 14 idle
// days of both metrics; the rest have none and are reported as not
// provable.
func TestIdleFromMetricsAtScale(t *testing.T) {
	const n, withData, filters = 700, 50, 2
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now().UTC()
	end := plan.MetricWindowEnd(now)
	var ids []string
	for len(ids) < n {
		out, err := f.ec2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12345678"), InstanceType: types.InstanceTypeT2Micro,
			MinCount: aws.Int32(100), MaxCount: aws.Int32(100)})
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range out.Instances {
			ids = append(ids, aws.ToString(in.InstanceId))
		}
	}
	cw := cloudwatchclient.New(f.cfg)
	seeded := time.Now()
	var data []cwtypes.MetricDatum
	for _, id := range ids[:withData] {
		for d := range 14 {
			for _, name := range []string{"CPUUtilization", "NetworkOut"} {
				data = append(data, cwtypes.MetricDatum{MetricName: aws.String(name), Value: aws.Float64(1),
					Timestamp:  aws.Time(end.Add(-time.Duration(d+1)*day + time.Hour)),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("InstanceId"), Value: aws.String(id)}}})
			}
		}
	}
	for chunk := range slices.Chunk(data, 1000) { // PutMetricData's limit of datums a call
		if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/EC2"), MetricData: chunk}, uncompressed); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seeded %d instances, %d datapoints in %s", n, len(data), time.Since(seeded).Round(time.Millisecond))
	j := f.job(`
policies:
  - name: idle-instances
    resource: ec2:instance
    action: stop
    filters:
      - state: [running]
      - metric: {name: CPUUtilization, stat: Maximum, below: 5, for: 14d}
      - metric: {name: NetworkOut, stat: Sum, below: 1000000, for: 14d}
`, map[string]string{"COMMANDER_DRY_RUN": "true"})
	started := time.Now()
	rep := f.run(j, now, "")
	t.Logf("run took %s; calls %v", time.Since(started).Round(time.Millisecond), rep.APICalls)
	want := int64(math.Ceil(n * filters / 500.0))
	if got := rep.APICalls["CloudWatch.GetMetricData"]; got != want {
		t.Errorf("GetMetricData calls = %d, want ceil(%d x %d / 500) = %d", got, n, filters, want)
	}
	if rep.Count("mark", report.Planned) != withData || rep.Count("stop", report.Skipped) != n-withData {
		t.Errorf("counts %v, want %d marks planned and %d not provable", rep.Counts, withData, n-withData)
	}
	if d := decisionFor(rep, ids[n-1]); d.Reason != "policy idle-instances: metric CPUUtilization: 0 of 14 daily datapoints, not enough to prove idle" {
		t.Logf("the last instance: %+v (its line may be past the report's limit)", d)
	}
}
