package cwcmd

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// alarms is CloudWatch holding alarms by name with their tags; composite
// ones are named comp-*. Writes are recorded.
type alarms struct {
	API
	tags   map[string][]types.Tag
	writes *[]string
}

func (a alarms) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	out := &cloudwatch.DescribeAlarmsOutput{}
	for _, n := range in.AlarmNames {
		if _, ok := a.tags[n]; !ok {
			continue
		}
		arn := aws.String("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:" + n)
		if strings.HasPrefix(n, "comp-") {
			out.CompositeAlarms = append(out.CompositeAlarms, types.CompositeAlarm{AlarmName: aws.String(n), AlarmArn: arn})
		} else {
			out.MetricAlarms = append(out.MetricAlarms, types.MetricAlarm{AlarmName: aws.String(n), AlarmArn: arn})
		}
	}
	return out, nil
}

func (a alarms) ListTagsForResource(_ context.Context, in *cloudwatch.ListTagsForResourceInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.ListTagsForResourceOutput, error) {
	_, name, _ := strings.Cut(aws.ToString(in.ResourceARN), ":alarm:")
	return &cloudwatch.ListTagsForResourceOutput{Tags: a.tags[name]}, nil
}

func (a alarms) DeleteAlarms(context.Context, *cloudwatch.DeleteAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DeleteAlarmsOutput, error) {
	*a.writes = append(*a.writes, "DeleteAlarms")
	return &cloudwatch.DeleteAlarmsOutput{}, nil
}

func (a alarms) PutMetricAlarm(context.Context, *cloudwatch.PutMetricAlarmInput, ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error) {
	*a.writes = append(*a.writes, "PutMetricAlarm")
	return &cloudwatch.PutMetricAlarmOutput{}, nil
}

func tag(k, v string) []types.Tag { return []types.Tag{{Key: aws.String(k), Value: aws.String(v)}} }

// Deleting alarms, and replacing an instance's CPU alarm, refuse a protected
// alarm (each alarm's own tags, the key in any case) before any write; one
// protected alarm keeps the whole request from deleting anything.
func TestAlarmsProtected(t *testing.T) {
	state := map[string][]types.Tag{
		"plain":                             tag("team", "ops"),
		"guarded":                           tag("Commander:Protect", "true"),
		"comp-guarded":                      tag(tags.Protect, ""),
		"unlocked":                          tag(tags.Protect, "false"),
		"commander-cpu-i-0123456789abcdef0": tag(" commander:protect ", "yes"),
	}
	cpu := func(id string) api.Params {
		return api.Params{"instanceId": id, "threshold": float64(70), "evaluationPeriods": int64(2), "periodSeconds": int64(300)}
	}
	cases := []struct {
		name      string
		action    string
		params    api.Params
		protected string // the alarm named in the refusal; "": allowed
	}{
		{"delete a protected alarm (other case)", "cloudwatch.deleteAlarms", api.Params{"names": []string{"guarded"}}, "guarded"},
		{"delete a protected composite alarm among others", "cloudwatch.deleteAlarms", api.Params{"names": []string{"plain", "gone", "comp-guarded"}}, "comp-guarded"},
		{"delete unprotected and missing alarms", "cloudwatch.deleteAlarms", api.Params{"names": []string{"plain", "unlocked", "gone"}}, ""},
		{"replace a protected CPU alarm", "cloudwatch.createCpuAlarm", cpu("i-0123456789abcdef0"), "commander-cpu-i-0123456789abcdef0"},
		{"create a new CPU alarm", "cloudwatch.createCpuAlarm", cpu("i-0fedcba9876543210"), ""},
	}
	for _, tc := range cases {
		for _, dry := range []bool{false, true} {
			name := tc.name
			if dry {
				name += " (dry run)"
			}
			t.Run(name, func(t *testing.T) {
				var writes []string
				d := Deps{CW: alarms{tags: state, writes: &writes}, Settings: settings.Settings{ProtectTag: tags.Protect}}
				var cmd *api.Command
				for _, c := range Commands(d) {
					if c.Action == tc.action {
						cmd = &c
					}
				}
				_, err := cmd.Run(context.Background(), &api.Call{Action: tc.action, Params: tc.params, DryRun: dry, Caller: "test", Now: time.Now()})
				if tc.protected == "" {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					if !dry && len(writes) != 1 {
						t.Errorf("writes = %v, want one", writes)
					}
					return
				}
				var e *api.Error
				if !errors.As(err, &e) || e.Status != 409 || !strings.Contains(e.Message, "alarm "+tc.protected+" ") {
					t.Fatalf("err = %v, want a 409 naming %s", err, tc.protected)
				}
				if len(writes) > 0 {
					t.Errorf("wrote %v before refusing", writes)
				}
			})
		}
	}
}
