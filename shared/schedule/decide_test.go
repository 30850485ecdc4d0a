package schedule

import (
	"testing"
	"time"
)

func TestParseOverride(t *testing.T) {
	const accepts = `: accepts "running" or "stopped", optionally followed by " until <RFC 3339 time>", e.g. "stopped until 2026-12-24T08:00:00Z"`
	cases := []struct {
		name, v string
		want    Override
		err     string
	}{
		{"running, no end", "running", Override{State: Running}, ""},
		{"stopped until", "stopped until 2026-12-24T08:00:00Z", Override{Stopped, utc("2026-12-24T08:00:00Z")}, ""},
		{"until with an offset", "running until 2026-12-24T09:00:00+01:00", Override{Running, utc("2026-12-24T08:00:00Z")}, ""},
		{"spaces around are forgiven", "  stopped  ", Override{State: Stopped}, ""},
		{"empty", "", Override{}, `override "" is invalid` + accepts},
		{"capitalised", "Stopped", Override{}, `override "Stopped" is invalid` + accepts},
		{"another state", "paused", Override{}, `override "paused" is invalid` + accepts},
		{"until without a time", "stopped until", Override{}, `override "stopped until" is invalid` + accepts},
		{"a date is not a time", "stopped until 2026-12-24", Override{}, `override "stopped until 2026-12-24" is invalid` + accepts},
		{"another word", "stopped till 2026-12-24T08:00:00Z", Override{}, `override "stopped till 2026-12-24T08:00:00Z" is invalid` + accepts},
		{"trailing words", "stopped until 2026-12-24T08:00:00Z please", Override{}, `override "stopped until 2026-12-24T08:00:00Z please" is invalid` + accepts},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseOverride(c.v)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("err = %v, want %s", err, c.err)
				}
				return
			}
			if err != nil || got.State != c.want.State || !got.Until.Equal(c.want.Until) {
				t.Fatalf("got %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}

func TestOverrideActive(t *testing.T) {
	until := utc("2026-12-24T08:00:00Z")
	cases := []struct {
		name string
		o    Override
		at   string
		want bool
	}{
		{"no end holds forever", Override{State: Stopped}, "2099-01-01T00:00:00Z", true},
		{"before its end", Override{Stopped, until}, "2026-12-24T07:59:59Z", true},
		{"at its end: expired", Override{Stopped, until}, "2026-12-24T08:00:00Z", false},
		{"after its end", Override{Stopped, until}, "2026-12-25T00:00:00Z", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.o.Active(utc(c.at)); got != c.want {
				t.Fatalf("Active = %v, want %v", got, c.want)
			}
		})
	}
}

func TestEnforcedRoundTrip(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	e := Enforced{Running, time.Date(2026, 12, 1, 8, 0, 0, 0, paris)}
	if got := e.String(); got != "running@2026-12-01T07:00:00Z" {
		t.Fatalf("String = %q", got)
	}
	back, ok := ParseEnforced(e.String())
	if !ok || back.State != e.State || !back.Since.Equal(e.Since) {
		t.Fatalf("ParseEnforced(%q) = %+v, %v", e.String(), back, ok)
	}
	for _, bad := range []string{"", "running", "running@", "@2026-12-01T07:00:00Z", "paused@2026-12-01T07:00:00Z", "running@yesterday", "Running@2026-12-01T07:00:00Z"} {
		t.Run("malformed "+bad, func(t *testing.T) {
			if got, ok := ParseEnforced(bad); ok {
				t.Fatalf("ParseEnforced(%q) = %+v, want not ok", bad, got)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	d, err := Parse([]byte(Default))
	if err != nil {
		t.Fatal(err)
	}
	office := d.Schedules[0]
	enforcing := office
	enforcing.Enforce = true
	nightStop := one(t, "      - {days: [mon, tue, wed, thu, fri, sat, sun], stop: \"20:00\"}\n")
	nightStop.Name = "night"

	// Tuesday 1 December 2026 (CET): running 07:00Z–18:00Z.
	morning, stop := utc("2026-12-01T07:00:00Z"), utc("2026-12-01T18:00:00Z")
	evening := utc("2026-12-01T20:00:00Z") // 21:00 in Paris
	mem := func(s State, since time.Time) Enforced { return Enforced{s, since} }
	until := func(s State, end string) *Override { return &Override{s, utc(end)} }
	cases := []struct {
		name       string
		s          Schedule
		at         time.Time
		current    string
		remembered Enforced
		known      bool
		override   *Override
		want       Decision
	}{
		{"first seen in the evening: stop at once", office, evening, "running", Enforced{}, false, nil,
			Decision{Stopped, stop, true, "first seen: office-hours: stopped since Tue 1 Dec 19:00 Europe/Paris"}},
		{"first seen, already stopped: record only", office, evening, "stopped", Enforced{}, false, nil,
			Decision{Stopped, stop, false, "first seen: office-hours: stopped since Tue 1 Dec 19:00 Europe/Paris; instance already stopped"}},
		{"the 19:00 stop is newer than the remembered start: stop", office, evening, "running", mem(Running, morning), true, nil,
			Decision{Stopped, stop, true, "office-hours: stopped since Tue 1 Dec 19:00 Europe/Paris"}},
		{"the 08:00 start: start", office, utc("2026-12-01T07:05:00Z"), "stopped", mem(Stopped, utc("2026-11-30T18:00:00Z")), true, nil,
			Decision{Running, morning, true, "office-hours: running since Tue 1 Dec 08:00 Europe/Paris"}},
		{"pending counts as running: record only", office, utc("2026-12-01T07:05:00Z"), "pending", mem(Stopped, utc("2026-11-30T18:00:00Z")), true, nil,
			Decision{Running, morning, false, "office-hours: running since Tue 1 Dec 08:00 Europe/Paris; instance already pending"}},
		{"stopping counts as stopped: record only", office, evening, "stopping", mem(Running, morning), true, nil,
			Decision{Stopped, stop, false, "office-hours: stopped since Tue 1 Dec 19:00 Europe/Paris; instance already stopping"}},
		{"remembered another state for the same transition: act", office, evening, "running", mem(Running, stop), true, nil,
			Decision{Stopped, stop, true, "office-hours: stopped since Tue 1 Dec 19:00 Europe/Paris"}},
		{"a person started it at 21:00 after the 19:00 stop: no fight", office, evening, "running", mem(Stopped, stop), true, nil,
			Decision{Reason: "already enforced stopped at 2026-12-01T18:00:00Z; instance running: not fighting a manual change"}},
		{"already enforced and still there: nothing", office, evening, "stopped", mem(Stopped, stop), true, nil,
			Decision{Reason: "already enforced stopped at 2026-12-01T18:00:00Z; instance stopped"}},
		{"enforce: true fights the manual start", enforcing, evening, "running", mem(Stopped, stop), true, nil,
			Decision{Stopped, stop, true, "enforce: office-hours: stopped since Tue 1 Dec 19:00 Europe/Paris"}},
		{"enforce: already there, record only", enforcing, evening, "stopped", mem(Stopped, stop), true, nil,
			Decision{Stopped, stop, false, "enforce: office-hours: stopped since Tue 1 Dec 19:00 Europe/Paris; instance already stopped"}},
		{"no opinion: leave it", nightStop, utc("2026-12-01T10:00:00Z"), "running", Enforced{}, false, nil,
			Decision{Reason: "no period of night covers now"}},
		{"stop-only at night, first seen: stop", nightStop, evening, "running", Enforced{}, false, nil,
			Decision{Stopped, utc("2026-12-01T19:00:00Z"), true, "first seen: night: stopped since Tue 1 Dec 20:00 Europe/Paris"}},
		{"stop-only, the next night: stop again", nightStop, utc("2026-12-02T19:30:00Z"), "running", mem(Stopped, utc("2026-12-01T19:00:00Z")), true, nil,
			Decision{Stopped, utc("2026-12-02T19:00:00Z"), true, "night: stopped since Wed 2 Dec 20:00 Europe/Paris"}},
		{"active override wins over the schedule", office, morning.Add(time.Hour), "running", mem(Running, morning), true, until(Stopped, "2026-12-24T08:00:00Z"),
			Decision{Stopped, morning.Add(time.Hour), true, "override stopped until 2026-12-24T08:00:00Z"}},
		{"override without end, seconds dropped", office, evening.Add(1500 * time.Millisecond), "stopped", Enforced{}, false, &Override{State: Running},
			Decision{Running, evening.Add(time.Second), true, "override running"}},
		{"override keeps the instant it was first applied", office, evening, "stopped", mem(Stopped, morning.Add(time.Hour)), true, until(Stopped, "2026-12-24T08:00:00Z"),
			Decision{Stopped, morning.Add(time.Hour), false, "override stopped until 2026-12-24T08:00:00Z; instance already stopped"}},
		{"override active even when the schedule has no opinion", nightStop, utc("2026-12-01T10:00:00Z"), "running", Enforced{}, false, until(Stopped, "2026-12-01T12:00:00Z"),
			Decision{Stopped, utc("2026-12-01T10:00:00Z"), true, "override stopped until 2026-12-01T12:00:00Z"}},
		{"expired override: the schedule resumes", office, utc("2026-12-02T07:30:00Z"), "stopped", mem(Stopped, morning.Add(time.Hour)), true, until(Stopped, "2026-12-02T07:15:00Z"),
			Decision{Running, utc("2026-12-02T07:00:00Z"), true, "office-hours: running since Wed 2 Dec 08:00 Europe/Paris"}},
		{"expired override named when nothing else is done", office, evening, "running", mem(Stopped, stop), true, until(Running, "2026-12-01T19:30:00Z"),
			Decision{Reason: `override "running until 2026-12-01T19:30:00Z" expired at 2026-12-01T19:30:00Z, ignored; already enforced stopped at 2026-12-01T18:00:00Z; instance running: not fighting a manual change`}},
		{"expired override and no opinion", nightStop, utc("2026-12-01T10:00:00Z"), "running", Enforced{}, false, until(Stopped, "2026-12-01T09:00:00Z"),
			Decision{Reason: `override "stopped until 2026-12-01T09:00:00Z" expired at 2026-12-01T09:00:00Z, ignored; no period of night covers now`}},
		{"terminated: left alone even under an override", office, evening, "terminated", Enforced{}, false, &Override{State: Running},
			Decision{Reason: "instance is terminated; nothing to schedule"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Decide(c.s, c.at, c.current, c.remembered, c.known, c.override)
			if got.Want != c.want.Want || !got.Since.Equal(c.want.Since) || got.Act != c.want.Act || got.Reason != c.want.Reason {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}
