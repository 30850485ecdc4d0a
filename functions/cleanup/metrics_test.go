package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/pricing"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Idle from CloudWatch, through the real bootstrap under the RIE: 14 days
// of CPU written with PutMetricData make one instance idle and one busy; a
// dry run selects the idle one only, with what stopping it would save, in
// one GetMetricData call.
func TestBootstrapFindsIdleInstances(t *testing.T) {
	ctx := context.Background()
	cfg := emulatortest.Config(t)
	compute := ec2client.New(cfg)
	run := func() string {
		out, err := compute.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12345678"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: types.InstanceTypeT3Micro})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Instances[0].InstanceId)
	}
	idle, busy := run(), run()
	cw := cloudwatchclient.New(cfg)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for id, cpu := range map[string]float64{idle: 1, busy: 80} {
		var data []cwtypes.MetricDatum
		for d := 1; d <= 14; d++ {
			data = append(data, cwtypes.MetricDatum{MetricName: aws.String("CPUUtilization"), Value: aws.Float64(cpu),
				Timestamp:  aws.Time(today.Add(-time.Duration(d)*24*time.Hour + 3*time.Hour)),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("InstanceId"), Value: aws.String(id)}}})
		}
		// moto 5.2.1 decompresses a gzipped body twice: send it as it is (only the test writes metrics).
		if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/EC2"), MetricData: data},
			func(o *cloudwatch.Options) { o.DisableRequestCompression = true }); err != nil {
			t.Fatal(err)
		}
	}
	fn := emulatortest.Function(t, "cleanup", map[string]string{"COMMANDER_CLEANUP_POLICY": `
policies:
  - name: idle-instances
    resource: ec2:instance
    action: stop
    filters:
      - state: [running]
      - metric: {name: CPUUtilization, stat: Maximum, below: 5, for: 14d}
`})
	r := invoke(t, fn, []byte(`{"dryRun": true}`))
	saving, _ := pricing.Default().Instance("us-east-1", "t3.micro")
	var found bool
	for _, d := range r.Resources {
		switch d.Resource {
		case idle:
			found = true
			if d.Action != "mark" || d.Outcome != report.Planned || !strings.Contains(d.Reason, "metric CPUUtilization Maximum below 5") {
				t.Errorf("idle instance: %+v", d)
			}
			if d.Saving == nil || *d.Saving != saving.MonthlyUSD {
				t.Errorf("idle instance's saving %v, want %.2f", d.Saving, saving.MonthlyUSD)
			}
		case busy:
			t.Errorf("busy instance selected: %+v", d)
		}
	}
	if !found || r.APICalls["CloudWatch.GetMetricData"] != 1 {
		t.Errorf("idle found %v, GetMetricData calls %d (report %v)", found, r.APICalls["CloudWatch.GetMetricData"], r.Counts)
	}
}
