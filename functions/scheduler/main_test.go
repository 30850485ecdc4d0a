package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/schedule"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

type answer struct {
	report.Report
	ErrorMessage string `json:"errorMessage"`
}

// The real bootstrap, under the Lambda Runtime Interface Emulator, handles
// every scheduler sample against moto, in file order, with the instance
// checked after each: a dry run changes nothing; the scheduled event (real
// time) brings it to what office-hours wants now; Monday evening stops it.
func TestBootstrapHandlesSamples(t *testing.T) {
	ctx := context.Background()
	api := ec2client.New(emulatortest.Config(t))
	run, err := api.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		InstanceType: types.InstanceTypeT3Micro, TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance,
			Tags: []types.Tag{{Key: aws.String(tags.Schedule), Value: aws.String("office-hours")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(run.Instances[0].InstanceId)
	fn := emulatortest.Function(t, "scheduler", map[string]string{"COMMANDER_ALLOW_SIMULATED_TIME": "true"})
	doc, err := schedule.Parse([]byte(schedule.Default))
	if err != nil {
		t.Fatal(err)
	}
	office, _ := doc.Find("office-hours")

	// What the instance is after each sample: its state and what the tag remembers.
	want := map[string]func() (string, string, bool){
		"dry-run-direct.json": func() (string, string, bool) { return "running", "", true },
		"scheduled.json": func() (string, string, bool) {
			w, since := office.Wanted(time.Now())
			return string(w), schedule.Enforced{State: w, Since: since}.String(), false
		},
		"simulated-now.json": func() (string, string, bool) { return "stopped", "stopped@2026-12-07T18:00:00Z", false },
	}
	samples, err := events.Samples("scheduler")
	if err != nil || len(samples) == 0 {
		t.Fatalf("samples: %v (%d)", err, len(samples))
	}
	for _, s := range samples {
		t.Run(s.Name, func(t *testing.T) {
			w, ok := want[s.Name]
			if !ok {
				t.Fatalf("no expectation for sample %s: add one to this test", s.Name)
			}
			state, remembered, dryRun := w()
			out, err := fn.Invoke(ctx, s.Body)
			if err != nil {
				t.Fatal(err)
			}
			var a answer
			if err := json.Unmarshal(out, &a); err != nil || a.ErrorMessage != "" {
				t.Fatalf("answer: %v %s", err, out)
			}
			if a.Function != "scheduler" || a.Status != report.StatusOK || a.DryRun != dryRun {
				t.Errorf("report: function %q status %q (%s) dryRun %v", a.Function, a.Status, a.Reason, a.DryRun)
			}
			d, err := api.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
			if err != nil {
				t.Fatal(err)
			}
			in := d.Reservations[0].Instances[0]
			if got, mem := string(in.State.Name), tags.EC2(in.Tags)[tags.ScheduleState]; got != state || mem != remembered {
				t.Errorf("after %s: %s remembering %q, want %s remembering %q (report %v)", s.Name, got, mem, state, remembered, a.Counts)
			}
		})
	}
}

// A bad schedules document stops the start with a message naming the
// variable and the path in the document.
func TestBootstrapRefusesBadSchedules(t *testing.T) {
	emulatortest.Moto(t)
	fn := emulatortest.Function(t, "scheduler", map[string]string{"COMMANDER_SCHEDULES": `{"schedules":[{"name":"x","timezone":"Mars/Olympus","periods":[{"days":["mon"],"stop":"19:00"}]}]}`})
	out, _ := fn.Invoke(context.Background(), []byte(`{"dryRun":true}`))
	if strings.Contains(string(out), `"function":"scheduler"`) {
		t.Fatalf("the handler ran despite a bad document: %s", out)
	}
	if !fn.AwaitOutput("COMMANDER_SCHEDULES is invalid", 5*time.Second) || !fn.AwaitOutput("schedules[0].timezone", time.Second) {
		t.Errorf("the function's log must name the variable and the path; got %s", fn.Output())
	}
}
