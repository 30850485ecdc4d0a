package policy

import (
	"slices"
	"strings"
	"testing"
)

// A metric filter reads into its test: the metric, the statistic, the side
// and threshold, and the window in days ("14d" or a number of days).
func TestParseMetricFilter(t *testing.T) {
	d, err := Parse([]byte(`
policies:
  - name: idle-instances
    resource: ec2:instance
    action: stop
    filters:
      - state: [running]
      - metric: {name: CPUUtilization, stat: Maximum, below: 5, for: 14d}
      - metric: {name: NetworkIn, stat: Sum, below: 0.5, for: 7}
  - name: idle-volumes
    resource: ec2:volume
    action: delete
    filters:
      - metric: {name: VolumeReadOps, stat: Sum, below: 1, for: 63d}
      - metric: {name: VolumeWriteOps, stat: SampleCount, above: 0, for: 1d}
  - name: unused-functions
    resource: lambda:function
    action: delete
    filters:
      - metric: {name: Invocations, stat: Sum, below: 1, for: 30d}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []MetricTest{
		{Name: "CPUUtilization", Stat: "Maximum", Below: true, Threshold: 5, Days: 14},
		{Name: "NetworkIn", Stat: "Sum", Below: true, Threshold: 0.5, Days: 7},
		{Name: "VolumeReadOps", Stat: "Sum", Below: true, Threshold: 1, Days: 63},
		{Name: "VolumeWriteOps", Stat: "SampleCount", Below: false, Threshold: 0, Days: 1},
		{Name: "Invocations", Stat: "Sum", Below: true, Threshold: 1, Days: 30},
	}
	var got []MetricTest
	for _, p := range d.Policies {
		for _, f := range p.Filters {
			if f.Kind == Metric {
				got = append(got, *f.Metric)
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("metric tests = %+v\nwant %+v", got, want)
	}
	if p := d.Policies[0].Filters[1].Path; p != "policies[0].filters[1]" {
		t.Errorf("path = %s", p)
	}
}

// Every bad field of a metric filter is refused with its path and what it
// accepts; the whole message is checked.
func TestParseRefusesBadMetricFilters(t *testing.T) {
	doc := func(resource, filters string) string {
		return "policies:\n  - name: a\n    resource: " + resource + "\n    action: delete\n    filters: " + filters + "\n"
	}
	inst := func(metric string) string {
		return "policies:\n  - name: a\n    resource: ec2:instance\n    action: stop\n    filters: [{state: running}, {metric: " + metric + "}]\n"
	}
	const at = "policies[0].filters[1].metric"
	cases := []struct {
		name, doc string
		want      []string // every line of the error
	}{
		{"unknown metric", inst("{name: CPU, stat: Maximum, below: 5, for: 14d}"),
			[]string{at + `.name: unknown metric "CPU" for this resource type (namespace AWS/EC2); accepts CPUUtilization, NetworkIn, NetworkOut`}},
		{"a metric of another type", inst("{name: VolumeReadOps, stat: Sum, below: 1, for: 14d}"),
			[]string{at + `.name: unknown metric "VolumeReadOps" for this resource type (namespace AWS/EC2); accepts CPUUtilization, NetworkIn, NetworkOut`}},
		{"name not a string", inst("{name: 5, stat: Maximum, below: 5, for: 14d}"),
			[]string{at + ".name: 5 is invalid: accepts a string"}},
		{"unknown stat", inst("{name: CPUUtilization, stat: Max, below: 5, for: 14d}"),
			[]string{at + `.stat: must be one of Average, Maximum, Minimum, Sum, SampleCount; got "Max"`}},
		{"percentile stat", inst("{name: CPUUtilization, stat: p99, below: 5, for: 14d}"),
			[]string{at + `.stat: must be one of Average, Maximum, Minimum, Sum, SampleCount; got "p99"`}},
		{"both below and above", inst("{name: CPUUtilization, stat: Maximum, below: 5, above: 1, for: 14d}"),
			[]string{at + ": a metric filter sets exactly one of below, above; got 2"}},
		{"negative threshold", inst("{name: CPUUtilization, stat: Maximum, below: -1, for: 14d}"),
			[]string{at + ".below: -1 is invalid: accepts a number from 0"}},
		{"threshold not a number", inst("{name: CPUUtilization, stat: Maximum, above: lots, for: 14d}"),
			[]string{at + `.above: "lots" is invalid: accepts a number from 0`}},
		{"infinite threshold", inst("{name: CPUUtilization, stat: Maximum, below: .inf, for: 14d}"),
			[]string{at + ".below: +Inf is invalid: accepts a number from 0"}},
		{"NaN threshold", inst("{name: CPUUtilization, stat: Maximum, below: .nan, for: 14d}"),
			[]string{at + ".below: NaN is invalid: accepts a number from 0"}},
		{"hours, not days", inst("{name: CPUUtilization, stat: Maximum, below: 5, for: 36h}"),
			[]string{at + `.for: "36h" is invalid: accepts a whole number of days from 1d to 63d, such as 14d`}},
		{"zero days", inst("{name: CPUUtilization, stat: Maximum, below: 5, for: 0d}"),
			[]string{at + `.for: "0d" is invalid: accepts a whole number of days from 1d to 63d, such as 14d`}},
		{"too many days", inst("{name: CPUUtilization, stat: Maximum, below: 5, for: 64d}"),
			[]string{at + `.for: "64d" is invalid: accepts a whole number of days from 1d to 63d, such as 14d`}},
		{"fractional days", inst("{name: CPUUtilization, stat: Maximum, below: 5, for: 1.5}"),
			[]string{at + ".for: 1.5 is invalid: accepts a whole number of days from 1d to 63d, such as 14d"}},
		{"days not a duration", inst("{name: CPUUtilization, stat: Maximum, below: 5, for: [14d]}"),
			[]string{at + ".for: [14d] is invalid: accepts a whole number of days from 1d to 63d, such as 14d"}},
		{"unknown field", inst("{name: CPUUtilization, stat: Maximum, below: 5, for: 14d, period: 300}"),
			[]string{at + ".period: unknown field; accepts name, stat, below, above, for"}},
		{"not a mapping", inst("CPUUtilization"),
			[]string{at + ": must be a mapping, got a string"}},
		{"everything missing", inst("{}"), []string{
			at + ".name: required",
			at + ".stat: required: one of Average, Maximum, Minimum, Sum, SampleCount",
			at + ": a metric filter sets exactly one of below, above; got 0",
			at + ".for: required: a whole number of days from 1d to 63d, such as 14d",
		}},
		{"a type without metrics", doc("ec2:snapshot", "[{metric: {name: X, stat: Sum, below: 1, for: 14d}}]"),
			[]string{`policies[0].filters[0].metric: filter "metric" does not apply to this resource type; accepts age, expired, tag, name, volumeGone`}},
		{"under exclude", doc("ec2:volume", "[{state: in-use}]\n    exclude: [{metric: {name: VolumeReadOps, stat: Sum, above: 100, for: 14d}}]"),
			[]string{"policies[0].exclude[0].metric: applies only under filters: missing datapoints would not exclude a resource; put the opposite test (below for above) under filters"}},
		{"json, with the path", `{"policies":[{"name":"a","resource":"lambda:function","action":"delete","filters":[{"tag":"x","present":true},{"metric":{"name":"Invocations","stat":"Sum","below":1,"for":"2w"}}]}]}`,
			[]string{at + `.for: "2w" is invalid: accepts a whole number of days from 1d to 63d, such as 14d`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.doc))
			if err == nil {
				t.Fatalf("accepted; want %q", c.want)
			}
			if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, c.want) {
				t.Errorf("err =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}
}

// A type offers the metric filter exactly when it declares its metrics, and
// then grants GetMetricData (no resource-level permission): the stack's
// cleanup role is generated from the grants.
func TestMetricDeclarations(t *testing.T) {
	n := 0
	for _, name := range TypeNames() {
		typ := Types[name]
		offers := slices.Contains(typ.Filters, Metric)
		if offers != (typ.Metrics != nil) {
			t.Errorf("%s: Filters lists metric = %v, but Metrics = %+v", name, offers, typ.Metrics)
			continue
		}
		if typ.Metrics == nil {
			continue
		}
		n++
		m := typ.Metrics
		if !strings.HasPrefix(m.Namespace, "AWS/") || m.Dimension == "" || len(m.Names) == 0 {
			t.Errorf("%s: incomplete metrics %+v", name, m)
		}
		for _, s := range m.Sparse {
			if !slices.Contains(m.Names, s) {
				t.Errorf("%s: sparse metric %s is not one of %v", name, s, m.Names)
			}
		}
		if !slices.ContainsFunc(typ.IAM, func(g Grant) bool {
			return g.Resource == AnyResource && slices.Contains(g.Actions, "cloudwatch:GetMetricData") && len(g.Conditions) == 0
		}) {
			t.Errorf("%s: has metrics but no grant of cloudwatch:GetMetricData on *", name)
		}
	}
	if n != 3 {
		t.Errorf("%d types with metrics, want 3 (ec2:instance, ec2:volume, lambda:function)", n)
	}
	row := line(Reference()[SectionMetrics], "| `lambda:function` |")
	if !strings.Contains(row, "`AWS/Lambda`") || !strings.Contains(row, "`FunctionName`") || !strings.Contains(row, "`Invocations`") {
		t.Errorf("metrics reference row %q", row)
	}
}
