package alarm

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/alarm/alarmevent"
	"github.com/aws-commander/commander/shared/guard"
)

func transition(name, from, to string, dims ...map[string]string) alarmevent.Event {
	e := alarmevent.Event{ID: "ev-1", AlarmName: name, State: alarmevent.State{Value: to}, Previous: alarmevent.State{Value: from}}
	for i, d := range dims {
		e.Config.Metrics = append(e.Config.Metrics, alarmevent.Metric{ID: "m" + string(rune('1'+i)), Dimensions: d})
	}
	return e
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{name: "unset", env: nil, check: func(t *testing.T, c Config) {
			if c.OnAlarm != nil || c.OnOK != nil || c.OnInsufficient != nil {
				t.Errorf("config = %+v", c)
			}
		}},
		{name: "longest prefix first", env: map[string]string{EnvActions: "prod-=notify, prod-cpu-=stop ,batch=throttle"}, check: func(t *testing.T, c Config) {
			if len(c.OnAlarm) != 3 || c.OnAlarm[0] != (Rule{"prod-cpu-", Stop}) {
				t.Errorf("rules = %+v", c.OnAlarm)
			}
		}},
		{name: "ok actions", env: map[string]string{EnvOKActions: "prod-cpu-=start", EnvInsufficientActions: "x=snapshot"}, check: func(t *testing.T, c Config) {
			if c.OnOK[0].Action != Start || c.OnInsufficient[0].Action != Snapshot {
				t.Errorf("config = %+v", c)
			}
		}},
		{name: "unknown action", env: map[string]string{EnvActions: "prod-=explode"}, wantErr: `COMMANDER_ALARM_ACTIONS="prod-=explode" is invalid: accepts a comma-separated list of alarm-name-prefix=action, action one of stop, reboot, snapshot, terminate, throttle, notify`},
		{name: "start is not an alarm action", env: map[string]string{EnvActions: "prod-=start"}, wantErr: `COMMANDER_ALARM_ACTIONS="prod-=start" is invalid`},
		{name: "stop is not an ok action", env: map[string]string{EnvOKActions: "prod-=stop"}, wantErr: `COMMANDER_ALARM_OK_ACTIONS="prod-=stop" is invalid`},
		{name: "no prefix", env: map[string]string{EnvActions: "=stop"}, wantErr: `COMMANDER_ALARM_ACTIONS="=stop" is invalid`},
		{name: "duplicate prefix", env: map[string]string{EnvActions: "a=stop,a=notify"}, wantErr: "each prefix once"},
		{name: "trailing comma", env: map[string]string{EnvActions: "a=stop,"}, wantErr: `COMMANDER_ALARM_ACTIONS="a=stop," is invalid`},
		{name: "every bad variable at once", env: map[string]string{EnvActions: "a", EnvInsufficientActions: "b"}, wantErr: EnvInsufficientActions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestTargets(t *testing.T) {
	def := func(dims ...map[string]string) Definition { return Definition{Name: "a", Dimensions: dims} }
	tests := []struct {
		name string
		def  Definition
		want []Target
	}{
		{name: "instance", def: def(map[string]string{"InstanceId": "i-1"}), want: []Target{{Instance, "i-1"}}},
		{name: "metric math, same function twice, expression has none", def: def(
			nil, map[string]string{"FunctionName": "f"}, map[string]string{"FunctionName": "f", "Resource": "f:live"}),
			want: []Target{{Function, "f"}}},
		{name: "several kinds", def: def(map[string]string{"VolumeId": "vol-1"}, map[string]string{"InstanceId": "i-2"}),
			want: []Target{{Volume, "vol-1"}, {Instance, "i-2"}}},
		{name: "blank value names nothing", def: def(map[string]string{"InstanceId": "  "}), want: nil},
		{name: "no usable dimension", def: def(map[string]string{"AutoScalingGroupName": "asg"}), want: nil},
		{name: "composite", def: Definition{Name: "a", Composite: true}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Targets(tt.def); !slices.Equal(got, tt.want) {
				t.Errorf("targets = %v, want %v", got, tt.want)
			}
		})
	}
}

// The event's dimensions are only compared with the definition's, never acted on.
func TestEventTargetsExtra(t *testing.T) {
	tests := []struct {
		name string
		ev   alarmevent.Event
		def  []Target
		want []Target
	}{
		{name: "same as the definition", ev: transition("a", "OK", "ALARM", map[string]string{"InstanceId": "i-a"}), def: []Target{{Instance, "i-a"}}, want: nil},
		{name: "another instance", ev: transition("a", "OK", "ALARM", map[string]string{"InstanceId": "i-b"}), def: []Target{{Instance, "i-a"}}, want: []Target{{Instance, "i-b"}}},
		{name: "one more beside the real one", ev: transition("a", "OK", "ALARM", map[string]string{"InstanceId": "i-a"}, map[string]string{"FunctionName": "f"}),
			def: []Target{{Instance, "i-a"}}, want: []Target{{Function, "f"}}},
		{name: "fewer than the definition", ev: transition("a", "OK", "ALARM"), def: []Target{{Instance, "i-a"}}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Extra(EventTargets(tt.ev), tt.def); !slices.Equal(got, tt.want) {
				t.Errorf("extra = %v, want %v", got, tt.want)
			}
		})
	}
}

// The event's new state against CloudWatch's: act, skip with the mismatch,
// or ask the history.
func TestCheckState(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	claim := func(v string, ts time.Time) alarmevent.State { return alarmevent.State{Value: v, Timestamp: ts} }
	cw := func(v string, since time.Time) Definition { return Definition{Name: "cpu", State: v, Since: since} }
	tests := []struct {
		name      string
		claim     alarmevent.State
		def       Definition
		want      Truth
		wantWhy   string
		wantEmpty bool
	}{
		{name: "CloudWatch is in the state", claim: claim("ALARM", at), def: cw("ALARM", at), want: Confirmed, wantEmpty: true},
		{name: "in the state, entered again later", claim: claim("ALARM", at), def: cw("ALARM", at.Add(time.Hour)), want: Confirmed, wantEmpty: true},
		{name: "the issue's attack: INSUFFICIENT_DATA since before", claim: claim("ALARM", at), def: cw("INSUFFICIENT_DATA", at.Add(-time.Minute)), want: Contradicted,
			wantWhy: "event says ALARM at 2026-03-01T10:00:00.000Z; CloudWatch says INSUFFICIENT_DATA since 2026-03-01T09:59:00.000Z, before the event's time"},
		{name: "OK claimed, ALARM since before", claim: claim("OK", at), def: cw("ALARM", at.Add(-time.Millisecond)), want: Contradicted, wantWhy: "CloudWatch says ALARM since"},
		{name: "left the state after the event's time: history", claim: claim("ALARM", at), def: cw("OK", at.Add(time.Minute)), want: AskHistory, wantEmpty: true},
		{name: "same instant: history", claim: claim("ALARM", at), def: cw("OK", at), want: AskHistory, wantEmpty: true},
		{name: "CloudWatch gives no time: history", claim: claim("ALARM", at), def: cw("OK", time.Time{}), want: AskHistory, wantEmpty: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := CheckState(tt.claim, tt.def)
			if got != tt.want || !strings.Contains(why, tt.wantWhy) || (tt.wantEmpty && why != "") {
				t.Errorf("CheckState = %v %q, want %v %q", got, why, tt.want, tt.wantWhy)
			}
		})
	}
}

func TestCheckHistory(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 987_000_000, time.UTC)
	claim := alarmevent.State{Value: "ALARM", Timestamp: at}
	def := Definition{Name: "cpu", State: "OK", Since: at.Add(time.Minute)}
	noSuch := "event says ALARM at 2026-03-01T10:00:00.987Z; CloudWatch says OK since 2026-03-01T10:01:00.987Z, and its history has no such transition"
	tests := []struct {
		name    string
		history []Transition
		want    string // empty: confirmed
	}{
		{name: "the transition, same time", history: []Transition{{"OK", "ALARM", at}}},
		{name: "the transition, stamped a few ms later", history: []Transition{{"OK", "INSUFFICIENT_DATA", at.Add(-time.Second)}, {"OK", "ALARM", at.Add(23 * time.Millisecond)}}},
		{name: "no history", want: noSuch},
		{name: "into another state at that time", history: []Transition{{"OK", "INSUFFICIENT_DATA", at}}, want: noSuch},
		{name: "into that state, but not at that time", history: []Transition{{"OK", "ALARM", at.Add(-HistoryTolerance - time.Millisecond)}}, want: noSuch},
		{name: "into that state, too late", history: []Transition{{"OK", "ALARM", at.Add(HistoryTolerance + time.Millisecond)}}, want: noSuch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckHistory(claim, def, tt.history); got != tt.want {
				t.Errorf("CheckHistory = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestChoose(t *testing.T) {
	cfg := Config{
		OnAlarm:        []Rule{{"prod-cpu-", Reboot}, {"prod-", Stop}},
		OnOK:           []Rule{{"prod-", Start}},
		OnInsufficient: []Rule{{"batch-", Notify}},
	}
	tests := []struct {
		name       string
		ev         alarmevent.Event
		tags       map[string]string
		wantAction Action
		wantSource string
		wantSkip   string
		wantNote   string
	}{
		{name: "into ALARM, no configuration: notify", ev: transition("x", "OK", "ALARM"), wantAction: Notify, wantSource: "default"},
		{name: "from INSUFFICIENT_DATA into ALARM", ev: transition("x", "INSUFFICIENT_DATA", "ALARM"), tags: map[string]string{"commander:on-alarm": "stop"}, wantAction: Stop, wantSource: "tag commander:on-alarm"},
		{name: "tag wins over prefix", ev: transition("prod-cpu-1", "OK", "ALARM"), tags: map[string]string{"commander:on-alarm": "snapshot"}, wantAction: Snapshot},
		{name: "longest prefix", ev: transition("prod-cpu-1", "OK", "ALARM"), wantAction: Reboot, wantSource: `COMMANDER_ALARM_ACTIONS prefix "prod-cpu-"`},
		{name: "shorter prefix", ev: transition("prod-disk", "OK", "ALARM"), wantAction: Stop},
		{name: "ALARM to ALARM", ev: transition("prod-x", "ALARM", "ALARM"), wantSkip: "no state change"},
		{name: "bad tag: notify and say why", ev: transition("x", "OK", "ALARM"), tags: map[string]string{"commander:on-alarm": "start"}, wantAction: Notify, wantNote: `commander:on-alarm="start" is invalid`},
		{name: "OK without on-ok", ev: transition("x", "ALARM", "OK"), tags: map[string]string{"commander:on-alarm": "stop"}, wantSkip: "no reaction configured"},
		{name: "OK with on-ok tag", ev: transition("x", "ALARM", "OK"), tags: map[string]string{"commander:on-ok": "start"}, wantAction: Start},
		{name: "OK with on-ok prefix", ev: transition("prod-a", "ALARM", "OK"), wantAction: Start},
		{name: "OK tag refuses stop", ev: transition("x", "ALARM", "OK"), tags: map[string]string{"commander:on-ok": "stop"}, wantAction: Notify, wantNote: "is invalid"},
		{name: "INSUFFICIENT_DATA unconfigured", ev: transition("x", "OK", "INSUFFICIENT_DATA"), tags: map[string]string{"commander:on-alarm": "stop"}, wantSkip: "OK to INSUFFICIENT_DATA: no reaction configured"},
		{name: "INSUFFICIENT_DATA by tag", ev: transition("x", "OK", "INSUFFICIENT_DATA"), tags: map[string]string{OnInsufficientTag: "snapshot"}, wantAction: Snapshot},
		{name: "INSUFFICIENT_DATA by prefix", ev: transition("batch-1", "ALARM", "INSUFFICIENT_DATA"), wantAction: Notify},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Choose(tt.ev, tt.tags, cfg)
			if tt.wantSkip != "" {
				if !strings.Contains(r.Skip, tt.wantSkip) {
					t.Fatalf("reaction = %+v, want skip %q", r, tt.wantSkip)
				}
				return
			}
			if r.Skip != "" || r.Action != tt.wantAction {
				t.Fatalf("reaction = %+v, want %s", r, tt.wantAction)
			}
			if tt.wantSource != "" && r.Source != tt.wantSource {
				t.Errorf("source = %q, want %q", r.Source, tt.wantSource)
			}
			if !strings.Contains(r.Note, tt.wantNote) {
				t.Errorf("note = %q, want %q", r.Note, tt.wantNote)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	g := Guard{ProtectTag: "commander:protect", Cooldown: 15 * time.Minute, Now: now, EventID: "ev-2", Alarm: "cpu",
		Breaker: guard.Breaker{MaxCount: 25, MaxPercent: 20, MinCount: 5}}
	inst := func(id string, tags map[string]string) TargetState {
		return TargetState{Target: Target{Instance, id}, Found: true, Tags: tags}
	}
	many := func(n int) []TargetState {
		var s []TargetState
		for i := range n {
			s = append(s, inst("i-"+string(rune('a'+i)), nil))
		}
		return s
	}
	tests := []struct {
		name       string
		action     Action
		states     []TargetState
		want       []string // per step: action, or "skip:<text>"
		wantReason string   // in the first step's reason
		wantErr    bool
	}{
		{name: "stop", action: Stop, states: []TargetState{inst("i-1", nil)}, want: []string{"stop"}},
		{name: "protected turns stop into notify", action: Stop, states: []TargetState{inst("i-1", map[string]string{"commander:protect": "TRUE"})},
			want: []string{"notify"}, wantReason: "protected by commander:protect=TRUE: stop turned into notify"},
		{name: "key in another case protects an instance from terminate", action: Terminate, states: []TargetState{inst("i-1", map[string]string{"Commander:Protect": "true"})},
			want: []string{"notify"}, wantReason: "protected by Commander:Protect=true: terminate turned into notify"},
		{name: "key with white space, value yes", action: Reboot, states: []TargetState{inst("i-1", map[string]string{" COMMANDER:PROTECT ": "yes"})},
			want: []string{"notify"}, wantReason: "protected by  COMMANDER:PROTECT =yes: reboot turned into notify"},
		{name: "empty value protects", action: Stop, states: []TargetState{inst("i-1", map[string]string{"commander:protect": ""})}, want: []string{"notify"}},
		{name: "explicit false does not", action: Stop, states: []TargetState{inst("i-1", map[string]string{"Commander:Protect": "False"})}, want: []string{"stop"}},
		{name: "key in another case protects a function from throttle", action: Throttle,
			states: []TargetState{{Target: Target{Function, "f"}, Found: true, Tags: map[string]string{"Commander:Protect": "true"}}},
			want:   []string{"notify"}, wantReason: "protected by Commander:Protect=true: throttle turned into notify"},
		{name: "a volume's snapshot is not destructive, protected or not", action: Snapshot,
			states: []TargetState{{Target: Target{Volume, "vol-1"}, Found: true, Tags: map[string]string{"Commander:Protect": "true"}}}, want: []string{"snapshot"}},
		{name: "protection does not block the way back", action: Start, states: []TargetState{inst("i-1", map[string]string{"Commander:Protect": "true"})}, want: []string{"start"}},
		{name: "protection does not stop a snapshot", action: Snapshot, states: []TargetState{inst("i-1", map[string]string{"commander:protect": "true"})}, want: []string{"snapshot"}},
		{name: "gone", action: Stop, states: []TargetState{{Target: Target{Instance, "i-1"}, Gone: "instance i-1 is terminated"}},
			want: []string{"skip:target gone: instance i-1 is terminated"}},
		{name: "duplicate event", action: Stop, states: []TargetState{inst("i-1", map[string]string{ReactedTag: ReactedValue("other", now.Add(-time.Hour), "ev-2")})},
			want: []string{"skip:duplicate: event ev-2"}},
		{name: "cooldown, same alarm", action: Stop, states: []TargetState{inst("i-1", map[string]string{ReactedTag: ReactedValue("cpu", now.Add(-5*time.Minute), "ev-1")})},
			want: []string{"skip:cooldown"}},
		{name: "cooldown over", action: Stop, states: []TargetState{inst("i-1", map[string]string{ReactedTag: ReactedValue("cpu", now.Add(-16*time.Minute), "ev-1")})},
			want: []string{"stop"}},
		{name: "other alarm does not cool this one down", action: Stop, states: []TargetState{inst("i-1", map[string]string{ReactedTag: ReactedValue("disk", now.Add(-time.Minute), "ev-1")})},
			want: []string{"stop"}},
		{name: "unreadable reacted tag is ignored", action: Stop, states: []TargetState{inst("i-1", map[string]string{ReactedTag: "by hand"})}, want: []string{"stop"}},
		{name: "throttle on an instance: notify", action: Throttle, states: []TargetState{inst("i-1", nil), {Target: Target{Function, "f"}, Found: true}},
			want: []string{"notify", "throttle"}, wantReason: "throttle does not apply to ec2:instance"},
		{name: "snapshot a volume", action: Snapshot, states: []TargetState{{Target: Target{Volume, "vol-1"}, Found: true}}, want: []string{"snapshot"}},
		{name: "five targets pass the breaker", action: Stop, states: many(5), want: []string{"stop", "stop", "stop", "stop", "stop"}},
		{name: "six targets trip the breaker", action: Stop, states: many(6), want: []string{"notify", "notify", "notify", "notify", "notify", "notify"},
			wantReason: "circuit breaker", wantErr: true},
		{name: "breaker ignores notify", action: Notify, states: many(6), want: []string{"notify", "notify", "notify", "notify", "notify", "notify"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, err := Decide(Reaction{Action: tt.action, Source: "test"}, tt.states, g)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if len(steps) != len(tt.want) {
				t.Fatalf("%d steps, want %d", len(steps), len(tt.want))
			}
			for i, st := range steps {
				w := tt.want[i]
				if skip, ok := strings.CutPrefix(w, "skip:"); ok {
					if !strings.Contains(st.Skip, skip) {
						t.Errorf("step %d skip = %q, want %q", i, st.Skip, skip)
					}
					continue
				}
				if st.Skip != "" || string(st.Action) != w {
					t.Errorf("step %d = %s (skip %q), want %s", i, st.Action, st.Skip, w)
				}
			}
			if tt.wantReason != "" && !strings.Contains(steps[0].Reason, tt.wantReason) {
				t.Errorf("reason = %q, want %q", steps[0].Reason, tt.wantReason)
			}
		})
	}
}

func TestReactedValue(t *testing.T) {
	at := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	long := strings.Repeat("a/@", 85)
	tests := []struct {
		name, alarm, id string
	}{
		{"plain", "cpu-i-1", "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92"},
		{"name with @ and /", "team@x/cpu", "e-1"},
		{"255-character name is hashed", long, "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := ReactedValue(tt.alarm, at, tt.id)
			if len(v) > 256 {
				t.Fatalf("value is %d characters", len(v))
			}
			r, ok := ParseReacted(v)
			if !ok || r.Alarm != alarmKey(tt.alarm) || !r.At.Equal(at) || r.EventID != tt.id {
				t.Errorf("parsed %q = %+v, %v", v, r, ok)
			}
		})
	}
}
