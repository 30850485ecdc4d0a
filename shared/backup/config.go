// Package backup is the backup job: EBS snapshots of tagged volumes and
// instances with policy retention, and enforcement on tagged S3 buckets.
// Everything it remembers lives in tags, so it needs no database.
package backup

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // policy time zones must load in Lambda's minimal image

	"github.com/aws-commander/commander/shared/backup/retention"
	"github.com/aws-commander/commander/shared/settings"
)

// Config is the backup job's own configuration, on top of settings.
type Config struct {
	Policies    map[string]retention.Policy // built-ins plus COMMANDER_BACKUP_POLICIES
	ExcludeRoot bool                        // instances: leave out the root volume
	S3          bool                        // enforce tagged S3 buckets
}

var tzRE = regexp.MustCompile(`^[A-Za-z0-9_+\-/]{1,64}$`)

// LoadConfig reads the backup variables through settings.Env, so a bad
// value fails the start naming the variable:
//
//	COMMANDER_BACKUP_POLICIES      extra or overriding policies (see retention.Syntax)
//	COMMANDER_BACKUP_TIME_ZONE     calendar of policies without tz (default UTC)
//	COMMANDER_BACKUP_EXCLUDE_ROOT  leave instances' root volumes out (default false)
//	COMMANDER_BACKUP_S3            enforce tagged buckets (default true)
func LoadConfig(get func(string) string, s settings.Settings) (Config, error) {
	e := settings.NewEnv(get)
	c := Config{
		ExcludeRoot: e.Bool("COMMANDER_BACKUP_EXCLUDE_ROOT", false),
		S3:          e.Bool("COMMANDER_BACKUP_S3", true),
	}
	tz := e.Match("COMMANDER_BACKUP_TIME_ZONE", "UTC", tzRE, "an IANA time zone such as UTC or Europe/Paris")
	loc, err := time.LoadLocation(tz)
	if err != nil {
		e.Fail("COMMANDER_BACKUP_TIME_ZONE", tz, "an IANA time zone such as UTC or Europe/Paris")
		loc = time.UTC
	}
	c.Policies = retention.Builtins(s.BackupRetentionDays, loc)
	spec := e.String("COMMANDER_BACKUP_POLICIES", "")
	extra, err := retention.Parse(spec, loc)
	if err != nil {
		// One line per variable: Parse's problems, one per line, joined.
		e.Fail("COMMANDER_BACKUP_POLICIES", spec, retention.Syntax+" ("+strings.ReplaceAll(err.Error(), "\n", "; ")+")")
	}
	for n, p := range extra {
		c.Policies[n] = p
		if p.CopyRegion != "" {
			c.Policies[n+retention.CopySuffix] = p.CopyPolicy()
		}
	}
	return c, e.Err()
}

// CopyRegions are the destinations of cross-region copies.
func (c Config) CopyRegions() []string {
	var out []string
	for _, p := range c.Policies {
		if p.CopyRegion != "" && !slices.Contains(out, p.CopyRegion) {
			out = append(out, p.CopyRegion)
		}
	}
	slices.Sort(out)
	return out
}

// PolicyNames lists the known policies, for messages.
func (c Config) PolicyNames() string {
	var names []string
	for n := range c.Policies {
		if !strings.HasSuffix(n, retention.CopySuffix) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func (c Config) policy(name string) (retention.Policy, error) {
	p, ok := c.Policies[name]
	ok = ok && !strings.HasSuffix(name, retention.CopySuffix)
	if !ok {
		return p, fmt.Errorf("unknown backup policy %q: known are %s (add it to COMMANDER_BACKUP_POLICIES)", name, c.PolicyNames())
	}
	return p, nil
}
