package schedule

import (
	"testing"
	"time"
)

// one parses a one-schedule document in Europe/Paris with the given periods.
func one(t *testing.T, periods string) Schedule {
	t.Helper()
	d, err := Parse([]byte("schedules:\n  - name: s\n    timezone: Europe/Paris\n    periods:\n" + periods))
	if err != nil {
		t.Fatal(err)
	}
	return d.Schedules[0]
}

// utc reads an RFC 3339 instant; "" is the zero time.
func utc(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestWantedAndNext(t *testing.T) {
	office := "      - {days: [mon, tue, wed, thu, fri], start: \"08:00\", stop: \"19:00\"}\n"
	cases := []struct {
		name, periods, at string
		want              State
		since             string
		next              State
		nextAt            string
	}{
		// Tuesday 1 December 2026, CET = UTC+1.
		{"weekday morning, before start", office, "2026-12-01T06:59:00Z", Stopped, "2026-11-30T18:00:00Z", Running, "2026-12-01T07:00:00Z"},
		{"weekday at start", office, "2026-12-01T07:00:00Z", Running, "2026-12-01T07:00:00Z", Stopped, "2026-12-01T18:00:00Z"},
		{"weekday midday", office, "2026-12-01T11:00:00Z", Running, "2026-12-01T07:00:00Z", Stopped, "2026-12-01T18:00:00Z"},
		{"weekday at stop", office, "2026-12-01T18:00:00Z", Stopped, "2026-12-01T18:00:00Z", Running, "2026-12-02T07:00:00Z"},
		{"weekend: Friday's stop holds until Monday", office, "2026-12-05T12:00:00Z", Stopped, "2026-12-04T18:00:00Z", Running, "2026-12-07T07:00:00Z"},
		// 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00Z).
		{"spring DST: Friday 19:00 CET, Monday 08:00 CEST", office, "2026-03-28T12:00:00Z", Stopped, "2026-03-27T18:00:00Z", Running, "2026-03-30T06:00:00Z"},
		{"spring DST: Monday runs from 06:00Z", office, "2026-03-30T06:00:00Z", Running, "2026-03-30T06:00:00Z", Stopped, "2026-03-30T17:00:00Z"},
		// 25 October 2026: 03:00 CEST becomes 02:00 CET (01:00Z).
		{"autumn DST: Friday 19:00 CEST, Monday 08:00 CET", office, "2026-10-24T12:00:00Z", Stopped, "2026-10-23T17:00:00Z", Running, "2026-10-26T07:00:00Z"},
		{"spring gap: 02:30 starts at 03:00 CEST", "      - {days: [sun], start: \"02:30\", stop: \"05:00\"}\n", "2026-03-29T00:59:00Z", Stopped, "2026-03-22T04:00:00Z", Running, "2026-03-29T01:00:00Z"},
		{"spring gap: running from the end of the gap", "      - {days: [sun], start: \"02:30\", stop: \"05:00\"}\n", "2026-03-29T01:00:00Z", Running, "2026-03-29T01:00:00Z", Stopped, "2026-03-29T03:00:00Z"},
		{"spring gap: start and stop both in it, never running", "      - {days: [sun], start: \"02:10\", stop: \"02:40\"}\n", "2026-03-29T01:00:00Z", Stopped, "2026-03-29T01:00:00Z", Running, "2026-04-05T00:10:00Z"},
		{"autumn twice: 02:30 starts at its first occurrence (CEST)", "      - {days: [sun], start: \"02:30\", stop: \"05:00\"}\n", "2026-10-25T00:29:00Z", Stopped, "2026-10-18T03:00:00Z", Running, "2026-10-25T00:30:00Z"},
		{"autumn twice: stop at 05:00 CET", "      - {days: [sun], start: \"02:30\", stop: \"05:00\"}\n", "2026-10-25T02:00:00Z", Running, "2026-10-25T00:30:00Z", Stopped, "2026-10-25T04:00:00Z"},
		// Friday 4 December 22:00 CET to Saturday 06:00.
		{"across midnight: Friday night", "      - {days: [fri], start: \"22:00\", stop: \"06:00\"}\n", "2026-12-04T22:30:00Z", Running, "2026-12-04T21:00:00Z", Stopped, "2026-12-05T05:00:00Z"},
		{"across midnight: Saturday 03:00 still running", "      - {days: [fri], start: \"22:00\", stop: \"06:00\"}\n", "2026-12-05T02:00:00Z", Running, "2026-12-04T21:00:00Z", Stopped, "2026-12-05T05:00:00Z"},
		{"across midnight: stopped on Saturday 06:00", "      - {days: [fri], start: \"22:00\", stop: \"06:00\"}\n", "2026-12-05T05:00:00Z", Stopped, "2026-12-05T05:00:00Z", Running, "2026-12-11T21:00:00Z"},
		{"across midnight: Thursday stopped since last Saturday", "      - {days: [fri], start: \"22:00\", stop: \"06:00\"}\n", "2026-12-03T22:00:00Z", Stopped, "2026-11-28T05:00:00Z", Running, "2026-12-04T21:00:00Z"},
		{"stop-only: no opinion in the morning", "      - {days: [mon, tue, wed, thu, fri, sat, sun], stop: \"20:00\"}\n", "2026-12-01T08:00:00Z", None, "", Stopped, "2026-12-01T19:00:00Z"},
		{"stop-only: stopped at 20:00", "      - {days: [mon, tue, wed, thu, fri, sat, sun], stop: \"20:00\"}\n", "2026-12-01T19:00:00Z", Stopped, "2026-12-01T19:00:00Z", None, "2026-12-01T23:00:00Z"},
		{"stop-only: no opinion after midnight", "      - {days: [mon, tue, wed, thu, fri, sat, sun], stop: \"20:00\"}\n", "2026-12-01T23:00:00Z", None, "", Stopped, "2026-12-02T19:00:00Z"},
		{"start-only: running until midnight", "      - {days: [tue], start: \"07:00\"}\n", "2026-12-01T22:59:00Z", Running, "2026-12-01T06:00:00Z", None, "2026-12-01T23:00:00Z"},
		{"start-only: no opinion on other days", "      - {days: [tue], start: \"07:00\"}\n", "2026-12-02T12:00:00Z", None, "", Running, "2026-12-08T06:00:00Z"},
		// Overlaps: running wins.
		{"overlap: the later start renews since", "      - {days: [tue], start: \"08:00\", stop: \"12:00\"}\n      - {days: [tue], start: \"11:00\", stop: \"19:00\"}\n", "2026-12-01T10:30:00Z", Running, "2026-12-01T10:00:00Z", Stopped, "2026-12-01T18:00:00Z"},
		{"overlap: a stop does not cut into another period's running", "      - {days: [tue], start: \"08:00\", stop: \"12:00\"}\n      - {days: [tue], start: \"11:00\", stop: \"19:00\"}\n", "2026-12-01T11:30:00Z", Running, "2026-12-01T10:00:00Z", Stopped, "2026-12-01T18:00:00Z"},
		{"overlap: a stop-only period inside office hours is ignored", office + "      - {days: [tue], stop: \"12:00\"}\n", "2026-12-01T12:00:00Z", Running, "2026-12-01T07:00:00Z", Stopped, "2026-12-01T18:00:00Z"},
		{"overlap: a Saturday safety stop renews since", office + "      - {days: [sat], stop: \"20:00\"}\n", "2026-12-05T19:30:00Z", Stopped, "2026-12-05T19:00:00Z", Running, "2026-12-07T07:00:00Z"},
		{"overlap: its midnight end changes nothing", office + "      - {days: [sat], stop: \"20:00\"}\n", "2026-12-05T23:30:00Z", Stopped, "2026-12-05T19:00:00Z", Running, "2026-12-07T07:00:00Z"},
		{"overlap: start-only holds past 19:00", office + "      - {days: [tue], start: \"18:00\"}\n", "2026-12-01T18:30:00Z", Running, "2026-12-01T17:00:00Z", Stopped, "2026-12-01T23:00:00Z"},
		{"overlap: stopped since the midnight that ends it", office + "      - {days: [tue], start: \"18:00\"}\n", "2026-12-01T23:30:00Z", Stopped, "2026-12-01T23:00:00Z", Running, "2026-12-02T07:00:00Z"},
		{"overlap: a stop and a start at one instant: running", "      - {days: [tue], start: \"08:00\", stop: \"12:00\"}\n      - {days: [tue], start: \"12:00\", stop: \"19:00\"}\n", "2026-12-01T11:00:00Z", Running, "2026-12-01T11:00:00Z", Stopped, "2026-12-01T18:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := one(t, c.periods)
			at := utc(c.at)
			state, since := s.Wanted(at)
			if state != c.want || !since.Equal(utc(c.since)) {
				t.Errorf("Wanted = %q since %v, want %q since %s", state, since.UTC(), c.want, c.since)
			}
			next, nextAt := s.Next(at)
			if next != c.next || !nextAt.Equal(utc(c.nextAt)) {
				t.Errorf("Next = %q at %v, want %q at %s", next, nextAt.UTC(), c.next, c.nextAt)
			}
		})
	}
}

// A Schedule built by hand (not by Parse) loads its zone itself; one with no
// usable zone or no periods has no opinion.
func TestWantedWithoutParse(t *testing.T) {
	periods := []Period{{Days: []time.Weekday{time.Tuesday}, Start: "08:00", Stop: "19:00"}}
	at := utc("2026-12-01T12:00:00Z")
	cases := []struct {
		name  string
		s     Schedule
		want  State
		since string
	}{
		{"zone loaded on demand", Schedule{Timezone: "Europe/Paris", Periods: periods}, Running, "2026-12-01T07:00:00Z"},
		{"no zone: no opinion rather than UTC", Schedule{Periods: periods}, None, ""},
		{"Local: no opinion", Schedule{Timezone: "Local", Periods: periods}, None, ""},
		{"no periods", Schedule{Timezone: "UTC"}, None, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			state, since := c.s.Wanted(at)
			if state != c.want || !since.Equal(utc(c.since)) {
				t.Errorf("Wanted = %q since %v, want %q since %s", state, since, c.want, c.since)
			}
			if c.want == None {
				if next, nextAt := c.s.Next(at); next != None || !nextAt.IsZero() {
					t.Errorf("Next = %q at %v, want nothing", next, nextAt)
				}
			}
		})
	}
}

// time.Date puts a wall time in a spring-forward gap after the gap, shifted
// by its length, and a wall time that occurs twice at its second
// occurrence; wallClock corrects both and leaves every other time alone.
func TestWallClock(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	cases := []struct {
		name             string
		month            time.Month
		day, h, m        int
		timeDate, wanted string
	}{
		{"in the gap: end of the gap, not 03:30 CEST", time.March, 29, 2, 30, "2026-03-29T01:30:00Z", "2026-03-29T01:00:00Z"},
		{"start of the gap", time.March, 29, 2, 0, "2026-03-29T01:00:00Z", "2026-03-29T01:00:00Z"},
		{"before the gap", time.March, 29, 1, 59, "2026-03-29T00:59:00Z", "2026-03-29T00:59:00Z"},
		{"after the gap", time.March, 29, 3, 0, "2026-03-29T01:00:00Z", "2026-03-29T01:00:00Z"},
		{"twice: first occurrence, in CEST", time.October, 25, 2, 30, "2026-10-25T01:30:00Z", "2026-10-25T00:30:00Z"},
		{"twice, at 02:00", time.October, 25, 2, 0, "2026-10-25T01:00:00Z", "2026-10-25T00:00:00Z"},
		{"before the repeat", time.October, 25, 1, 30, "2026-10-24T23:30:00Z", "2026-10-24T23:30:00Z"},
		{"after the repeat", time.October, 25, 3, 0, "2026-10-25T02:00:00Z", "2026-10-25T02:00:00Z"},
		{"summer day", time.July, 1, 8, 0, "2026-07-01T06:00:00Z", "2026-07-01T06:00:00Z"},
		{"winter day", time.December, 1, 8, 0, "2026-12-01T07:00:00Z", "2026-12-01T07:00:00Z"},
		{"next day's midnight from day 31", time.December, 32, 0, 0, "2026-12-31T23:00:00Z", "2026-12-31T23:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := time.Date(2026, c.month, c.day, c.h, c.m, 0, 0, paris); !got.Equal(utc(c.timeDate)) {
				t.Errorf("time.Date = %v, want %s (has Go's normalisation changed?)", got.UTC(), c.timeDate)
			}
			got := wallClock(2026, c.month, c.day, c.h*60+c.m, paris)
			if !got.Equal(utc(c.wanted)) || got.Location() != paris {
				t.Errorf("wallClock = %v, want %s in Europe/Paris", got, c.wanted)
			}
		})
	}
}

// Every schedule shape answers within the horizon, at every minute of a
// DST week: Next is always after t and Wanted at Next is what Next said.
func TestNextAgreesWithWanted(t *testing.T) {
	for i, periods := range []string{
		"      - {days: [mon, tue, wed, thu, fri], start: \"08:00\", stop: \"19:00\"}\n      - {days: [sat], stop: \"20:00\"}\n",
		"      - {days: [sun], start: \"02:30\", stop: \"01:00\"}\n      - {days: [sun, mon], start: \"02:15\"}\n",
		"      - {days: [sun, sat], stop: \"00:00\"}\n",
	} {
		s := one(t, periods)
		for at := utc("2026-10-22T00:00:00Z"); at.Before(utc("2026-10-29T00:00:00Z")); at = at.Add(7 * time.Minute) {
			next, nextAt := s.Next(at)
			if nextAt.IsZero() || !nextAt.After(at) {
				t.Fatalf("schedule %d at %v: Next = %q at %v", i, at, next, nextAt)
			}
			if got, _ := s.Wanted(nextAt); got != next {
				t.Fatalf("schedule %d at %v: Next = %q at %v but Wanted then = %q", i, at, next, nextAt, got)
			}
		}
	}
}
