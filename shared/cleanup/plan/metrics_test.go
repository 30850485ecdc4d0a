package plan

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/tags"
)

// series is n daily values, newest first: v for the days in set (all when
// none is given), NaN for the others.
func series(n int, v float64, set ...int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
		if len(set) == 0 || slices.Contains(set, i) {
			out[i] = v
		}
	}
	return out
}

// withMetrics is r with the series the policies ask for, each one's values
// from vals (by metric name); a name not in vals is not fetched.
func withMetrics(t *testing.T, pols []policy.Policy, r Resource, at time.Time, vals map[string][]float64) Resource {
	t.Helper()
	r.Metrics = map[string][]float64{}
	for _, q := range MetricQueries(pols, r, at) {
		if v, ok := vals[q.Name]; ok {
			r.Metrics[q.Key] = v
		}
	}
	return r
}

func TestMetricFilter(t *testing.T) {
	pols := parse(t, `
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
      - metric: {name: VolumeReadOps, stat: Sum, below: 1, for: 14d}
      - metric: {name: VolumeWriteOps, stat: Sum, below: 1, for: 14d}
  - name: busy-volumes
    resource: ec2:volume
    action: delete
    filters:
      - tag: busy
        present: true
      - metric: {name: VolumeReadOps, stat: Average, above: 100, for: 3d}
  - name: unused-functions
    resource: lambda:function
    action: delete
    filters:
      - metric: {name: Invocations, stat: Sum, below: 1, for: 14d}
`)
	at := now.Add(13 * time.Hour) // the window ends at the start of the day: now
	inst := Resource{Type: policy.EC2Instance, ID: "i-1", State: "running", Tags: map[string]string{}}
	vol := Resource{Type: policy.EC2Volume, ID: "vol-1", Tags: map[string]string{}}
	fn := Resource{Type: policy.LambdaFunction, ID: "fn", Tags: map[string]string{}}
	marked := func(r Resource) Resource {
		r.Tags = map[string]string{tags.CleanupAction: "stop", tags.CleanupDue: at.Add(days(3)).Format(time.RFC3339)}
		return r
	}
	protected := func(r Resource) Resource {
		r.Tags = map[string]string{"commander:protect": "true"}
		return r
	}
	created := func(r Resource, ago time.Duration) Resource { r.Created = at.Add(-ago); return r }
	busyTag := func(r Resource) Resource { r.Tags = map[string]string{"busy": "yes"}; return r }
	cpu := func(v []float64) map[string][]float64 { return map[string][]float64{"CPUUtilization": v} }
	cases := []struct {
		name   string
		r      Resource
		vals   map[string][]float64
		step   Step
		policy string
		reason string // the whole reason
	}{
		{"idle every day: matches", inst, cpu(series(14, 1)), Mark, "idle-instances",
			"policy idle-instances: state running; metric CPUUtilization Maximum below 5 on each of the last 14 days (highest 1)"},
		{"busy: no match, not reported", inst, cpu(series(14, 80)), None, "", ""},
		{"one busy day among idle ones: no match", inst, cpu(append(series(13, 1), 80)), None, "", ""},
		{"the threshold itself is not below it", inst, cpu(series(14, 5)), None, "", ""},
		{"3 of 14 days: not enough to prove idle, reported", inst, cpu(series(14, 1, 0, 1, 2)), Unproven, "idle-instances",
			"policy idle-instances: metric CPUUtilization: 3 of 14 daily datapoints, not enough to prove idle"},
		{"no datapoint at all", inst, cpu(series(14, 1, -1)), Unproven, "idle-instances",
			"policy idle-instances: metric CPUUtilization: 0 of 14 daily datapoints, not enough to prove idle"},
		{"a busy day among too few: disproven, not reported", inst, cpu(series(14, 90, 0)), None, "", ""},
		{"not fetched", inst, nil, Unproven, "idle-instances",
			"policy idle-instances: metric CPUUtilization: no datapoints fetched, not enough to prove idle"},
		{"fewer days fetched than the window", inst, cpu(series(10, 1)), Unproven, "idle-instances",
			"policy idle-instances: metric CPUUtilization: no datapoints fetched, not enough to prove idle"},
		{"a longer fetch: the newest 14 days count", inst, cpu(append(series(14, 2), 99, 99, 99)), Mark, "idle-instances",
			"policy idle-instances: state running; metric CPUUtilization Maximum below 5 on each of the last 14 days (highest 2)"},
		{"marked, now unproven: unmarked, saying why", marked(inst), cpu(series(14, 1, 0)), Unmark, "",
			"marked for stop but no longer matches any policy (policy idle-instances: metric CPUUtilization: 1 of 14 daily datapoints, not enough to prove idle)"},
		{"marked and still idle: waits", marked(inst), cpu(series(14, 0.5)), Wait, "idle-instances", ""},
		{"protected and idle: protected", protected(inst), cpu(series(14, 1)), Protected, "idle-instances",
			"protected: commander:protect=true; would match policy idle-instances"},
		{"protected and unproven: nothing to say", protected(inst), cpu(series(14, 1, 0)), None, "", ""},
		{"volume idle on reads and writes", vol, map[string][]float64{"VolumeReadOps": series(14, 0), "VolumeWriteOps": series(14, 0)}, Mark, "idle-volumes",
			"policy idle-volumes: metric VolumeReadOps Sum below 1 on each of the last 14 days (highest 0); metric VolumeWriteOps Sum below 1 on each of the last 14 days (highest 0)"},
		{"volume reads idle, writes unknown", vol, map[string][]float64{"VolumeReadOps": series(14, 0), "VolumeWriteOps": series(14, 0, 0)}, Unproven, "idle-volumes",
			"policy idle-volumes: metric VolumeWriteOps: 1 of 14 daily datapoints, not enough to prove idle"},
		{"volume writes busy, reads unknown: disproven", vol, map[string][]float64{"VolumeReadOps": series(14, 0, 0), "VolumeWriteOps": series(14, 7)}, None, "", ""},
		{"above: every day above", busyTag(vol), map[string][]float64{"VolumeReadOps": series(14, 150), "VolumeWriteOps": series(14, 9)}, Mark, "busy-volumes",
			"policy busy-volumes: tag busy present; metric VolumeReadOps Average above 100 on each of the last 3 days (lowest 150)"},
		{"above: a quiet day", busyTag(vol), map[string][]float64{"VolumeReadOps": series(14, 150, 0, 2), "VolumeWriteOps": series(14, 9)}, Unproven, "busy-volumes",
			"policy busy-volumes: metric VolumeReadOps: 2 of 3 daily datapoints, not enough to prove busy"},
		{"sparse: no datapoint for a function older than the window is no invocation", created(fn, days(100)),
			map[string][]float64{"Invocations": series(14, 0, -1)}, Mark, "unused-functions",
			"policy unused-functions: metric Invocations Sum below 1 on each of the last 14 days (highest 0)"},
		{"sparse: an invocation", created(fn, days(100)), map[string][]float64{"Invocations": series(14, 3, 6)}, None, "", ""},
		{"sparse: days before the last change stay unknown", created(fn, days(5)), map[string][]float64{"Invocations": series(14, 0, -1)}, Unproven, "unused-functions",
			"policy unused-functions: metric Invocations: 4 of 14 days known (a day without one counts as none only from 2030-02-24T13:00:00Z on), not enough to prove idle"},
		{"sparse: a datapoint before the last change counts", created(fn, days(5)), map[string][]float64{"Invocations": series(14, 0)}, Mark, "unused-functions", ""},
		{"sparse: no creation time", fn, map[string][]float64{"Invocations": series(14, 0, -1)}, Unproven, "unused-functions",
			"policy unused-functions: metric Invocations: 0 of 14 days known (its creation time is unknown), not enough to prove idle"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := withMetrics(t, pols, c.r, at, c.vals)
			d := Decide(pols, r, at, "commander:protect", days(7))
			if d.Step != c.step || d.Policy != c.policy || (c.reason != "" && d.Reason != c.reason) {
				t.Errorf("Decide = %s %q %q\nwant     %s %q %q", d.Step, d.Policy, d.Reason, c.step, c.policy, c.reason)
			}
		})
	}
}

// Metrics are asked for only for resources that pass every other filter of
// a metric policy, each series once, and not past a policy that matches
// without metrics.
func TestMetricQueries(t *testing.T) {
	pols := parse(t, `
policies:
  - name: idle
    resource: ec2:instance
    action: stop
    filters: [{state: running}, {metric: {name: CPUUtilization, stat: Maximum, below: 5, for: 14d}}]
    exclude: [{tag: keep, present: true}]
  - name: idle-net
    resource: ec2:instance
    action: stop
    filters: [{state: running}, {metric: {name: CPUUtilization, stat: Maximum, below: 10, for: 7d}}, {metric: {name: NetworkIn, stat: Sum, below: 1000, for: 7d}}]
  - name: untagged
    resource: ec2:instance
    action: stop
    filters: [{tag: owner, absent: true}]
  - name: never-asked
    resource: ec2:instance
    action: stop
    filters: [{metric: {name: NetworkOut, stat: Sum, below: 1, for: 21d}}]
`)
	keys := func(qs []MetricQuery) []string {
		var out []string
		for _, q := range qs {
			out = append(out, q.Key)
		}
		return out
	}
	running := Resource{Type: policy.EC2Instance, ID: "i-1", State: "running", Tags: map[string]string{"owner": "me"}}
	cpu, net := "AWS/EC2|CPUUtilization|InstanceId=i-1|Maximum", "AWS/EC2|NetworkIn|InstanceId=i-1|Sum"
	out := "AWS/EC2|NetworkOut|InstanceId=i-1|Sum"
	cases := []struct {
		name string
		r    Resource
		want []string
	}{
		{"running: each series once, over both policies, and the last one (no earlier policy matches without metrics)", running, []string{cpu, net, out}},
		{"stopped: costs no query", Resource{Type: policy.EC2Instance, ID: "i-1", State: "stopped", Tags: map[string]string{"owner": "me"}}, []string{out}},
		{"excluded from the first", Resource{Type: policy.EC2Instance, ID: "i-1", State: "running", Tags: map[string]string{"owner": "me", "keep": "y"}}, []string{cpu, net, out}},
		{"a policy without metrics matches first: none after it", Resource{Type: policy.EC2Instance, ID: "i-1", State: "stopped", Tags: map[string]string{}}, nil},
		{"already fetched", func() Resource { r := running; r.Metrics = map[string][]float64{cpu: nil, net: nil}; return r }(), []string{out}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := keys(MetricQueries(pols, c.r, now)); !slices.Equal(got, c.want) {
				t.Errorf("queries = %v\nwant      %v", got, c.want)
			}
		})
	}
	q := MetricQueries(pols, running, now)[0]
	if q != (MetricQuery{Key: cpu, Namespace: "AWS/EC2", Name: "CPUUtilization", Dimension: "InstanceId", Value: "i-1", Stat: "Maximum"}) {
		t.Errorf("query = %+v", q)
	}
	if n := MetricDays(pols); n != 21 {
		t.Errorf("MetricDays = %d, want 21", n)
	}
	if end := MetricWindowEnd(time.Date(2030, 3, 1, 23, 59, 0, 0, time.FixedZone("x", -5*3600))); !end.Equal(time.Date(2030, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("window end = %s, want the start of the UTC day", end)
	}
	// The idle instance of an earlier metric policy that cannot be proven
	// falls through to a later policy that matches.
	r := withMetrics(t, pols, Resource{Type: policy.EC2Instance, ID: "i-1", State: "running", Tags: map[string]string{}}, now, nil)
	if d := Decide(pols, r, now, "commander:protect", days(7)); d.Step != Mark || d.Policy != "untagged" || strings.Contains(d.Reason, "metric") {
		t.Errorf("Decide = %+v, want a mark by untagged", d)
	}
}
