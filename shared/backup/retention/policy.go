// Package retention decides, without any I/O, when a volume is due for a
// backup and which of its snapshots a backup policy keeps, and why.
package retention

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Every is how often a policy takes a backup.
type Every string

const (
	EveryRun   Every = "run"   // every scheduled run
	EveryDay   Every = "day"   // the first run of each calendar day (policy time zone)
	EveryWeek  Every = "week"  // the first run of each ISO week
	EveryMonth Every = "month" // the first run of each calendar month
)

// Policy is a named backup policy: how often it backs up and what it keeps.
// A snapshot is kept when any rule keeps it.
type Policy struct {
	Name  string
	Every Every
	Last  int // keep the newest Last snapshots
	Days  int // keep snapshots younger than Days calendar days
	// Grandfather-father-son: keep the newest snapshot of each of the most
	// recent N days, ISO weeks, months and years that have one.
	Daily, Weekly, Monthly, Yearly int
	Location                       *time.Location // calendar for Every, Days and rotation; nil is UTC

	// Optional cross-region copy of each new backup, with its own retention.
	CopyRegion string // destination region
	CopyKMSKey string // KMS key in the destination; empty: the destination's default EBS key
	CopyDays   int    // copies are kept this many days; 0: the policy's own rules
}

// CopySuffix marks the policy name copies carry, so that their own
// retention applies to them.
const CopySuffix = "@copy"

// CopyPolicy is the retention of a policy's cross-region copies.
func (p Policy) CopyPolicy() Policy {
	c := Policy{Name: p.Name + CopySuffix, Every: EveryRun, Location: p.Location}
	if p.CopyDays > 0 {
		c.Days = p.CopyDays
		return c
	}
	c.Last, c.Days, c.Daily, c.Weekly, c.Monthly, c.Yearly = p.Last, p.Days, p.Daily, p.Weekly, p.Monthly, p.Yearly
	return c
}

func (p Policy) loc() *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

// KeepsSomething reports whether any retention rule is set; a policy without
// one would delete everything but the newest snapshot, so Parse refuses it.
func (p Policy) KeepsSomething() bool {
	return p.Last > 0 || p.Days > 0 || p.Daily > 0 || p.Weekly > 0 || p.Monthly > 0 || p.Yearly > 0
}

// RetentionDays is how long a version under this policy should live, for
// S3 noncurrent-version expiry: Days, or the span the rotation covers.
func (p Policy) RetentionDays(def int) int {
	d := p.Days
	for _, span := range []int{p.Daily, p.Weekly * 7, p.Monthly * 31, p.Yearly * 366} {
		d = max(d, span)
	}
	if d == 0 {
		return def
	}
	return d
}

// String is the policy in the syntax Parse reads.
func (p Policy) String() string {
	parts := []string{"every:" + string(p.Every)}
	for _, kv := range []struct {
		k string
		v int
	}{{"last", p.Last}, {"days", p.Days}, {"daily", p.Daily}, {"weekly", p.Weekly}, {"monthly", p.Monthly}, {"yearly", p.Yearly}} {
		if kv.v > 0 {
			parts = append(parts, kv.k+":"+strconv.Itoa(kv.v))
		}
	}
	if p.Location != nil && p.Location != time.UTC {
		parts = append(parts, "tz:"+p.Location.String())
	}
	if p.CopyRegion != "" {
		parts = append(parts, "copy:"+p.CopyRegion)
	}
	if p.CopyKMSKey != "" {
		parts = append(parts, "copykms:"+p.CopyKMSKey)
	}
	if p.CopyDays > 0 {
		parts = append(parts, "copydays:"+strconv.Itoa(p.CopyDays))
	}
	return p.Name + "=" + strings.Join(parts, ",")
}

// Builtins are the policies that work by tagging alone: daily keeps every
// run's snapshot for days (the original tool's 30-day retention), weekly and
// monthly keep one snapshot per week for 12 weeks and per month for 12 months.
func Builtins(days int, loc *time.Location) map[string]Policy {
	return map[string]Policy{
		"daily":   {Name: "daily", Every: EveryRun, Days: days, Location: loc},
		"weekly":  {Name: "weekly", Every: EveryWeek, Weekly: 12, Location: loc},
		"monthly": {Name: "monthly", Every: EveryMonth, Monthly: 12, Location: loc},
	}
}

// NameRE is what a policy name may look like (it is a tag value users type).
var NameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Syntax describes what Parse accepts, for error messages.
const Syntax = `policies separated by ";", each name=key:value,... with keys every (run, day, week, month), last, days, daily, weekly, monthly, yearly (whole numbers), tz (IANA time zone), copy (region), copykms (KMS key), copydays (whole number), e.g. "critical=every:run,last:14,days:90,copy:eu-west-1;archive=every:month,monthly:24,yearly:5"`

var (
	regionRE = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$`)
	kmsRE    = regexp.MustCompile(`^(arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[\w/+=,.@-]+|alias/[\w/+=,.@-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)
)

const maxKeep = 100000

// Parse reads policies in the compact syntax (see Syntax). loc is the time
// zone of a policy without tz. Errors name the policy and the key.
func Parse(spec string, loc *time.Location) (map[string]Policy, error) {
	out := map[string]Policy{}
	for _, item := range strings.Split(spec, ";") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, body, ok := strings.Cut(item, "=")
		name = strings.TrimSpace(name)
		if !ok || !NameRE.MatchString(name) {
			return nil, fmt.Errorf("policy %q: accepts name=key:value,... with a name of lowercase letters, digits, - and _", item)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("policy %q is defined twice", name)
		}
		p := Policy{Name: name, Every: EveryRun, Location: loc}
		seen := map[string]bool{}
		for _, kv := range strings.Split(body, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), ":")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || v == "" {
				return nil, fmt.Errorf("policy %q: %q is not key:value", name, kv)
			}
			if seen[k] {
				return nil, fmt.Errorf("policy %q: key %q is set twice", name, k)
			}
			seen[k] = true
			switch k {
			case "every":
				e := Every(v)
				if !slices.Contains([]Every{EveryRun, EveryDay, EveryWeek, EveryMonth}, e) {
					return nil, fmt.Errorf("policy %q: every:%s: accepts run, day, week or month", name, v)
				}
				p.Every = e
			case "tz":
				l, err := time.LoadLocation(v)
				if err != nil {
					return nil, fmt.Errorf("policy %q: tz:%s: accepts an IANA time zone such as Europe/Paris", name, v)
				}
				p.Location = l
			case "copy":
				if !regionRE.MatchString(v) {
					return nil, fmt.Errorf("policy %q: copy:%s: accepts a region name such as eu-west-1", name, v)
				}
				p.CopyRegion = v
			case "copykms":
				if !kmsRE.MatchString(v) {
					return nil, fmt.Errorf("policy %q: copykms:%s: accepts a KMS key id, alias/name or key ARN", name, v)
				}
				p.CopyKMSKey = v
			case "last", "days", "daily", "weekly", "monthly", "yearly", "copydays":
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 || n > maxKeep {
					return nil, fmt.Errorf("policy %q: %s:%s: accepts a whole number from 0 to %d", name, k, v, maxKeep)
				}
				*map[string]*int{"last": &p.Last, "days": &p.Days, "daily": &p.Daily, "weekly": &p.Weekly, "monthly": &p.Monthly, "yearly": &p.Yearly, "copydays": &p.CopyDays}[k] = n
			default:
				return nil, fmt.Errorf("policy %q: unknown key %q: accepts every, last, days, daily, weekly, monthly, yearly, tz, copy, copykms, copydays", name, k)
			}
		}
		if !p.KeepsSomething() {
			return nil, fmt.Errorf("policy %q keeps nothing: set at least one of last, days, daily, weekly, monthly, yearly", name)
		}
		if p.CopyRegion == "" && (p.CopyKMSKey != "" || p.CopyDays > 0) {
			return nil, fmt.Errorf("policy %q: copykms and copydays need copy:<region>", name)
		}
		out[name] = p
	}
	return out, nil
}
