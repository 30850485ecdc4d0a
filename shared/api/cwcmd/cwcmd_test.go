package cwcmd

import (
	"testing"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestAlarmFrom(t *testing.T) {
	cases := []struct {
		name   string
		period int64
		ok     bool
	}{
		{"10 s", 10, true}, {"30 s", 30, true}, {"5 minutes", 300, true}, {"90 s", 90, false}, {"20 s", 20, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &api.Call{Params: api.Params{"threshold": 80.5, "evaluationPeriods": int64(3), "periodSeconds": tc.period, "onAlarm": "stop"}, Caller: "me"}
			a, err := AlarmFrom(c, "i-0123456789abcdef0")
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v", err)
			}
			if !tc.ok {
				return
			}
			in := a.Input()
			if aws.ToString(in.AlarmName) != "commander-cpu-i-0123456789abcdef0" || aws.ToFloat64(in.Threshold) != 80.5 ||
				aws.ToInt32(in.EvaluationPeriods) != 3 || aws.ToInt32(in.Period) != int32(tc.period) || aws.ToString(in.Dimensions[0].Value) != "i-0123456789abcdef0" {
				t.Errorf("input = %+v", in)
			}
			found := false
			for _, tg := range in.Tags {
				found = found || (aws.ToString(tg.Key) == tags.OnAlarm && aws.ToString(tg.Value) == "stop")
			}
			if !found {
				t.Errorf("no %s tag: %+v", tags.OnAlarm, in.Tags)
			}
		})
	}
}
