package retention

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Snapshot is what retention needs to know about one snapshot.
type Snapshot struct {
	ID        string
	Policy    string    // the policy it was made under (commander:backup-policy)
	Time      time.Time // when the backup was taken
	Completed bool
	// Failed: in state error (AWS could not complete it). Nothing can be
	// restored from it, so no rule counts it as a backup, and Plan deletes it.
	Failed    bool
	Protected bool // carries the protection tag
	AWSBackup bool // made by AWS Backup (aws:backup:source-resource)
	InAMI     bool // an AMI's block device mapping uses it
}

// Volume is one source volume's snapshots made by this system.
type Volume struct {
	ID     string
	Exists bool // the volume still exists
	// Hold, when set, is why no snapshot of this volume may be deleted this
	// run: its backup was due and did not happen (failed, or still planned),
	// so pruning could leave it with fewer backups than its policy promises.
	Hold      string
	Snapshots []Snapshot
}

// Verdict is the decision for one snapshot.
type Verdict struct {
	Snapshot Snapshot
	Delete   bool
	Reason   string
}

// Due reports whether a policy takes a backup at now, given the time of
// the newest backup it already has (zero for none), and why.
func Due(p Policy, newest, now time.Time) (bool, string) {
	if p.Every == EveryRun || p.Every == "" {
		return true, "policy " + p.Name + " backs up every run"
	}
	if newest.IsZero() {
		return true, "policy " + p.Name + ": no backup yet"
	}
	unit := map[Every]string{EveryDay: "day", EveryWeek: "week", EveryMonth: "month"}[p.Every]
	b, n := bucket(unit, newest.In(p.loc())), bucket(unit, now.In(p.loc()))
	if b == n {
		return false, fmt.Sprintf("policy %s: this %s (%s) already has a backup, taken %s", p.Name, unit, n, newest.UTC().Format(time.RFC3339))
	}
	return true, fmt.Sprintf("policy %s: first backup of %s %s", p.Name, unit, n)
}

// bucket names the calendar period t falls in.
func bucket(unit string, t time.Time) string {
	switch unit {
	case "day":
		return t.Format("2006-01-02")
	case "week":
		y, w := t.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case "month":
		return t.Format("2006-01")
	default:
		return t.Format("2006")
	}
}

// Plan decides for each snapshot of v whether to delete it, with a reason.
// Each snapshot is judged by its own policy (policies maps names to them).
// Only completed snapshots are backups: a pending one may still fail, so
// no rule counts it (it neither fills a "newest N" place nor stands in as
// the newest backup) and it is kept. Plan deletes the completed snapshots
// that no rule keeps and that are none of: protected, made by AWS Backup,
// used by an AMI, the newest completed snapshot of a volume that still
// exists, under an unknown policy, or of a volume on hold; and the failed
// ones (state error) that are not protected or made by AWS Backup, since
// they hold nothing and nothing else would ever remove them.
func Plan(v Volume, policies map[string]Policy, now time.Time) []Verdict {
	snaps := append([]Snapshot(nil), v.Snapshots...)
	// Newest first; the id breaks ties so the plan is deterministic.
	sort.Slice(snaps, func(i, j int) bool {
		if !snaps[i].Time.Equal(snaps[j].Time) {
			return snaps[i].Time.After(snaps[j].Time)
		}
		return snaps[i].ID > snaps[j].ID
	})
	newest := ""
	for _, s := range snaps {
		if s.Completed {
			newest = s.ID
			break
		}
	}
	kept := map[string][]string{}
	byPolicy := map[string][]Snapshot{}
	for _, s := range snaps {
		if s.Completed {
			byPolicy[s.Policy] = append(byPolicy[s.Policy], s)
		}
	}
	for name, list := range byPolicy {
		if p, ok := policies[name]; ok {
			for id, why := range keeps(p, list, now) {
				kept[id] = append(kept[id], why...)
			}
		}
	}
	out := make([]Verdict, 0, len(snaps))
	for _, s := range snaps {
		keep := func(why string) { out = append(out, Verdict{Snapshot: s, Reason: why}) }
		p, known := policies[s.Policy]
		switch {
		case s.AWSBackup:
			keep("made by AWS Backup (aws:backup:source-resource): AWS Backup manages it")
		case s.Protected:
			keep("protected by its protection tag")
		case s.InAMI:
			keep("used by an AMI")
		case s.Failed:
			out = append(out, Verdict{Snapshot: s, Delete: true, Reason: Unusable})
		case !s.Completed:
			keep("not completed yet")
		case !known:
			keep(fmt.Sprintf("policy %q is not defined: kept until it is", s.Policy))
		case len(kept[s.ID]) > 0:
			keep("policy " + p.Name + " keeps it: " + strings.Join(kept[s.ID], "; "))
		case v.Exists && s.ID == newest:
			keep("newest completed snapshot of a volume that still exists")
		case v.Hold != "":
			keep("pruning waits: " + v.Hold)
		default:
			out = append(out, Verdict{Snapshot: s, Delete: true, Reason: Expired(p, s.Time, now)})
		}
	}
	return out
}

// keeps returns, for the snapshots a policy's rules keep (list is newest
// first, completed only), the rules that keep each.
func keeps(p Policy, list []Snapshot, now time.Time) map[string][]string {
	out := map[string][]string{}
	loc := p.loc()
	for i, s := range list {
		if i < p.Last {
			out[s.ID] = append(out[s.ID], fmt.Sprintf("among the newest %d", p.Last))
		}
		if p.Days > 0 && s.Time.After(cutoff(p, now)) {
			out[s.ID] = append(out[s.ID], fmt.Sprintf("younger than %d days", p.Days))
		}
	}
	for _, r := range []struct {
		unit, label string
		n           int
	}{{"day", "daily", p.Daily}, {"week", "weekly", p.Weekly}, {"month", "monthly", p.Monthly}, {"year", "yearly", p.Yearly}} {
		last, count := "", 0
		for _, s := range list {
			if count >= r.n {
				break
			}
			if b := bucket(r.unit, s.Time.In(loc)); b != last {
				last = b
				count++
				out[s.ID] = append(out[s.ID], fmt.Sprintf("newest of %s %s (%s %d)", r.unit, b, r.label, r.n))
			}
		}
	}
	return out
}

// cutoff is now minus Days calendar days in the policy's time zone, so a
// daylight-saving change does not shift retention by an hour.
func cutoff(p Policy, now time.Time) time.Time {
	return now.In(p.loc()).AddDate(0, 0, -p.Days)
}

// Unusable is the reason Plan gives for deleting a failed snapshot.
const Unusable = "ended in state error: nothing can be restored from it, so it is no backup"

// Expired is the reason Plan gives for every snapshot it deletes: the
// policy's rules, none of which keeps a snapshot taken at taken. A caller
// that holds many deletions can keep the time and build the reason when
// it reports.
func Expired(p Policy, taken, now time.Time) string {
	var rules []string
	if p.Last > 0 {
		rules = append(rules, fmt.Sprintf("not among the newest %d", p.Last))
	}
	if p.Days > 0 {
		rules = append(rules, fmt.Sprintf("older than %d days (taken %s)", p.Days, taken.UTC().Format(time.RFC3339)))
	}
	var gfs []string
	for _, r := range []struct {
		label string
		n     int
	}{{"daily", p.Daily}, {"weekly", p.Weekly}, {"monthly", p.Monthly}, {"yearly", p.Yearly}} {
		if r.n > 0 {
			gfs = append(gfs, fmt.Sprintf("%s %d", r.label, r.n))
		}
	}
	if len(gfs) > 0 {
		rules = append(rules, "outside the rotation ("+strings.Join(gfs, ", ")+")")
	}
	return "policy " + p.Name + ": " + strings.Join(rules, ", ")
}
