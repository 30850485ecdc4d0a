// Package tags is the tag vocabulary: the users' interface on their resources.
package tags

import (
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"sort"
	"strings"
	"time"
)

const (
	Protect        = "commander:protect"       // "true": never stopped, terminated or deleted (key configurable: COMMANDER_PROTECT_TAG)
	Backup         = "commander:backup"        // backup policy name on a volume, instance or bucket
	BackupPolicy   = "commander:backup-policy" // on a snapshot: the policy it was made under
	ManagedBy      = "commander:managed-by"    // "commander" on everything this system created
	CreatedAt      = "commander:created-at"    // RFC 3339
	CreatedBy      = "commander:created-by"    // IAM identity or request id
	OnAlarm        = "commander:on-alarm"      // on an alarm: reaction on ALARM
	OnOK           = "commander:on-ok"         // on an alarm: reaction on the way back to OK
	ExpiresAt      = "commander:expires-at"    // RFC 3339: cleanup may remove it after
	CleanupDue     = "commander:cleanup-due"   // RFC 3339: set by cleanup's mark step
	CleanupAction  = "commander:cleanup-action"
	RunKey         = "commander:run"             // idempotency key of the run that made it
	SourceInstance = "commander:source-instance" // on a snapshot: the instance whose set it belongs to
	// Office hours: the schedule an instance keeps to, an override that
	// holds it ("running|stopped [until <RFC 3339>]"), and what the
	// scheduler last enforced on it ("stopped@<RFC 3339>"), so it acts only
	// when the schedule's state changes.
	Schedule         = "commander:schedule"
	ScheduleOverride = "commander:schedule-override"
	ScheduleState    = "commander:schedule-state"
	// AutoScalingGroup is AWS's own tag on an instance an Auto Scaling group launched.
	AutoScalingGroup = "aws:autoscaling:groupName"

	ManagedByValue = "commander"
)

// Lookup finds key in a list of SDK tags through the key/value getters, so it
// works with every service's own Tag type.
func Lookup[T any](list []T, key string, k, v func(T) *string) (string, bool) {
	for _, t := range list {
		if kp := k(t); kp != nil && *kp == key {
			if vp := v(t); vp != nil {
				return *vp, true
			}
			return "", true
		}
	}
	return "", false
}

// IsTrue is how every boolean tag is read: "true" in any case, nothing else.
func IsTrue(v string) bool { return strings.EqualFold(strings.TrimSpace(v), "true") }

// Managed returns the tags everything this system creates carries.
func Managed(by string, now time.Time) map[string]string {
	return map[string]string{ManagedBy: ManagedByValue, CreatedAt: now.UTC().Format(time.RFC3339), CreatedBy: by}
}

// UserTag reports whether key may be copied onto something we create:
// keys starting with aws: are AWS's and cannot be set by anyone else.
func UserTag(key string) bool { return !strings.HasPrefix(strings.ToLower(key), "aws:") }

// List turns m into a service's own tag type, sorted by key so that requests
// (and dry-run plans) are stable. mk builds one tag, e.g.
// func(k, v *string) ec2types.Tag { return ec2types.Tag{Key: k, Value: v} }.
func List[T any](m map[string]string, mk func(k, v *string) T) []T {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]T, 0, len(m))
	for _, k := range keys {
		v := m[k]
		out = append(out, mk(&k, &v))
	}
	return out
}

// Map turns a service's tags into a map, through the key/value getters.
func Map[T any](list []T, k, v func(T) *string) map[string]string {
	out := make(map[string]string, len(list))
	for _, t := range list {
		if kp := k(t); kp != nil {
			vp := v(t)
			if vp == nil {
				out[*kp] = ""
			} else {
				out[*kp] = *vp
			}
		}
	}
	return out
}

// EC2 turns EC2 tags into a map: every job and command reads them so.
func EC2(list []ec2types.Tag) map[string]string {
	return Map(list, func(t ec2types.Tag) *string { return t.Key }, func(t ec2types.Tag) *string { return t.Value })
}
