package schedule

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestDefaultParses(t *testing.T) {
	d, err := Parse([]byte(Default))
	if err != nil {
		t.Fatal(err)
	}
	s, ok := d.Find("office-hours")
	want := []Period{{Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, Start: "08:00", Stop: "19:00"}}
	if !ok || s.Timezone != "Europe/Paris" || s.Enforce || !reflect.DeepEqual(s.Periods, want) {
		t.Fatalf("office-hours = %+v, %v", s, ok)
	}
	if got := d.Names(); !reflect.DeepEqual(got, []string{"office-hours"}) {
		t.Fatalf("Names = %v", got)
	}
	if _, ok := d.Find("nope"); ok {
		t.Fatal("Find(nope) found one")
	}
}

func TestParseValid(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []Schedule
	}{
		{"json, stop-only, enforce",
			`{"schedules":[{"name":"night.stop","timezone":"UTC","enforce":true,"periods":[{"days":["sun","sat"],"stop":"20:00"}]}]}`,
			[]Schedule{{Name: "night.stop", Timezone: "UTC", Enforce: true, Periods: []Period{{Days: []time.Weekday{time.Sunday, time.Saturday}, Stop: "20:00"}}}}},
		{"yaml, two schedules in order, start-only and midnight crossing",
			"schedules:\n  - name: b\n    timezone: America/New_York\n    periods:\n      - {days: [fri], start: \"22:00\", stop: \"06:00\"}\n  - name: a\n    timezone: Asia/Tokyo\n    periods:\n      - {days: [mon], start: \"00:00\"}\n",
			[]Schedule{
				{Name: "b", Timezone: "America/New_York", Periods: []Period{{Days: []time.Weekday{time.Friday}, Start: "22:00", Stop: "06:00"}}},
				{Name: "a", Timezone: "Asia/Tokyo", Periods: []Period{{Days: []time.Weekday{time.Monday}, Start: "00:00"}}}}},
		// yaml.v3 reads an unquoted 08:00 as a string, not a base-60 number.
		{"yaml, unquoted times", "schedules:\n  - name: a\n    timezone: UTC\n    periods: [{days: [tue], start: 08:00, stop: 23:59}]\n",
			[]Schedule{{Name: "a", Timezone: "UTC", Periods: []Period{{Days: []time.Weekday{time.Tuesday}, Start: "08:00", Stop: "23:59"}}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Parse([]byte(c.doc))
			if err != nil {
				t.Fatal(err)
			}
			for i := range d.Schedules {
				if d.Schedules[i].loc == nil || d.Schedules[i].loc.String() != c.want[i].Timezone {
					t.Errorf("schedule %d: location %v", i, d.Schedules[i].loc)
				}
				d.Schedules[i].loc = nil
			}
			if !reflect.DeepEqual(d.Schedules, c.want) {
				t.Fatalf("got  %+v\nwant %+v", d.Schedules, c.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	// doc wraps one schedule's fields and periods into a document.
	doc := func(fields, periods string) string {
		return "schedules:\n  - name: a\n    timezone: Europe/Paris\n" + fields + "    periods:\n" + periods
	}
	period := func(p string) string { return doc("", "      - "+p+"\n") }
	const days = "mon, tue, wed, thu, fri, sat, sun"
	cases := []struct{ name, doc, want string }{
		{"empty", "  \n", "schedules document is empty"},
		{"not yaml", "schedules: [", "schedules document is not valid YAML: yaml: line 1: did not find expected node content"},
		{"not json", `{"schedules": [}`, "schedules document is not valid JSON (strict: each key once, UTF-8, finite numbers): $.schedules: malformed JSON at byte 15: invalid character '}' looking for beginning of value"},
		{"yaml key twice", "schedules:\n  - name: a\n    name: b\n", "schedules document is not valid YAML: yaml: unmarshal errors:\n  line 3: mapping key \"name\" already defined at line 2"},
		{"json key twice", `{"schedules":[{"name":"a","name":"b"}]}`, `schedules document is not valid JSON (strict: each key once, UTF-8, finite numbers): $.schedules[0]: key "name" is given twice: give each key once`},
		{"document a list", "[1]", "document: must be a mapping with the keys schedules, got a list"},
		{"unknown top-level key", "schedule: []", "schedule: unknown key; accepts schedules\nschedules: required: a non-empty list of schedules"},
		{"no schedules", "{}", "schedules: required: a non-empty list of schedules"},
		{"schedules empty", "schedules: []", "schedules: must be a non-empty list of schedules, got an empty list"},
		{"schedules not a list", "schedules: office", `schedules: must be a non-empty list of schedules, got "office"`},
		{"schedule not a mapping", "schedules: [office]", `schedules[0]: must be a mapping with the keys name, timezone, enforce, periods, got "office"`},
		{"unknown schedule key", doc("    colour: red\n", "      - {days: [mon], stop: \"19:00\"}\n"), "schedules[0].colour: unknown key; accepts name, timezone, enforce, periods"},
		{"name missing", "schedules:\n  - timezone: UTC\n    periods: [{days: [mon], stop: \"19:00\"}]\n", "schedules[0].name: required"},
		{"name not a string", "schedules:\n  - name: 42\n    timezone: UTC\n    periods: [{days: [mon], stop: \"19:00\"}]\n", "schedules[0].name: must be a non-empty string, got 42"},
		{"name not a tag value", "schedules:\n  - name: office hours\n    timezone: UTC\n    periods: [{days: [mon], stop: \"19:00\"}]\n",
			`schedules[0].name: must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (it is a tag value), got "office hours"`},
		{"name too long", "schedules:\n  - name: " + strings.Repeat("a", 65) + "\n    timezone: UTC\n    periods: [{days: [mon], stop: \"19:00\"}]\n",
			`schedules[0].name: must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (it is a tag value), got "` + strings.Repeat("a", 65) + `"`},
		{"name twice", `{"schedules":[{"name":"a","timezone":"UTC","periods":[{"days":["mon"],"stop":"19:00"}]},{"name":"a","timezone":"UTC","periods":[{"days":["mon"],"stop":"19:00"}]}]}`,
			`schedules[1].name: "a" is already the name of schedules[0]; names must be unique`},
		{"timezone missing", "schedules:\n  - name: a\n    periods: [{days: [mon], stop: \"19:00\"}]\n", "schedules[0].timezone: required"},
		{"timezone unknown", "schedules:\n  - name: a\n    timezone: Mars/Olympus\n    periods: [{days: [mon], stop: \"19:00\"}]\n",
			`schedules[0].timezone: must be an IANA time zone name such as Europe/Paris, got "Mars/Olympus"`},
		{"timezone Local", "schedules:\n  - name: a\n    timezone: Local\n    periods: [{days: [mon], stop: \"19:00\"}]\n",
			`schedules[0].timezone: must be an IANA time zone name such as Europe/Paris, got "Local" (the machine's own zone)`},
		{"enforce yes is not a boolean", doc("    enforce: yes\n", "      - {days: [mon], stop: \"19:00\"}\n"), `schedules[0].enforce: must be true or false, got "yes"`},
		{"enforce string in json", `{"schedules":[{"name":"a","timezone":"UTC","enforce":"true","periods":[{"days":["mon"],"stop":"19:00"}]}]}`, `schedules[0].enforce: must be true or false, got "true"`},
		{"enforce number", doc("    enforce: 1\n", "      - {days: [mon], stop: \"19:00\"}\n"), "schedules[0].enforce: must be true or false, got 1"},
		{"periods missing", "schedules:\n  - name: a\n    timezone: UTC\n", "schedules[0].periods: required: a non-empty list of periods"},
		{"periods empty", doc("", "      []\n"), "schedules[0].periods: must be a non-empty list of periods, got an empty list"},
		{"period not a mapping", doc("", "      - mon\n"), `schedules[0].periods[0]: must be a mapping with the keys days, start, stop, got "mon"`},
		{"period key not a string", period("{days: [mon], stop: \"19:00\", 1: x}"), "schedules[0].periods[0]: every key must be a string, one of days, start, stop"},
		{"unknown period key", period("{days: [mon], stop: \"19:00\", end: \"20:00\"}"), "schedules[0].periods[0].end: unknown key; accepts days, start, stop"},
		{"days missing", period(`{stop: "19:00"}`), "schedules[0].periods[0].days: required: a non-empty list of days from " + days},
		{"days a range", period(`{days: mon-fri, stop: "19:00"}`), `schedules[0].periods[0].days: must be a non-empty list of days from ` + days + `, got "mon-fri"`},
		{"days empty", period(`{days: [], stop: "19:00"}`), "schedules[0].periods[0].days: must be a non-empty list of days from " + days + ", got an empty list"},
		{"day capitalised", period(`{days: [mon, Tue], stop: "19:00"}`), `schedules[0].periods[0].days[1]: must be one of ` + days + `, got "Tue"`},
		{"day range in the list", period(`{days: [mon-fri], stop: "19:00"}`), `schedules[0].periods[0].days[0]: must be one of ` + days + `, got "mon-fri"`},
		{"day a number", period(`{days: [1], stop: "19:00"}`), "schedules[0].periods[0].days[0]: must be one of " + days + ", got 1"},
		{"day twice", period(`{days: [mon, tue, mon], stop: "19:00"}`), `schedules[0].periods[0].days[2]: "mon" is listed twice`},
		{"neither start nor stop", period(`{days: [mon]}`), "schedules[0].periods[0]: must set start, stop or both"},
		{"start equals stop", period(`{days: [mon], start: "08:00", stop: "08:00"}`), `schedules[0].periods[0].stop: must differ from start, got "08:00" for both`},
		{"hour 25", doc("", "      - {days: [mon], start: \"08:00\", stop: \"19:00\"}\n      - {days: [mon], start: \"08:00\", stop: \"25:00\"}\n"),
			`schedules[0].periods[1].stop: must be a time HH:MM (00:00–23:59), got "25:00"`},
		{"24:00 is not a time", period(`{days: [mon], stop: "24:00"}`), `schedules[0].periods[0].stop: must be a time HH:MM (00:00–23:59), got "24:00"`},
		{"minute 60", period(`{days: [mon], start: "08:60"}`), `schedules[0].periods[0].start: must be a time HH:MM (00:00–23:59), got "08:60"`},
		{"one-digit hour", period(`{days: [mon], start: "8:00"}`), `schedules[0].periods[0].start: must be a time HH:MM (00:00–23:59), got "8:00"`},
		{"leading space", period(`{days: [mon], start: " 8:00"}`), `schedules[0].periods[0].start: must be a time HH:MM (00:00–23:59), got " 8:00"`},
		{"seconds", period(`{days: [mon], start: "08:00:00"}`), `schedules[0].periods[0].start: must be a time HH:MM (00:00–23:59), got "08:00:00"`},
		{"number", period(`{days: [mon], start: 0800}`), `schedules[0].periods[0].start: must be a time HH:MM (00:00–23:59), got 800`},
		{"null start", period(`{days: [mon], start: null, stop: "19:00"}`), `schedules[0].periods[0].start: must be a time HH:MM (00:00–23:59), got nothing`},
		{"every problem at once", doc("    enforce: no\n", "      - {days: [mon-fri], start: \"8h\"}\n      - {days: [sun]}\n"),
			`schedules[0].enforce: must be true or false, got "no"` + "\n" +
				`schedules[0].periods[0].days[0]: must be one of ` + days + `, got "mon-fri"` + "\n" +
				`schedules[0].periods[0].start: must be a time HH:MM (00:00–23:59), got "8h"` + "\n" +
				`schedules[0].periods[1]: must set start, stop or both`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.doc))
			if err == nil || err.Error() != c.want {
				t.Fatalf("err = %v\nwant  %s", err, c.want)
			}
		})
	}
}

// ClockPattern, which the schema states, accepts exactly what the parser's
// minutes accepts, over every two-digit HH:MM and some near misses.
func TestClockPattern(t *testing.T) {
	re := regexp.MustCompile(ClockPattern)
	cases := []string{"", "8:00", "08:0", "08:000", " 08:00", "08:00 ", "0800", "08.00", "+8:00", "-1:00", "24:00", "23:60"}
	for h := 0; h < 100; h++ {
		for m := 0; m < 100; m++ {
			cases = append(cases, fmt.Sprintf("%02d:%02d", h, m))
		}
	}
	for _, s := range cases {
		_, ok := minutes(s)
		if got := re.MatchString(s); got != ok {
			t.Errorf("%q: ClockPattern says %v, minutes says %v", s, got, ok)
		}
	}
}
