// Package cwcmd holds the CloudWatch commands: the CPU alarm of an instance
// (also created by ec2.launch), list and delete alarms, metric statistics.
package cwcmd

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// AlarmAPI is the slice of CloudWatch that creates alarms.
type AlarmAPI interface {
	PutMetricAlarm(ctx context.Context, in *cloudwatch.PutMetricAlarmInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error)
}

// TagAPI is the slice of CloudWatch the protection check reads.
type TagAPI interface {
	cloudwatch.DescribeAlarmsAPIClient
	ListTagsForResource(ctx context.Context, in *cloudwatch.ListTagsForResourceInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.ListTagsForResourceOutput, error)
}

// FirstProtected answers the first of names whose alarm (metric or
// composite) its tags protect (guard.Protected), or "" when none is; names
// without an alarm are skipped. Read-only: what deleting or replacing
// alarms checks before any change.
func FirstProtected(ctx context.Context, cw TagAPI, names []string, key string) (string, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var arns, found []string
	for start := 0; start < len(names); start += 100 { // DescribeAlarms takes at most 100 names
		batch := names[start:min(start+100, len(names))]
		pg := cloudwatch.NewDescribeAlarmsPaginator(cw, &cloudwatch.DescribeAlarmsInput{AlarmNames: batch,
			AlarmTypes: []types.AlarmType{types.AlarmTypeMetricAlarm, types.AlarmTypeCompositeAlarm}})
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			if err != nil {
				return "", fmt.Errorf("describe alarms: %w", err)
			}
			for _, a := range out.MetricAlarms {
				arns, found = append(arns, aws.ToString(a.AlarmArn)), append(found, aws.ToString(a.AlarmName))
			}
			for _, a := range out.CompositeAlarms {
				arns, found = append(arns, aws.ToString(a.AlarmArn)), append(found, aws.ToString(a.AlarmName))
			}
		}
	}
	for i, arn := range arns {
		if !want[found[i]] {
			continue
		}
		out, err := cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
		if awserr.Is(err, awserr.NotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return "", fmt.Errorf("tags of alarm %s: %w", found[i], err)
		}
		if guard.Protected(tags.Map(out.Tags, func(t types.Tag) *string { return t.Key }, func(t types.Tag) *string { return t.Value }), key) {
			return found[i], nil
		}
	}
	return "", nil
}

// API is the slice of CloudWatch these commands call.
type API interface {
	AlarmAPI
	TagAPI
	DeleteAlarms(ctx context.Context, in *cloudwatch.DeleteAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DeleteAlarmsOutput, error)
	GetMetricStatistics(ctx context.Context, in *cloudwatch.GetMetricStatisticsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricStatisticsOutput, error)
}

// Deps are what the commands are built from.
type Deps struct {
	CW       API
	Settings settings.Settings
}

var (
	instanceIDRE = regexp.MustCompile(`^i-[0-9a-f]{8,17}$`)
	// Length limits are checked apart from the patterns (api.Bound): a
	// counted repetition such as {1,1000} costs every cold start.

	// OnAlarmRE is the shape of a commander:on-alarm reaction (the alarm function decides which it knows).
	OnAlarmRE   = api.Bound(`^[a-z][a-z0-9-]*$`, 63)
	alarmNameRE = api.Bound(`^[^\x00-\x1f]+$`, 255)
	dimensionRE = api.Bound(`^([^=]+)=([^=]+)$`, 0, 255, 1000) // name and value
	namespaceRE = api.Bound(`^[^:][^\x00-\x1f]*$`, 255)
)

// CPUAlarm describes an instance's CPU alarm.
type CPUAlarm struct {
	InstanceID    string
	Threshold     float64
	Periods       int32
	PeriodSeconds int32
	OnAlarm       string // commander:on-alarm reaction, optional
	Tags          map[string]string
}

// CPUAlarmName is the name commander gives an instance's CPU alarm, so
// terminate can remove it.
func CPUAlarmName(instanceID string) string { return "commander-cpu-" + instanceID }

// Input is the PutMetricAlarm call for a.
func (a CPUAlarm) Input() *cloudwatch.PutMetricAlarmInput {
	t := map[string]string{}
	for k, v := range a.Tags {
		t[k] = v
	}
	if a.OnAlarm != "" {
		t[tags.OnAlarm] = a.OnAlarm
	}
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var tl []types.Tag
	for _, k := range keys {
		tl = append(tl, types.Tag{Key: aws.String(k), Value: aws.String(t[k])})
	}
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(CPUAlarmName(a.InstanceID)),
		AlarmDescription:   aws.String(fmt.Sprintf("CPU of %s above %g%% for %d periods of %d s (commander)", a.InstanceID, a.Threshold, a.Periods, a.PeriodSeconds)),
		Namespace:          aws.String("AWS/EC2"),
		MetricName:         aws.String("CPUUtilization"),
		Dimensions:         []types.Dimension{{Name: aws.String("InstanceId"), Value: aws.String(a.InstanceID)}},
		Statistic:          types.StatisticAverage,
		Period:             aws.Int32(a.PeriodSeconds),
		EvaluationPeriods:  aws.Int32(a.Periods),
		Threshold:          aws.Float64(a.Threshold),
		ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		TreatMissingData:   aws.String("missing"),
		Tags:               tl,
	}
}

// Put creates or replaces the alarm.
func (a CPUAlarm) Put(ctx context.Context, cw AlarmAPI) error {
	if _, err := cw.PutMetricAlarm(ctx, a.Input()); err != nil {
		return fmt.Errorf("create CPU alarm for %s: %w", a.InstanceID, err)
	}
	return nil
}

// AlarmParams are the alarm parameters shared with ec2.launch.
func AlarmParams(s settings.Settings) []api.Param {
	return []api.Param{
		{Name: "threshold", Type: api.Number, Min: 0, Max: 100, Default: s.CPUAlarmThreshold, Doc: "CPU percent"},
		{Name: "evaluationPeriods", Type: api.Int, Min: 1, Max: 100, Default: int64(s.CPUAlarmPeriods)},
		{Name: "periodSeconds", Type: api.Int, Min: 10, Max: 86400, Default: int64(s.CPUAlarmPeriodSeconds), Doc: "10, 30 or a multiple of 60"},
		{Name: "onAlarm", Type: api.String, Pattern: OnAlarmRE, Accepts: "a reaction name such as stop, reboot, snapshot or notify", Doc: "sets the commander:on-alarm tag"},
	}
}

// AlarmFrom reads the alarm parameters of a call.
func AlarmFrom(c *api.Call, instanceID string) (CPUAlarm, error) {
	p := c.Params
	ps := int32(p.Int("periodSeconds"))
	if ps != 10 && ps != 30 && ps%60 != 0 {
		return CPUAlarm{}, api.Invalid("periodSeconds", "10, 30 or a multiple of 60 up to 86400")
	}
	return CPUAlarm{InstanceID: instanceID, Threshold: p.Float("threshold"), Periods: int32(p.Int("evaluationPeriods")),
		PeriodSeconds: ps, OnAlarm: p.Str("onAlarm"), Tags: c.Tags(nil)}, nil
}

// Commands are the CloudWatch commands.
func Commands(d Deps) []api.Command {
	return []api.Command{
		{Action: "cloudwatch.createCpuAlarm", Method: http.MethodPost, Path: "/cloudwatch/alarms", Mutates: true,
			Summary: "Create (or replace) the CPU alarm of an instance; a protected alarm is not replaced.",
			Params:  append([]api.Param{{Name: "instanceId", Type: api.String, Required: true, Pattern: instanceIDRE, Accepts: "an instance id such as i-0123456789abcdef0"}}, AlarmParams(d.Settings)...),
			Run:     d.createCPUAlarm},
		{Action: "cloudwatch.listAlarms", Method: http.MethodGet, Path: "/cloudwatch/alarms",
			Summary: "List metric alarms, by state and name prefix, paginated.",
			Params: []api.Param{
				{Name: "state", Type: api.String, Enum: []string{"OK", "ALARM", "INSUFFICIENT_DATA"}},
				{Name: "prefix", Type: api.String, Pattern: alarmNameRE, Accepts: "an alarm name prefix"},
				{Name: "maxResults", Type: api.Int, Min: 1, Max: 100, Default: int64(50)},
				{Name: "nextToken", Type: api.String, Max: 2048},
			},
			Run: d.listAlarms},
		{Action: "cloudwatch.deleteAlarms", Method: http.MethodDelete, Path: "/cloudwatch/alarms", Mutates: true,
			Summary: "Delete alarms by name (up to 100); alarms already gone count as deleted. Refused, deleting none, when any is protected.",
			Params:  []api.Param{{Name: "names", Type: api.List, Required: true, Max: 100, Pattern: alarmNameRE, Accepts: "alarm names"}},
			Run:     d.deleteAlarms},
		{Action: "cloudwatch.metricStatistics", Method: http.MethodGet, Path: "/cloudwatch/metrics/statistics",
			Summary: "Recent statistics of a metric, e.g. an instance's CPU over the last hour.",
			Params: []api.Param{
				{Name: "namespace", Type: api.String, Default: "AWS/EC2", Pattern: namespaceRE, Accepts: "a metric namespace"},
				{Name: "metric", Type: api.String, Default: "CPUUtilization", Pattern: alarmNameRE, Accepts: "a metric name"},
				{Name: "dimensions", Type: api.List, Max: 30, Pattern: dimensionRE, Accepts: "Name=Value pairs, e.g. InstanceId=i-0123456789abcdef0"},
				{Name: "minutes", Type: api.Int, Min: 1, Max: 20160, Default: int64(60), Doc: "how far back"},
				{Name: "periodSeconds", Type: api.Int, Min: 60, Max: 86400, Default: int64(300)},
				{Name: "statistics", Type: api.List, Default: []string{"Average", "Maximum"}, Enum: []string{"Average", "Maximum", "Minimum", "Sum", "SampleCount"}},
			},
			Run: d.metricStatistics},
	}
}

func (d Deps) createCPUAlarm(ctx context.Context, c *api.Call) (any, error) {
	a, err := AlarmFrom(c, c.Params.Str("instanceId"))
	if err != nil {
		return nil, err
	}
	// Replacing rewrites the alarm: a protected one stays as it is.
	if p, err := FirstProtected(ctx, d.CW, []string{CPUAlarmName(a.InstanceID)}, d.Settings.ProtectTag); err != nil {
		return nil, err
	} else if p != "" {
		return nil, api.Protected("alarm "+p, d.Settings.ProtectTag)
	}
	if c.DryRun {
		var p api.Plan
		p.Add("CloudWatch.PutMetricAlarm", a.Input())
		return p, nil
	}
	if err := a.Put(ctx, d.CW); err != nil {
		return nil, err
	}
	return map[string]any{"alarmName": CPUAlarmName(a.InstanceID), "threshold": a.Threshold,
		"evaluationPeriods": a.Periods, "periodSeconds": a.PeriodSeconds}, nil
}

// Alarm is one alarm in a listing.
type Alarm struct {
	Name       string            `json:"name"`
	State      string            `json:"state"`
	Namespace  string            `json:"namespace,omitempty"`
	Metric     string            `json:"metric,omitempty"`
	Threshold  float64           `json:"threshold"`
	Periods    int32             `json:"evaluationPeriods"`
	Period     int32             `json:"periodSeconds"`
	Dimensions map[string]string `json:"dimensions,omitempty"`
	Actions    []string          `json:"alarmActions,omitempty"`
}

func (d Deps) listAlarms(ctx context.Context, c *api.Call) (any, error) {
	p := c.Params
	in := &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(int32(p.Int("maxResults"))), AlarmTypes: []types.AlarmType{types.AlarmTypeMetricAlarm}}
	if s := p.Str("state"); s != "" {
		in.StateValue = types.StateValue(s)
	}
	if s := p.Str("prefix"); s != "" {
		in.AlarmNamePrefix = aws.String(s)
	}
	if s := p.Str("nextToken"); s != "" {
		in.NextToken = aws.String(s)
	}
	out, err := d.CW.DescribeAlarms(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("list alarms: %w", err)
	}
	list := []Alarm{}
	for _, a := range out.MetricAlarms {
		al := Alarm{Name: aws.ToString(a.AlarmName), State: string(a.StateValue), Namespace: aws.ToString(a.Namespace),
			Metric: aws.ToString(a.MetricName), Threshold: aws.ToFloat64(a.Threshold), Periods: aws.ToInt32(a.EvaluationPeriods),
			Period: aws.ToInt32(a.Period), Actions: a.AlarmActions, Dimensions: map[string]string{}}
		for _, dm := range a.Dimensions {
			al.Dimensions[aws.ToString(dm.Name)] = aws.ToString(dm.Value)
		}
		list = append(list, al)
	}
	return map[string]any{"alarms": list, "nextToken": aws.ToString(out.NextToken)}, nil
}

func (d Deps) deleteAlarms(ctx context.Context, c *api.Call) (any, error) {
	names := c.Params.List("names")
	if len(names) == 0 {
		return nil, api.Invalid("names", "at least one alarm name")
	}
	in := &cloudwatch.DeleteAlarmsInput{AlarmNames: names}
	// One protected alarm refuses the whole request: nothing is deleted.
	if p, err := FirstProtected(ctx, d.CW, names, d.Settings.ProtectTag); err != nil {
		return nil, err
	} else if p != "" {
		return nil, api.Protected("alarm "+p, d.Settings.ProtectTag)
	}
	if c.DryRun {
		var p api.Plan
		p.Add("CloudWatch.DeleteAlarms", in)
		return p, nil
	}
	// Alarms already gone count as deleted.
	if _, err := d.CW.DeleteAlarms(ctx, in); awserr.IgnoreNotFound(err) != nil {
		return nil, fmt.Errorf("delete alarms: %w", err)
	}
	return map[string]any{"deleted": names}, nil
}

// Datapoint is one statistics period.
type Datapoint struct {
	Time   time.Time          `json:"time"`
	Values map[string]float64 `json:"values"`
	Unit   string             `json:"unit,omitempty"`
}

func (d Deps) metricStatistics(ctx context.Context, c *api.Call) (any, error) {
	p := c.Params
	in := &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String(p.Str("namespace")), MetricName: aws.String(p.Str("metric")),
		StartTime: aws.Time(c.Now.Add(-time.Duration(p.Int("minutes")) * time.Minute)), EndTime: aws.Time(c.Now),
		Period: aws.Int32(int32(p.Int("periodSeconds"))),
	}
	if p.Int("periodSeconds")%60 != 0 {
		return nil, api.Invalid("periodSeconds", "a multiple of 60 from 60 to 86400")
	}
	for _, s := range p.List("statistics") {
		in.Statistics = append(in.Statistics, types.Statistic(s))
	}
	for _, kv := range p.List("dimensions") {
		k, v, _ := strings.Cut(kv, "=")
		in.Dimensions = append(in.Dimensions, types.Dimension{Name: aws.String(k), Value: aws.String(v)})
	}
	out, err := d.CW.GetMetricStatistics(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("metric statistics: %w", err)
	}
	pts := []Datapoint{}
	for _, dp := range out.Datapoints {
		x := Datapoint{Time: aws.ToTime(dp.Timestamp), Unit: string(dp.Unit), Values: map[string]float64{}}
		for name, v := range map[string]*float64{"Average": dp.Average, "Maximum": dp.Maximum, "Minimum": dp.Minimum, "Sum": dp.Sum, "SampleCount": dp.SampleCount} {
			if v != nil {
				x.Values[name] = *v
			}
		}
		pts = append(pts, x)
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].Time.Before(pts[j].Time) })
	return map[string]any{"namespace": p.Str("namespace"), "metric": p.Str("metric"), "datapoints": pts}, nil
}
