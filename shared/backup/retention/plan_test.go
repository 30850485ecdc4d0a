package retention

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func paris(t *testing.T) *time.Location {
	l, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// snaps makes completed snapshots s0, s1, ... under policy p at the given times.
func snaps(p string, times ...string) []Snapshot {
	out := make([]Snapshot, len(times))
	for i, ts := range times {
		out[i] = Snapshot{ID: fmt.Sprintf("s%d", i), Policy: p, Time: at(ts), Completed: true}
	}
	return out
}

func deleted(vs []Verdict) []string {
	var out []string
	for _, v := range vs {
		if v.Delete {
			out = append(out, v.Snapshot.ID)
		}
	}
	slices.Sort(out)
	return out
}

func TestPlan(t *testing.T) {
	loc := paris(t)
	withFlag := func(s []Snapshot, i int, f func(*Snapshot)) []Snapshot { f(&s[i]); return s }
	cases := []struct {
		name   string
		policy Policy
		vol    Volume
		now    string
		want   []string // deleted ids
		reason string   // substring of the reason of the first deleted (or of s0 when none)
	}{
		{
			name:   "fewer snapshots than the policy keeps",
			policy: Policy{Name: "p", Last: 7},
			vol:    Volume{ID: "v", Exists: true, Snapshots: snaps("p", "2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z", "2026-01-03T02:00:00Z")},
			now:    "2027-01-01T00:00:00Z",
		},
		{
			name:   "keep the newest N",
			policy: Policy{Name: "p", Last: 2},
			vol:    Volume{ID: "v", Exists: true, Snapshots: snaps("p", "2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z", "2026-01-03T02:00:00Z", "2026-01-04T02:00:00Z")},
			now:    "2026-01-04T03:00:00Z",
			want:   []string{"s0", "s1"},
			reason: "not among the newest 2",
		},
		{
			name:   "age: exactly D days old is deleted, younger kept",
			policy: Policy{Name: "p", Days: 30},
			vol:    Volume{ID: "v", Exists: true, Snapshots: snaps("p", "2026-01-01T02:00:00Z", "2026-01-01T02:00:01Z", "2026-01-31T02:00:00Z")},
			now:    "2026-01-31T02:00:00Z",
			want:   []string{"s0"},
			reason: "older than 30 days",
		},
		{
			name:   "age across a leap day: 2028-02-29 counts",
			policy: Policy{Name: "p", Days: 2},
			vol:    Volume{ID: "v", Exists: true, Snapshots: snaps("p", "2028-02-28T02:00:00Z", "2028-02-29T02:00:00Z", "2028-03-01T02:00:00Z")},
			now:    "2028-03-01T02:00:00Z",
			want:   []string{"s0"},
		},
		{
			name:   "daylight saving: calendar days in the policy zone, not 24h periods",
			policy: Policy{Name: "p", Days: 7, Location: loc},
			// 2026-03-23 02:00 CET (01:00Z) is 7 local days before 2026-03-30 02:00 CEST (00:00Z), though only 167 hours.
			vol:  Volume{ID: "v", Exists: true, Snapshots: snaps("p", "2026-03-23T01:00:00Z", "2026-03-24T01:00:00Z", "2026-03-30T00:00:00Z")},
			now:  "2026-03-30T00:00:00Z",
			want: []string{"s0"},
		},
		{
			name:   "daily rotation: days split at local midnight across the autumn change",
			policy: Policy{Name: "p", Daily: 2, Location: loc},
			// 2026-10-25: clocks go back at 03:00 CEST. 23:30Z on the 24th is 01:30 on the 25th in Paris.
			vol:  Volume{ID: "v", Exists: true, Snapshots: snaps("p", "2026-10-24T21:00:00Z", "2026-10-24T23:30:00Z", "2026-10-25T22:00:00Z", "2026-10-25T23:30:00Z")},
			now:  "2026-10-26T00:00:00Z",
			want: []string{"s0", "s1"}, // s1 is on the 25th in Paris, s3 (00:30 CET) on the 26th
		},
		{
			name:   "monthly rotation across a month boundary keeps the newest of each month",
			policy: Policy{Name: "p", Monthly: 3},
			vol:    Volume{ID: "v", Exists: true, Snapshots: snaps("p", "2026-01-30T02:00:00Z", "2026-01-31T02:00:00Z", "2026-02-01T02:00:00Z", "2026-02-28T02:00:00Z", "2026-03-01T02:00:00Z")},
			now:    "2026-03-01T03:00:00Z",
			want:   []string{"s0", "s2"},
			reason: "outside the rotation (monthly 3)",
		},
		{
			name:   "yearly rotation across the year boundary",
			policy: Policy{Name: "p", Yearly: 1, Monthly: 1},
			vol:    Volume{ID: "v", Exists: true, Snapshots: snaps("p", "2026-12-31T02:00:00Z", "2027-01-01T02:00:00Z")},
			now:    "2027-01-01T03:00:00Z",
			want:   []string{"s0"},
		},
		{
			name:   "weekly rotation: 31 December and 1 January share ISO week 2026-W53",
			policy: Policy{Name: "p", Weekly: 2},
			vol:    Volume{ID: "v", Exists: true, Snapshots: snaps("p", "2026-12-24T02:00:00Z", "2026-12-31T02:00:00Z", "2027-01-01T02:00:00Z", "2027-01-04T02:00:00Z")},
			now:    "2027-01-04T03:00:00Z",
			want:   []string{"s0", "s1"},
		},
		{
			name:   "GFS keeps the union of its rules",
			policy: Policy{Name: "p", Daily: 2, Weekly: 2, Monthly: 2},
			vol: Volume{ID: "v", Exists: true, Snapshots: snaps("p",
				"2026-01-20T02:00:00Z", // s0 Tue W04: deleted
				"2026-01-25T02:00:00Z", // s1 Sun W04: deleted, a third week
				"2026-01-31T02:00:00Z", // s2 Sat W05, newest of January: monthly
				"2026-02-01T02:00:00Z", // s3 Sun W05: weekly (newest of W05)
				"2026-02-02T02:00:00Z", // s4 Mon W06: deleted (daily keeps s5, s6)
				"2026-02-03T02:00:00Z", // s5 daily
				"2026-02-04T02:00:00Z", // s6 daily, weekly, monthly
			)},
			now:  "2026-02-04T03:00:00Z",
			want: []string{"s0", "s1", "s4"},
		},
		{
			name:   "never deleted: protected, AWS Backup, AMI, pending",
			policy: Policy{Name: "p", Last: 1},
			vol: Volume{ID: "v", Exists: true, Snapshots: withFlag(withFlag(withFlag(withFlag(
				snaps("p", "2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z", "2026-01-03T02:00:00Z", "2026-01-04T02:00:00Z", "2026-01-05T02:00:00Z", "2026-01-06T02:00:00Z"),
				0, func(s *Snapshot) { s.Protected = true }),
				1, func(s *Snapshot) { s.AWSBackup = true }),
				2, func(s *Snapshot) { s.InAMI = true }),
				3, func(s *Snapshot) { s.Completed = false })},
			now:  "2027-01-01T00:00:00Z",
			want: []string{"s4"},
		},
		{
			name:   "newest completed of an existing volume is kept even when the rules expire it",
			policy: Policy{Name: "p", Days: 1},
			vol:    Volume{ID: "v", Exists: true, Snapshots: snaps("p", "2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z")},
			now:    "2027-01-01T00:00:00Z",
			want:   []string{"s0"},
		},
		{
			name:   "a deleted volume's last snapshot follows the rules",
			policy: Policy{Name: "p", Days: 1},
			vol:    Volume{ID: "v", Exists: false, Snapshots: snaps("p", "2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z")},
			now:    "2027-01-01T00:00:00Z",
			want:   []string{"s0", "s1"},
		},
		{
			name:   "hold: a failed backup blocks pruning",
			policy: Policy{Name: "p", Last: 1},
			vol:    Volume{ID: "v", Exists: true, Hold: "backup failed", Snapshots: snaps("p", "2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z", "2026-01-03T02:00:00Z")},
			now:    "2027-01-01T00:00:00Z",
			reason: "among the newest 1",
		},
		{
			name:   "pending: no rule counts it, so keep-N keeps N completed",
			policy: Policy{Name: "p", Last: 2},
			vol: Volume{ID: "v", Exists: true, Snapshots: withFlag(withFlag(
				snaps("p", "2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z", "2026-01-03T02:00:00Z", "2026-01-04T02:00:00Z"),
				2, func(s *Snapshot) { s.Completed = false }),
				3, func(s *Snapshot) { s.Completed = false })},
			now:    "2026-01-04T03:00:00Z",
			reason: "not completed yet",
		},
		{
			name:   "pending: the newest completed stands, not the pending one",
			policy: Policy{Name: "p", Days: 1},
			vol: Volume{ID: "v", Exists: true, Snapshots: withFlag(
				snaps("p", "2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z", "2026-01-10T02:00:00Z"),
				2, func(s *Snapshot) { s.Completed = false })},
			now:  "2026-01-10T03:00:00Z",
			want: []string{"s0"},
		},
		{
			name:   "failed: deleted, and never one of the newest N",
			policy: Policy{Name: "p", Last: 1},
			vol: Volume{ID: "v", Exists: true, Snapshots: withFlag(
				snaps("p", "2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z"),
				1, func(s *Snapshot) { s.Completed, s.Failed = false, true })},
			now:    "2026-01-02T03:00:00Z",
			want:   []string{"s1"},
			reason: "state error",
		},
		{
			name:   "failed: deleted on a volume on hold too, kept when protected",
			policy: Policy{Name: "p", Last: 5},
			vol: Volume{ID: "v", Exists: true, Hold: "backup failed", Snapshots: withFlag(withFlag(withFlag(
				snaps("p", "2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z", "2026-01-03T02:00:00Z"),
				1, func(s *Snapshot) { s.Completed, s.Failed = false, true }),
				2, func(s *Snapshot) { s.Completed, s.Failed = false, true }),
				2, func(s *Snapshot) { s.Protected = true })},
			now:    "2026-01-03T03:00:00Z",
			want:   []string{"s1"},
			reason: "protected",
		},
		{
			name:   "unknown policy keeps everything",
			policy: Policy{Name: "other", Last: 1},
			vol:    Volume{ID: "v", Exists: false, Snapshots: snaps("p", "2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z")},
			now:    "2027-01-01T00:00:00Z",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Plan(c.vol, map[string]Policy{c.policy.Name: c.policy}, at(c.now))
			if len(got) != len(c.vol.Snapshots) {
				t.Fatalf("%d verdicts for %d snapshots", len(got), len(c.vol.Snapshots))
			}
			if d := deleted(got); !slices.Equal(d, c.want) {
				t.Errorf("deleted %v, want %v; verdicts %+v", d, c.want, got)
			}
			for _, v := range got {
				if v.Reason == "" {
					t.Errorf("%s: no reason", v.Snapshot.ID)
				}
			}
			if c.reason != "" {
				found := false
				for _, v := range got {
					found = found || strings.Contains(v.Reason, c.reason)
				}
				if !found {
					t.Errorf("no reason mentions %q: %+v", c.reason, got)
				}
			}
		})
	}
}

func TestDue(t *testing.T) {
	loc := paris(t)
	cases := []struct {
		name        string
		policy      Policy
		newest, now string
		want        bool
	}{
		{"every run", Policy{Name: "p", Every: EveryRun}, "2026-01-01T02:00:00Z", "2026-01-01T02:00:00Z", true},
		{"first backup", Policy{Name: "p", Every: EveryMonth}, "", "2026-01-01T02:00:00Z", true},
		{"same day", Policy{Name: "p", Every: EveryDay}, "2026-01-01T02:00:00Z", "2026-01-01T23:00:00Z", false},
		{"next day in UTC", Policy{Name: "p", Every: EveryDay}, "2026-01-01T23:00:00Z", "2026-01-02T00:30:00Z", true},
		{"UTC days differ, Paris day is the same", Policy{Name: "p", Every: EveryDay, Location: loc}, "2026-01-01T23:30:00Z", "2026-01-02T22:00:00Z", false},
		{"same local day after the spring change", Policy{Name: "p", Every: EveryDay, Location: loc}, "2026-03-28T23:30:00Z", "2026-03-29T21:00:00Z", false},
		{"same ISO week over new year", Policy{Name: "p", Every: EveryWeek}, "2026-12-31T02:00:00Z", "2027-01-03T02:00:00Z", false},
		{"new ISO week", Policy{Name: "p", Every: EveryWeek}, "2027-01-03T02:00:00Z", "2027-01-04T02:00:00Z", true},
		{"month boundary", Policy{Name: "p", Every: EveryMonth}, "2026-01-31T02:00:00Z", "2026-02-01T02:00:00Z", true},
		{"leap day is in February", Policy{Name: "p", Every: EveryMonth}, "2028-02-01T02:00:00Z", "2028-02-29T02:00:00Z", false},
		{"year boundary", Policy{Name: "p", Every: EveryMonth}, "2026-12-31T02:00:00Z", "2027-01-01T02:00:00Z", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var newest time.Time
			if c.newest != "" {
				newest = at(c.newest)
			}
			got, why := Due(c.policy, newest, at(c.now))
			if got != c.want || why == "" {
				t.Errorf("Due = %v (%s), want %v", got, why, c.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		name, spec string
		want       map[string]string // name -> String()
		err        string
	}{
		{name: "empty", spec: "", want: map[string]string{}},
		{name: "two policies", spec: "critical=every:run,last:14,days:90; archive=every:month,monthly:24,yearly:5,tz:Europe/Paris",
			want: map[string]string{"critical": "critical=every:run,last:14,days:90", "archive": "archive=every:month,monthly:24,yearly:5,tz:Europe/Paris"}},
		{name: "every defaults to run", spec: "x=days:3", want: map[string]string{"x": "x=every:run,days:3"}},
		{name: "bad name", spec: "Bad Name=days:3", err: "name of lowercase"},
		{name: "no equals", spec: "daily", err: "name=key:value"},
		{name: "unknown key", spec: "x=keep:3", err: `unknown key "keep"`},
		{name: "negative", spec: "x=days:-1", err: "days:-1: accepts a whole number"},
		{name: "bad every", spec: "x=every:hour,days:1", err: "every:hour"},
		{name: "bad tz", spec: "x=days:1,tz:Mars/Olympus", err: "tz:Mars/Olympus"},
		{name: "keeps nothing", spec: "x=every:week", err: "keeps nothing"},
		{name: "duplicate policy", spec: "x=days:1;x=days:2", err: "defined twice"},
		{name: "duplicate key", spec: "x=days:1,days:2", err: "set twice"},
		{name: "not key:value", spec: "x=days", err: "not key:value"},
		{name: "cross-region copy", spec: "dr=last:7,copy:eu-west-1,copykms:arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab,copydays:90",
			want: map[string]string{"dr": "dr=every:run,last:7,copy:eu-west-1,copykms:arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab,copydays:90"}},
		{name: "bad copy region", spec: "dr=last:7,copy:europe", err: "copy:europe"},
		{name: "bad copy key", spec: "dr=last:7,copy:eu-west-1,copykms:my key", err: "copykms:my key"},
		{name: "copydays without copy", spec: "dr=last:7,copydays:3", err: "need copy:<region>"},
		// Every problem, one per line, not only the first.
		{name: "every problem", spec: "x=every:hour,days:-1;Bad=days:1;y=keep:1",
			err: "policy \"x\": every:hour: accepts run, day, week or month\npolicy \"x\": days:-1: accepts a whole number from 0 to 100000\n" +
				"policy \"Bad=days:1\": accepts name=key:value,... with a name of lowercase letters, digits, - and _\n" +
				"policy \"y\": unknown key \"keep\": accepts every, last, days, daily, weekly, monthly, yearly, tz, copy, copykms, copydays"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(c.spec, time.UTC)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %v", got)
			}
			for n, s := range c.want {
				if got[n].String() != s {
					t.Errorf("%s = %s, want %s", n, got[n].String(), s)
				}
			}
		})
	}
}

func TestCopyPolicy(t *testing.T) {
	for _, c := range []struct {
		name string
		p    Policy
		want string
	}{
		{"own days", Policy{Name: "dr", Last: 7, CopyRegion: "eu-west-1", CopyDays: 90}, "dr@copy=every:run,days:90"},
		{"the source's rules", Policy{Name: "dr", Last: 7, Weekly: 4, CopyRegion: "eu-west-1"}, "dr@copy=every:run,last:7,weekly:4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.p.CopyPolicy().String(); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestRetentionDays(t *testing.T) {
	b := Builtins(30, time.UTC)
	for _, c := range []struct {
		name string
		p    Policy
		want int
	}{
		{"daily", b["daily"], 30}, {"weekly", b["weekly"], 84}, {"monthly", b["monthly"], 372},
		{"count only uses the default", Policy{Last: 3}, 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.p.RetentionDays(30); got != c.want {
				t.Errorf("got %d, want %d", got, c.want)
			}
		})
	}
}
