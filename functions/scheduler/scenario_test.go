package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/pricing"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/emulator"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The office-hours scenarios, end to end: the real bootstrap under the
// Lambda RIE against moto, with the account checked after each run.

const scheduleARN = "arn:aws:scheduler:us-east-1:123456789012:schedule/default/commander-dev-scheduler-office-hours"

// Stop, Start and Record are the report's actions (shared/scheduler).
const (
	Stop   = "stop"
	Start  = "start"
	Record = "record"
)

type env struct {
	t   *testing.T
	ec2 *ec2.Client
	fn  *emulator.Function
}

// newEnv is the scheduler's bootstrap against moto, with the default
// schedules, simulated time allowed and vars on top.
func newEnv(t *testing.T, vars map[string]string) *env {
	t.Helper()
	cfg := emulatortest.Config(t)
	all := map[string]string{"COMMANDER_ALLOW_SIMULATED_TIME": "true"}
	for k, v := range vars {
		all[k] = v
	}
	return &env{t: t, ec2: ec2client.New(cfg), fn: emulatortest.Function(t, "scheduler", all)}
}

// instance runs a t3.micro with tags (key, value, ...), stop protection when asked.
func (e *env) instance(stopProtected bool, kv ...string) string {
	e.t.Helper()
	var tg []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		tg = append(tg, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	in := &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: types.InstanceTypeT3Micro,
		DisableApiStop: aws.Bool(stopProtected)}
	if len(tg) > 0 {
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: tg}}
	}
	out, err := e.ec2.RunInstances(context.Background(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(out.Instances[0].InstanceId)
}

// state is an instance's state name and its commander:schedule-state tag.
func (e *env) state(id string) (string, string) {
	e.t.Helper()
	out, err := e.ec2.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		e.t.Fatal(err)
	}
	in := out.Reservations[0].Instances[0]
	return string(in.State.Name), tags.EC2(in.Tags)[tags.ScheduleState]
}

// run delivers the Scheduled Event of at (simulating now = at), with id
// standing for a delivery (a retry has another id, the same time).
func (e *env) run(at, id string, dryRun bool) *report.Report {
	e.t.Helper()
	detail := fmt.Sprintf(`{"now":%q}`, at)
	if dryRun {
		detail = fmt.Sprintf(`{"now":%q,"dryRun":true}`, at)
	}
	raw := fmt.Appendf(nil, `{"version":"0","id":%q,"detail-type":"Scheduled Event","source":"aws.scheduler","account":"123456789012","time":%q,"region":"us-east-1","resources":[%q],"detail":%s}`,
		id, at, scheduleARN, detail)
	out, err := e.fn.Invoke(context.Background(), raw)
	if err != nil {
		e.t.Fatal(err)
	}
	var a answer
	if err := json.Unmarshal(out, &a); err != nil || a.ErrorMessage != "" || a.Function != "scheduler" {
		e.t.Fatalf("run at %s: %v %s", at, err, out)
	}
	return &a.Report
}

func decisionOf(r *report.Report, id string) (report.Decision, bool) {
	for _, d := range r.Resources {
		if d.Resource == id {
			return d, true
		}
	}
	return report.Decision{}, false
}

type want struct{ state, remembered string }

func (e *env) check(when string, w map[string]want) {
	e.t.Helper()
	for id, x := range w {
		st, mem := e.state(id)
		if st != x.state || mem != x.remembered {
			e.t.Errorf("%s: %s is %s remembering %q, want %s remembering %q", when, id, st, mem, x.state, x.remembered)
		}
	}
}

// Office hours over a weekend, end to end on moto: the Friday stop, what
// it leaves alone and why, a redelivery, a person's Saturday start that is
// not fought, an override that expires, and Monday's start.
func TestOfficeHoursAcrossAWeekend(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	plain := e.instance(false, tags.Schedule, "office-hours")
	protected := e.instance(false, tags.Schedule, "office-hours", tags.Protect, "true")
	stopProtected := e.instance(true, tags.Schedule, "office-hours")
	held := e.instance(false, tags.Schedule, "office-hours", tags.ScheduleOverride, "stopped until 2026-12-07T06:30:00Z")
	untagged := e.instance(false)

	// Friday 19:05 in Paris.
	fri := e.run("2026-12-04T18:05:00Z", "delivery-1", false)
	if fri.Status != report.StatusOK {
		t.Fatalf("friday: %s %s %v", fri.Status, fri.Reason, fri.Errors)
	}
	fridayStop := "stopped@2026-12-04T18:00:00Z"
	e.check("friday", map[string]want{
		plain: {"stopped", fridayStop}, protected: {"running", ""}, stopProtected: {"running", fridayStop},
		held: {"stopped", "stopped@2026-12-04T18:05:00Z"}, untagged: {"running", ""},
	})
	for id, outcome := range map[string]string{plain: report.Done, protected: report.Skipped, stopProtected: report.Skipped, held: report.Done} {
		if d, ok := decisionOf(fri, id); !ok || d.Outcome != outcome || d.Action != Stop {
			t.Errorf("friday: decision for %s = %+v, want a stop %s", id, d, outcome)
		}
	}
	if _, ok := decisionOf(fri, untagged); ok {
		t.Error("an instance without the tag must not even be reported")
	}
	// The saving of the office-hours stop, against the table: 113 of 168
	// hours a week stopped; the override's stop claims none.
	price, _ := pricing.Default().InstanceHours("us-east-1", "t3.micro", 113*730.0/168)
	if d, _ := decisionOf(fri, plain); d.Saving == nil || *d.Saving != price.MonthlyUSD {
		t.Errorf("friday: saving of %s = %v, want %.2f (%s)", plain, d.Saving, price.MonthlyUSD, d.Reason)
	}
	if d, _ := decisionOf(fri, held); d.Saving != nil {
		t.Errorf("an override's stop claims no saving: %v", *d.Saving)
	}
	if fri.SavingsUSD != price.MonthlyUSD {
		t.Errorf("friday: report total %.2f, want %.2f", fri.SavingsUSD, price.MonthlyUSD)
	}

	// The same schedule time delivered again: nothing new.
	again := e.run("2026-12-04T18:05:00Z", "delivery-2", false)
	if n := again.Count(Stop, report.Done) + again.Count(Start, report.Done) + again.Count(Record, report.Done); n != 0 {
		t.Errorf("redelivery acted %d times: %v", n, again.Counts)
	}

	// Saturday: a person starts the plain instance; the scheduler lets it run.
	if _, err := e.ec2.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{plain}}); err != nil {
		t.Fatal(err)
	}
	sat := e.run("2026-12-05T10:00:00Z", "delivery-3", false)
	if sat.Count(Stop, report.Done) != 0 {
		t.Errorf("saturday: the scheduler fought a manual start: %v", sat.Counts)
	}
	e.check("saturday", map[string]want{plain: {"running", fridayStop}, held: {"stopped", "stopped@2026-12-04T18:05:00Z"}})

	// Monday 08:05 in Paris: the override has expired, the schedule starts.
	mon := e.run("2026-12-07T07:05:00Z", "delivery-4", false)
	mondayStart := "running@2026-12-07T07:00:00Z"
	e.check("monday", map[string]want{
		plain: {"running", mondayStart}, held: {"running", mondayStart}, stopProtected: {"running", mondayStart}, protected: {"running", mondayStart},
	})
	if d, _ := decisionOf(mon, held); d.Action != Start || d.Outcome != report.Done {
		t.Errorf("monday: %s = %+v, want a start", held, d)
	}
	if d, _ := decisionOf(mon, plain); d.Action != Record || d.Outcome != report.Done {
		t.Errorf("monday: %s, already running, = %+v, want only remembered", plain, d)
	}
}

// Paris moves to summer time on 28 March 2027: Monday's 08:00 is 06:00 UTC,
// an hour earlier than the week before.
func TestOfficeHoursAcrossDST(t *testing.T) {
	e := newEnv(t, nil)
	id := e.instance(false, tags.Schedule, "office-hours")
	e.run("2027-03-26T18:05:00Z", "d-1", false) // Friday 19:05 CET
	e.check("friday", map[string]want{id: {"stopped", "stopped@2027-03-26T18:00:00Z"}})
	e.run("2027-03-29T05:55:00Z", "d-2", false) // Monday 07:55 CEST
	e.check("before 08:00 summer time", map[string]want{id: {"stopped", "stopped@2027-03-26T18:00:00Z"}})
	e.run("2027-03-29T06:05:00Z", "d-3", false) // Monday 08:05 CEST
	e.check("after 08:00 summer time", map[string]want{id: {"running", "running@2027-03-29T06:00:00Z"}})
}

// A dry run plans the stop, with its saving, and changes nothing: no stop,
// no tag.
func TestOfficeHoursDryRun(t *testing.T) {
	e := newEnv(t, nil)
	id := e.instance(false, tags.Schedule, "office-hours")
	r := e.run("2026-12-04T18:05:00Z", "d-1", true)
	if d, _ := decisionOf(r, id); !r.DryRun || d.Action != Stop || d.Outcome != report.Planned || d.Saving == nil {
		t.Errorf("dry run: %+v (dryRun %v)", d, r.DryRun)
	}
	e.check("dry run", map[string]want{id: {"running", ""}})
	if r.SavingsUSD <= 0 {
		t.Errorf("a dry run reports what would be saved: %v", r.SavingsUSD)
	}
}

// More stops than the breaker allows: none goes, each says why.
func TestOfficeHoursBreaker(t *testing.T) {
	e := newEnv(t, map[string]string{"COMMANDER_BREAKER_MAX_COUNT": "1"})
	a := e.instance(false, tags.Schedule, "office-hours")
	b := e.instance(false, tags.Schedule, "office-hours")
	r := e.run("2026-12-04T18:05:00Z", "d-1", false)
	if r.Status != report.StatusPartial || r.Count(Stop, report.Skipped) != 2 {
		t.Errorf("breaker: status %s counts %v", r.Status, r.Counts)
	}
	e.check("breaker", map[string]want{a: {"running", ""}, b: {"running", ""}})
}

// Starts and stops go in batches: 150 instances, two StopInstances calls.
func TestOfficeHoursBatches(t *testing.T) {
	e := newEnv(t, map[string]string{"COMMANDER_BREAKER_MAX_COUNT": "1000"})
	out, err := e.ec2.RunInstances(context.Background(), &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(150), MaxCount: aws.Int32(150),
		InstanceType: types.InstanceTypeT3Micro, TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance,
			Tags: []types.Tag{{Key: aws.String(tags.Schedule), Value: aws.String("office-hours")}}}}})
	if err != nil || len(out.Instances) != 150 {
		t.Fatal(err)
	}
	r := e.run("2026-12-04T18:05:00Z", "d-1", false)
	if r.Count(Stop, report.Done) != 150 {
		t.Fatalf("stopped %d of 150: %v", r.Count(Stop, report.Done), r.Counts)
	}
	calls := r.APICalls
	want := map[string]int64{"EC2.DescribeInstances": 1, "EC2.StopInstances": 2, "EC2.CreateTags": 1}
	for k, n := range want {
		if calls[k] != n {
			t.Errorf("%s called %d times, want %d (all %v)", k, calls[k], n, calls)
		}
	}
}
