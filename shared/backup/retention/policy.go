// Package retention decides, without any I/O, when a volume is due for a
// backup and which of its snapshots a backup policy keeps, and why.
package retention

import (
	"errors"
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

// NamePattern is what a policy name may look like (it is a tag value users type).
const NamePattern = `^[a-z0-9][a-z0-9_-]{0,62}$`

// NameRE is NamePattern compiled.
var NameRE = regexp.MustCompile(NamePattern)

// Syntax describes what Parse accepts, for error messages.
const Syntax = `policies separated by ";", each name=key:value,... with keys every (run, day, week, month), last, days, daily, weekly, monthly, yearly (whole numbers), tz (IANA time zone), copy (region), copykms (KMS key), copydays (whole number), e.g. "critical=every:run,last:14,days:90,copy:eu-west-1;archive=every:month,monthly:24,yearly:5"`

// Key is one key of a policy, declared once: Parse accepts these keys and
// shared/schema states them in the schema of COMMANDER_BACKUP_POLICIES.
type Key struct {
	Name string
	Doc  string
	// Value is what the value is: one of the Value* below.
	Value string
}

// The kinds of a key's value.
const (
	ValueEvery  = "every"  // one of Everys
	ValueCount  = "count"  // a whole number from 0 to MaxKeep
	ValueZone   = "zone"   // an IANA time zone (time.LoadLocation)
	ValueRegion = "region" // RegionPattern
	ValueKMS    = "kms"    // KMSPattern
)

// Keys are the keys of a policy, in the order String writes them.
var Keys = []Key{
	{Name: "every", Value: ValueEvery, Doc: "how often it backs up (default run): run, day, week or month, calendar periods in the policy's time zone"},
	{Name: "last", Value: ValueCount, Doc: "keep the newest N"},
	{Name: "days", Value: ValueCount, Doc: "keep everything younger than D calendar days"},
	{Name: "daily", Value: ValueCount, Doc: "keep the newest snapshot of each of the last N days that have one"},
	{Name: "weekly", Value: ValueCount, Doc: "keep the newest snapshot of each of the last N ISO weeks that have one"},
	{Name: "monthly", Value: ValueCount, Doc: "keep the newest snapshot of each of the last N months that have one"},
	{Name: "yearly", Value: ValueCount, Doc: "keep the newest snapshot of each of the last N years that have one"},
	{Name: "tz", Value: ValueZone, Doc: "the calendar for every, days and rotation (default COMMANDER_BACKUP_TIME_ZONE)"},
	{Name: "copy", Value: ValueRegion, Doc: "copy each new backup to this region"},
	{Name: "copykms", Value: ValueKMS, Doc: "encrypt the copies with this KMS key in the destination (needs copy)"},
	{Name: "copydays", Value: ValueCount, Doc: "keep the copies D days (default: the policy's own rules; needs copy)"},
}

// Everys are the values of every.
var Everys = []Every{EveryRun, EveryDay, EveryWeek, EveryMonth}

// RegionPattern is a region name; KMSPattern a KMS key id, alias/name or key ARN.
const (
	RegionPattern = `^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$`
	KMSPattern    = `^(arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[\w/+=,.@-]+|alias/[\w/+=,.@-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`
)

var (
	regionRE = regexp.MustCompile(RegionPattern)
	kmsRE    = regexp.MustCompile(KMSPattern)
)

// MaxKeep bounds every count.
const MaxKeep = 100000

// Parse reads policies in the compact syntax (see Syntax). loc is the time
// zone of a policy without tz. The error lists every problem, one per line,
// each naming the policy and the key.
func Parse(spec string, loc *time.Location) (map[string]Policy, error) {
	out := map[string]Policy{}
	var errs []error
	for _, item := range strings.Split(spec, ";") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, body, ok := strings.Cut(item, "=")
		name = strings.TrimSpace(name)
		if !ok || !NameRE.MatchString(name) {
			errs = append(errs, fmt.Errorf("policy %q: accepts name=key:value,... with a name of lowercase letters, digits, - and _", item))
			continue
		}
		if _, dup := out[name]; dup {
			errs = append(errs, fmt.Errorf("policy %q is defined twice", name))
			continue
		}
		p, perrs := parsePolicy(name, body, loc)
		if len(perrs) > 0 {
			errs = append(errs, perrs...)
			// Taken, so that a later policy of the same name is still a duplicate.
			out[name] = Policy{}
			continue
		}
		out[name] = p
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// parsePolicy reads one policy's key:value list; every bad key is a problem.
func parsePolicy(name, body string, loc *time.Location) (Policy, []error) {
	p := Policy{Name: name, Every: EveryRun, Location: loc}
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("policy %q: "+format, append([]any{name}, args...)...))
	}
	counts := map[string]*int{"last": &p.Last, "days": &p.Days, "daily": &p.Daily, "weekly": &p.Weekly, "monthly": &p.Monthly, "yearly": &p.Yearly, "copydays": &p.CopyDays}
	seen := map[string]bool{}
	for _, kv := range strings.Split(body, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || v == "" {
			fail("%q is not key:value", kv)
			continue
		}
		if seen[k] {
			fail("key %q is set twice", k)
			continue
		}
		seen[k] = true
		i := slices.IndexFunc(Keys, func(key Key) bool { return key.Name == k })
		if i < 0 {
			names := make([]string, len(Keys))
			for j, key := range Keys {
				names[j] = key.Name
			}
			fail("unknown key %q: accepts %s", k, strings.Join(names, ", "))
			continue
		}
		switch Keys[i].Value {
		case ValueEvery:
			e := Every(v)
			if !slices.Contains(Everys, e) {
				fail("every:%s: accepts run, day, week or month", v)
				continue
			}
			p.Every = e
		case ValueZone:
			l, err := time.LoadLocation(v)
			if err != nil {
				fail("tz:%s: accepts an IANA time zone such as Europe/Paris", v)
				continue
			}
			p.Location = l
		case ValueRegion:
			if !regionRE.MatchString(v) {
				fail("copy:%s: accepts a region name such as eu-west-1", v)
				continue
			}
			p.CopyRegion = v
		case ValueKMS:
			if !kmsRE.MatchString(v) {
				fail("copykms:%s: accepts a KMS key id, alias/name or key ARN", v)
				continue
			}
			p.CopyKMSKey = v
		case ValueCount:
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > MaxKeep {
				fail("%s:%s: accepts a whole number from 0 to %d", k, v, MaxKeep)
				continue
			}
			*counts[k] = n
		}
	}
	if len(errs) > 0 {
		// The rules below would only repeat a bad key's problem.
		return Policy{}, errs
	}
	if !p.KeepsSomething() {
		fail("keeps nothing: set at least one of last, days, daily, weekly, monthly, yearly")
	}
	if p.CopyRegion == "" && (p.CopyKMSKey != "" || p.CopyDays > 0) {
		fail("copykms and copydays need copy:<region>")
	}
	return p, errs
}
