package alarm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/alarm"
	"github.com/aws-commander/commander/shared/clock"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/alarmtest"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

const bus = "commander-audit"

// auditPattern catches every reaction the handler emits on the audit bus.
var auditPattern = `{"source":["commander"],"detail-type":["` + events.AlarmReaction + `"]}`

// sample returns an alarm sample with placeholder ids replaced by fixtures':
// instance ids (i-...) only where they are the InstanceId dimension, not in
// the alarm's name.
func sample(t *testing.T, name string, replace ...string) []byte {
	for i := range replace {
		if strings.HasPrefix(replace[i], "i-") {
			replace[i] = `"InstanceId": "` + replace[i] + `"`
		}
	}
	t.Helper()
	all, err := events.Samples("alarm")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Name == name {
			return []byte(strings.NewReplacer(replace...).Replace(string(s.Body)))
		}
	}
	t.Fatalf("no sample %s", name)
	return nil
}

// withID gives an event another id, as a new state change of the same alarm would have.
func withID(t *testing.T, raw []byte, id string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["id"] = id
	b, _ := json.Marshal(m)
	return b
}

type env struct {
	f       *alarmtest.Fixture
	queue   string
	h       *alarm.Handler
	metrics *bytes.Buffer
}

func setup(t *testing.T, vars map[string]string) *env {
	t.Helper()
	return setupWith(t, vars, emulatortest.Config(t))
}

// setupWith is setup against the moto cfg reaches.
func setupWith(t *testing.T, vars map[string]string, cfg aws.Config) *env {
	t.Helper()
	f := alarmtest.New(t, cfg)
	get := func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		if k == "COMMANDER_EVENT_BUS" {
			return bus
		}
		return os.Getenv(k) // AWS_REGION, which emulatortest set
	}
	s, err := settings.Load(get)
	if err != nil {
		t.Fatal(err)
	}
	c, err := alarm.LoadConfig(get)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{f: f, queue: f.Bus(bus, auditPattern), metrics: &bytes.Buffer{}}
	e.h = &alarm.Handler{Settings: s, Config: c, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Clients: alarm.RegionClients(cfg), Home: "us-east-1", Clock: clock.Real{}, Metrics: e.metrics}
	return e
}

// handle runs an event that CloudWatch sent: the alarm it names is first put
// in the state it reports, as CloudWatch is when it sends one.
func (e *env) handle(t *testing.T, raw []byte) *report.Report {
	t.Helper()
	e.f.Agree(raw)
	return e.handleAsIs(t, raw)
}

// handleAsIs runs an event as it comes, CloudWatch left as it is: a forged
// or stale event.
func (e *env) handleAsIs(t *testing.T, raw []byte) *report.Report {
	t.Helper()
	r, err := e.h.Handle(context.Background(), raw)
	if err != nil {
		t.Fatalf("Handle: %v (report %+v)", err, r)
	}
	return r
}

// refused runs an event the job must refuse: an error naming why (Lambda
// retries it, then sends it to the dead-letter queue), a failed report, and
// no AWS call made.
func (e *env) refused(t *testing.T, raw []byte, why string) *report.Report {
	t.Helper()
	r, err := e.h.Handle(context.Background(), raw)
	if err == nil || !strings.Contains(err.Error(), why) {
		t.Fatalf("Handle: error %v, want one naming %q", err, why)
	}
	wantStatus(t, r, report.StatusFailed, why)
	if r.APICallsTotal != 0 {
		t.Errorf("a refused event made %d AWS calls: %v", r.APICallsTotal, r.APICalls)
	}
	return r
}

func wantStatus(t *testing.T, r *report.Report, status, reason string) {
	t.Helper()
	if r.Status != status || !strings.Contains(r.Reason, reason) {
		t.Fatalf("report status %q reason %q, want %q with %q (decisions %+v)", r.Status, r.Reason, status, reason, r.Resources)
	}
}

func wantDecision(t *testing.T, r *report.Report, action, outcome string) report.Decision {
	t.Helper()
	for _, d := range r.Resources {
		if d.Action == action && d.Outcome == outcome {
			return d
		}
	}
	t.Fatalf("no %s %s decision in %+v (status %s: %s)", action, outcome, r.Resources, r.Status, r.Reason)
	return report.Decision{}
}

func wantReactions(t *testing.T, e *env, want ...string) []alarmtest.Reaction {
	t.Helper()
	got := e.f.Reactions(e.queue)
	var have []string
	for _, r := range got {
		have = append(have, r.Detail.Action+"/"+r.Detail.Outcome)
	}
	if strings.Join(have, ",") != strings.Join(want, ",") {
		t.Fatalf("audit reactions = %v, want %v", have, want)
	}
	return got
}

const single = "alarm-single-metric.json"
const placeholder = "i-0123456789abcdef0"
const singleAlarm = "commander-cpu-i-0123456789abcdef0"

func TestReactions(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		run  func(t *testing.T, e *env)
	}{
		{name: "stop by tag, remembered on the instance, audited", run: func(t *testing.T, e *env) {
			id := e.f.Instance(nil)
			e.f.MetricAlarm(singleAlarm, map[string]string{tags.OnAlarm: "stop"}, map[string]string{"InstanceId": id})
			r := e.handle(t, sample(t, single, placeholder, id))
			wantStatus(t, r, report.StatusOK, "")
			wantDecision(t, r, "stop", report.Done)
			if s := e.f.InstanceState(id); s != "stopped" && s != "stopping" {
				t.Errorf("instance is %s, want stopped", s)
			}
			v, ok := alarm.ParseReacted(e.f.InstanceTags(id)[alarm.ReactedTag])
			if !ok || v.EventID != "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92" || v.Alarm != singleAlarm {
				t.Errorf("reacted tag = %+v", e.f.InstanceTags(id))
			}
			rs := wantReactions(t, e, "stop/done")
			if d := rs[0].Detail; d.Alarm != singleAlarm || d.Target == nil || d.Target.ID != id || d.Target.Type != "ec2:instance" || rs[0].DetailType != events.AlarmReaction {
				t.Errorf("audit event = %+v", rs[0])
			}
			if !strings.Contains(e.metrics.String(), `"Done":1`) {
				t.Errorf("EMF = %s", e.metrics)
			}
		}},
		{name: "duplicate delivery and cooldown do nothing new", run: func(t *testing.T, e *env) {
			id := e.f.Instance(nil)
			vols := e.f.InstanceVolumes(id)
			e.f.MetricAlarm(singleAlarm, map[string]string{tags.OnAlarm: "snapshot"}, map[string]string{"InstanceId": id})
			raw := sample(t, single, placeholder, id)
			wantDecision(t, e.handle(t, raw), "snapshot", report.Done)
			if n := len(e.f.Snapshots(vols...)); n != len(vols) || n == 0 {
				t.Fatalf("%d snapshots of %d volumes", n, len(vols))
			}
			wantStatus(t, e.handle(t, raw), report.StatusSkipped, "duplicate: event c4c1c1c9-6542-e61b-6ef0-8c4d36933a92")
			wantStatus(t, e.handle(t, withID(t, raw, "another-state-change")), report.StatusSkipped, "cooldown")
			if n := len(e.f.Snapshots(vols...)); n != len(vols) {
				t.Errorf("%d snapshots after a duplicate and a cooled-down event, want %d", n, len(vols))
			}
			wantReactions(t, e, "snapshot/done")
		}},
		{name: "no cooldown: a new state change acts again", vars: map[string]string{"COMMANDER_ALARM_COOLDOWN": "0s"}, run: func(t *testing.T, e *env) {
			id := e.f.Instance(nil)
			vols := e.f.InstanceVolumes(id)
			e.f.MetricAlarm(singleAlarm, map[string]string{tags.OnAlarm: "snapshot"}, map[string]string{"InstanceId": id})
			raw := sample(t, single, placeholder, id)
			e.handle(t, raw)
			wantDecision(t, e.handle(t, withID(t, raw, "another-state-change")), "snapshot", report.Done)
			if n := len(e.f.Snapshots(vols...)); n != 2*len(vols) {
				t.Errorf("%d snapshots, want %d", n, 2*len(vols))
			}
		}},
		{name: "snapshots carry the alarm and the event", run: func(t *testing.T, e *env) {
			vol := e.f.Volume(nil)
			e.f.MetricAlarm(singleAlarm, map[string]string{tags.OnAlarm: "snapshot"}, map[string]string{"VolumeId": vol})
			e.handle(t, sample(t, single, `{"InstanceId": "`+placeholder+`"}`, `{"VolumeId": "`+vol+`"}`))
			snaps := e.f.Snapshots(vol)
			if len(snaps) != 1 {
				t.Fatalf("%d snapshots of %s, want 1", len(snaps), vol)
			}
			got := map[string]string{}
			for _, tg := range snaps[0].Tags {
				got[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
			}
			if got[alarm.AlarmTag] != singleAlarm || got[tags.RunKey] != "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92" || got[tags.ManagedBy] != tags.ManagedByValue {
				t.Errorf("snapshot tags = %v", got)
			}
			if _, ok := e.f.VolumeTags(vol)[alarm.ReactedTag]; !ok {
				t.Errorf("volume not tagged %s: %v", alarm.ReactedTag, e.f.VolumeTags(vol))
			}
		}},
		{name: "protected instance is untouched, even by terminate", run: func(t *testing.T, e *env) {
			id := e.f.Instance(map[string]string{"commander:protect": "true"})
			e.f.MetricAlarm(singleAlarm, map[string]string{tags.OnAlarm: "terminate"}, map[string]string{"InstanceId": id})
			r := e.handle(t, sample(t, single, placeholder, id))
			d := wantDecision(t, r, "notify", report.Done)
			if !strings.Contains(d.Reason, "protected by commander:protect=true: terminate turned into notify") {
				t.Errorf("reason = %q", d.Reason)
			}
			if s := e.f.InstanceState(id); s != "running" {
				t.Errorf("protected instance is %s", s)
			}
			wantReactions(t, e, "notify/done")
		}},
		{name: "custom protect tag", vars: map[string]string{"COMMANDER_PROTECT_TAG": "team:keep"}, run: func(t *testing.T, e *env) {
			id := e.f.Instance(map[string]string{"team:keep": "true"})
			e.f.MetricAlarm(singleAlarm, map[string]string{tags.OnAlarm: "stop"}, map[string]string{"InstanceId": id})
			wantDecision(t, e.handle(t, sample(t, single, placeholder, id)), "notify", report.Done)
			if s := e.f.InstanceState(id); s != "running" {
				t.Errorf("protected instance is %s", s)
			}
		}},
		{name: "dry-run plans and changes nothing", vars: map[string]string{"COMMANDER_DRY_RUN": "true"}, run: func(t *testing.T, e *env) {
			id := e.f.Instance(nil)
			e.f.MetricAlarm(singleAlarm, map[string]string{tags.OnAlarm: "stop"}, map[string]string{"InstanceId": id})
			r := e.handle(t, sample(t, single, placeholder, id))
			if d := wantDecision(t, r, "stop", report.Planned); !strings.Contains(d.Reason, "EC2 confirmed the call would succeed") {
				t.Errorf("reason = %q", d.Reason)
			}
			if !r.DryRun || e.f.InstanceState(id) != "running" {
				t.Errorf("dry-run %v, instance %s", r.DryRun, e.f.InstanceState(id))
			}
			if _, ok := e.f.InstanceTags(id)[alarm.ReactedTag]; ok {
				t.Error("dry-run tagged the instance")
			}
			if rs := wantReactions(t, e, "stop/planned"); !rs[0].Detail.DryRun {
				t.Error("audit event not marked dry-run")
			}
		}},
		{name: "dry-run snapshot and throttle change nothing", vars: map[string]string{"COMMANDER_DRY_RUN": "true"}, run: func(t *testing.T, e *env) {
			vol := e.f.Volume(nil)
			e.f.MetricAlarm(singleAlarm, map[string]string{tags.OnAlarm: "snapshot"}, map[string]string{"VolumeId": vol})
			wantDecision(t, e.handle(t, sample(t, single, `{"InstanceId": "`+placeholder+`"}`, `{"VolumeId": "`+vol+`"}`)), "snapshot", report.Planned)
			if n := len(e.f.Snapshots(vol)); n != 0 {
				t.Errorf("dry-run made %d snapshots", n)
			}
			e.f.Function("orders-worker", nil)
			e.f.MetricAlarm("commander-error-rate-orders-worker", map[string]string{tags.OnAlarm: "throttle"}, map[string]string{"FunctionName": "orders-worker"})
			wantDecision(t, e.handle(t, sample(t, "alarm-metric-math.json")), "throttle", report.Planned)
			if c := e.f.Concurrency("orders-worker"); c != nil {
				t.Errorf("dry-run reserved concurrency %d", *c)
			}
			wantReactions(t, e, "snapshot/planned", "throttle/planned")
		}},
		{name: "terminate by alarm-name prefix", vars: map[string]string{"COMMANDER_ALARM_ACTIONS": "commander-=notify,commander-cpu-=terminate"}, run: func(t *testing.T, e *env) {
			id := e.f.Instance(nil)
			e.f.MetricAlarm(singleAlarm, nil, map[string]string{"InstanceId": id})
			d := wantDecision(t, e.handle(t, sample(t, single, placeholder, id)), "terminate", report.Done)
			if !strings.Contains(d.Reason, `COMMANDER_ALARM_ACTIONS prefix "commander-cpu-"`) {
				t.Errorf("reason = %q", d.Reason)
			}
			if s := e.f.InstanceState(id); s != "terminated" && s != "shutting-down" {
				t.Errorf("instance is %s", s)
			}
		}},
		{name: "reboot", run: func(t *testing.T, e *env) {
			id := e.f.Instance(nil)
			e.f.MetricAlarm(singleAlarm, map[string]string{tags.OnAlarm: "reboot"}, map[string]string{"InstanceId": id})
			r := e.handle(t, sample(t, single, placeholder, id))
			wantDecision(t, r, "reboot", report.Done)
			if r.APICalls["EC2.RebootInstances"] != 1 || e.f.InstanceState(id) != "running" {
				t.Errorf("calls %v, instance %s", r.APICalls, e.f.InstanceState(id))
			}
		}},
		{name: "no configuration: notify", run: func(t *testing.T, e *env) {
			id := e.f.Instance(nil)
			e.f.MetricAlarm(singleAlarm, nil, map[string]string{"InstanceId": id})
			d := wantDecision(t, e.handle(t, sample(t, single, placeholder, id)), "notify", report.Done)
			if d.Reason != "from default" || e.f.InstanceState(id) != "running" {
				t.Errorf("reason %q, instance %s", d.Reason, e.f.InstanceState(id))
			}
			wantReactions(t, e, "notify/done")
		}},
		{name: "throttle a function found through metric math", run: func(t *testing.T, e *env) {
			arn := e.f.Function("orders-worker", nil)
			e.f.MetricAlarm("commander-error-rate-orders-worker", map[string]string{tags.OnAlarm: "throttle"}, map[string]string{"FunctionName": "orders-worker"})
			wantDecision(t, e.handle(t, sample(t, "alarm-metric-math.json")), "throttle", report.Done)
			if c := e.f.Concurrency("orders-worker"); c == nil || *c != 0 {
				t.Errorf("reserved concurrency = %v, want 0", c)
			}
			if _, ok := e.f.FunctionTags(arn)[alarm.ReactedTag]; !ok {
				t.Errorf("function not tagged: %v", e.f.FunctionTags(arn))
			}
		}},
		{name: "back to OK: start", run: func(t *testing.T, e *env) {
			id := e.f.StoppedInstance(nil)
			e.f.MetricAlarm("commander-queue-depth-i-0123456789abcdef1", map[string]string{tags.OnOK: "start", tags.OnAlarm: "stop"}, map[string]string{"InstanceId": id})
			wantDecision(t, e.handle(t, sample(t, "alarm-alarm-to-ok.json", "i-0123456789abcdef1", id)), "start", report.Done)
			if s := e.f.InstanceState(id); s != "running" && s != "pending" {
				t.Errorf("instance is %s, want running", s)
			}
		}},
		{name: "back to OK: unthrottle", vars: map[string]string{"COMMANDER_ALARM_OK_ACTIONS": "commander-error-rate-=unthrottle"}, run: func(t *testing.T, e *env) {
			e.f.Function("orders-worker", nil)
			e.f.SetConcurrency("orders-worker", 0)
			e.f.MetricAlarm("commander-error-rate-orders-worker", nil, map[string]string{"FunctionName": "orders-worker"})
			raw := bytes.ReplaceAll(sample(t, "alarm-metric-math.json"), []byte(`"value": "OK"`), []byte(`"value": "X"`))
			raw = bytes.ReplaceAll(raw, []byte(`"value": "ALARM"`), []byte(`"value": "OK"`))
			raw = bytes.ReplaceAll(raw, []byte(`"value": "X"`), []byte(`"value": "ALARM"`))
			wantDecision(t, e.handle(t, raw), "unthrottle", report.Done)
			if c := e.f.Concurrency("orders-worker"); c != nil {
				t.Errorf("reserved concurrency = %d, want none", *c)
			}
		}},
		{name: "back to OK without on-ok: nothing", run: func(t *testing.T, e *env) {
			id := e.f.StoppedInstance(nil)
			e.f.MetricAlarm("commander-queue-depth-i-0123456789abcdef1", map[string]string{tags.OnAlarm: "stop"}, map[string]string{"InstanceId": id})
			wantStatus(t, e.handle(t, sample(t, "alarm-alarm-to-ok.json", "i-0123456789abcdef1", id)), report.StatusSkipped, "no reaction configured")
			if s := e.f.InstanceState(id); s != "stopped" {
				t.Errorf("instance is %s", s)
			}
			wantReactions(t, e)
		}},
		{name: "INSUFFICIENT_DATA unconfigured: nothing", run: func(t *testing.T, e *env) {
			id := e.f.Instance(nil)
			e.f.MetricAlarm("commander-cpu-i-0aaaabbbbccccdddd", map[string]string{tags.OnAlarm: "stop"}, map[string]string{"InstanceId": id})
			wantStatus(t, e.handle(t, sample(t, "alarm-insufficient-data.json", "i-0aaaabbbbccccdddd", id)), report.StatusSkipped, "OK to INSUFFICIENT_DATA: no reaction configured")
			if s := e.f.InstanceState(id); s != "running" {
				t.Errorf("instance is %s", s)
			}
		}},
		{name: "INSUFFICIENT_DATA configured by tag", run: func(t *testing.T, e *env) {
			id := e.f.Instance(nil)
			e.f.MetricAlarm("commander-cpu-i-0aaaabbbbccccdddd", map[string]string{alarm.OnInsufficientTag: "stop"}, map[string]string{"InstanceId": id})
			wantDecision(t, e.handle(t, sample(t, "alarm-insufficient-data.json", "i-0aaaabbbbccccdddd", id)), "stop", report.Done)
			if s := e.f.InstanceState(id); s != "stopped" && s != "stopping" {
				t.Errorf("instance is %s", s)
			}
		}},
		{name: "composite: notify, remembered on the alarm, once", run: func(t *testing.T, e *env) {
			e.f.CompositeAlarm("commander-service-health", map[string]string{tags.OnAlarm: "stop"})
			real := e.h.Clients
			e.h.Clients = func(region string) alarm.Clients {
				c := real(region)
				c.CloudWatch = compositeCW{c.CloudWatch}
				return c
			}
			raw := sample(t, "alarm-composite.json")
			d := wantDecision(t, e.handle(t, raw), "notify", report.Done)
			if d.Type != "cloudwatch:alarm" || !strings.Contains(d.Reason, "composite alarm: notify only (stop from tag commander:on-alarm)") {
				t.Errorf("decision = %+v", d)
			}
			if _, ok := e.f.AlarmTags("commander-service-health")[alarm.ReactedTag]; !ok {
				t.Errorf("alarm not tagged: %v", e.f.AlarmTags("commander-service-health"))
			}
			wantStatus(t, e.handle(t, raw), report.StatusSkipped, "duplicate")
			if rs := wantReactions(t, e, "notify/done"); rs[0].Detail.Target != nil {
				t.Errorf("composite reaction has a target: %+v", rs[0].Detail.Target)
			}
		}},
		{name: "unknown alarm: skipped", run: func(t *testing.T, e *env) {
			wantStatus(t, e.handle(t, sample(t, single)), report.StatusSkipped, `unknown alarm "commander-cpu-i-0123456789abcdef0"`)
		}},
		{name: "target gone: skipped", run: func(t *testing.T, e *env) {
			id := e.f.Terminated()
			e.f.MetricAlarm(singleAlarm, map[string]string{tags.OnAlarm: "stop"}, map[string]string{"InstanceId": id})
			wantStatus(t, e.handle(t, sample(t, single, placeholder, id)), report.StatusSkipped, "target gone: instance "+id+" is terminated")
			// The alarm's definition, not the event, names the instance that does not exist.
			e.f.MetricAlarm(singleAlarm, map[string]string{tags.OnAlarm: "stop"}, map[string]string{"InstanceId": placeholder})
			wantStatus(t, e.handle(t, sample(t, single)), report.StatusSkipped, "target gone: instance i-0123456789abcdef0 does not exist")
			wantReactions(t, e)
		}},
		{name: "function or volume gone: skipped", run: func(t *testing.T, e *env) {
			e.f.MetricAlarm("commander-error-rate-orders-worker", map[string]string{tags.OnAlarm: "throttle"}, map[string]string{"FunctionName": "orders-worker"})
			wantStatus(t, e.handle(t, sample(t, "alarm-metric-math.json")), report.StatusSkipped, "target gone: function orders-worker does not exist")
			e.f.MetricAlarm(singleAlarm, map[string]string{tags.OnAlarm: "snapshot"}, map[string]string{"VolumeId": "vol-0123456789abcdef0"})
			wantStatus(t, e.handle(t, sample(t, single, `{"InstanceId": "`+placeholder+`"}`, `{"VolumeId": "vol-0123456789abcdef0"}`)),
				report.StatusSkipped, "target gone: volume vol-0123456789abcdef0 does not exist")
			wantReactions(t, e)
		}},
		{name: "malformed: failed, so that it reaches the dead-letter queue", run: func(t *testing.T, e *env) {
			r := e.refused(t, sample(t, "alarm-malformed.json"), "malformed event")
			if r.EventID != "" && r.EventID != "5e1f6a7b-0c2d-4e3f-8a9b-c0d1e2f3a4b5" {
				t.Errorf("event id = %q", r.EventID)
			}
		}},
		{name: "several targets go through the breaker", run: func(t *testing.T, e *env) {
			var dims []map[string]string
			var ids []string
			for range 6 {
				id := e.f.Instance(nil)
				ids = append(ids, id)
				dims = append(dims, map[string]string{"InstanceId": id})
			}
			e.f.MetricAlarm(singleAlarm, map[string]string{tags.OnAlarm: "stop"}, dims...)
			raw := sample(t, single)
			var ev map[string]any
			_ = json.Unmarshal(raw, &ev)
			var metrics []any
			for i, d := range dims {
				metrics = append(metrics, map[string]any{"id": "m" + string(rune('1'+i)), "returnData": false,
					"metricStat": map[string]any{"metric": map[string]any{"namespace": "AWS/EC2", "name": "CPUUtilization", "dimensions": d}}})
			}
			ev["detail"].(map[string]any)["configuration"] = map[string]any{"metrics": metrics}
			raw, _ = json.Marshal(ev)
			r := e.handle(t, raw)
			wantStatus(t, r, report.StatusPartial, "circuit breaker")
			if r.Count("notify", report.Done) != 6 {
				t.Errorf("counts = %v", r.Counts)
			}
			for _, id := range ids {
				if s := e.f.InstanceState(id); s != "running" {
					t.Errorf("%s is %s", id, s)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, setup(t, tt.vars))
		})
	}
}

// compositeCW answers DescribeAlarms with a composite alarm, which moto cannot hold.
type compositeCW struct{ alarm.CloudWatchAPI }

func (c compositeCW) DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	return alarmtest.AsComposite(c.CloudWatchAPI, ctx, in, opts...)
}

// throttled makes one EC2 or CloudWatch call fail as AWS does under load.
type throttledEC2 struct{ alarm.EC2API }

func (throttledEC2) StopInstances(context.Context, *ec2.StopInstancesInput, ...func(*ec2.Options)) (*ec2.StopInstancesOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "RequestLimitExceeded", Message: "Request limit exceeded."}
}

type throttledCW struct{ alarm.CloudWatchAPI }

func (throttledCW) DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
}

type deniedEC2 struct{ alarm.EC2API }

func (deniedEC2) StopInstances(context.Context, *ec2.StopInstancesInput, ...func(*ec2.Options)) (*ec2.StopInstancesOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "UnauthorizedOperation", Message: "not authorized"}
}

// Transient failures return an error, so the asynchronous retry runs the
// event again, and leave nothing remembered that would block that retry.
func TestFailures(t *testing.T) {
	tests := []struct {
		name      string
		wrap      func(alarm.Clients) alarm.Clients
		wantErr   bool
		wantState string
		check     func(t *testing.T, r *report.Report)
	}{
		{name: "describe alarms throttled", wrap: func(c alarm.Clients) alarm.Clients { c.CloudWatch = throttledCW{c.CloudWatch}; return c },
			wantErr: true, wantState: "running"},
		{name: "stop throttled", wrap: func(c alarm.Clients) alarm.Clients { c.EC2 = throttledEC2{c.EC2}; return c },
			wantErr: true, wantState: "running"},
		{name: "stop denied: failed, reported, not retried", wrap: func(c alarm.Clients) alarm.Clients { c.EC2 = deniedEC2{c.EC2}; return c },
			wantState: "running", check: func(t *testing.T, r *report.Report) {
				d := wantDecision(t, r, "stop", report.Failed)
				if !strings.Contains(d.Error, "access denied") || r.Status != report.StatusPartial {
					t.Errorf("decision %+v, status %s", d, r.Status)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, nil)
			id := e.f.Instance(nil)
			e.f.MetricAlarm(singleAlarm, map[string]string{tags.OnAlarm: "stop"}, map[string]string{"InstanceId": id})
			real := e.h.Clients
			e.h.Clients = func(region string) alarm.Clients { return tt.wrap(real(region)) }
			raw := sample(t, single, placeholder, id)
			e.f.Agree(raw)
			r, err := e.h.Handle(context.Background(), raw)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && r.Status != report.StatusFailed {
				t.Errorf("report status %s", r.Status)
			}
			if s := e.f.InstanceState(id); s != tt.wantState {
				t.Errorf("instance is %s, want %s", s, tt.wantState)
			}
			if _, ok := e.f.InstanceTags(id)[alarm.ReactedTag]; ok {
				t.Error("a failed reaction was remembered; a retry would skip it")
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

// A simulated now in an alarm event is refused unless allowed.
func TestSimulatedNowRefused(t *testing.T) {
	e := setup(t, nil)
	raw := bytes.Replace(sample(t, single), []byte(`"alarmName"`), []byte(`"now": "2030-01-01T00:00:00Z", "alarmName"`), 1)
	e.refused(t, raw, "COMMANDER_ALLOW_SIMULATED_TIME")
}
