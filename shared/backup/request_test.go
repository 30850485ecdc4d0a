package backup

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/trigger"
	"github.com/aws/aws-sdk-go-v2/aws"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestDecode(t *testing.T) {
	now := time.Date(2026, 2, 1, 2, 0, 0, 0, time.UTC)
	cases := []struct {
		name, event string
		kind        string
		dry         bool
		policy, key string
		err         string
	}{
		{name: "scheduler", event: `{"version":"0","id":"a","detail-type":"Scheduled Event","source":"aws.scheduler","time":"2026-01-31T02:00:00Z","resources":["arn:s"],"detail":"{}"}`,
			kind: trigger.Schedule, key: "arn:s@2026-01-31T02:00:00Z"},
		{name: "schedule input with options", event: `{"version":"0","id":"a","detail-type":"Scheduled Event","source":"aws.events","time":"2026-01-31T02:00:00Z","resources":["arn:r"],"detail":{"dryRun":true,"policy":"weekly"}}`,
			kind: trigger.Schedule, dry: true, policy: "weekly", key: "arn:r@2026-01-31T02:00:00Z"},
		{name: "other EventBridge event: its id", event: `{"version":"0","id":"ev-9","detail-type":"Backup Requested","source":"ops","time":"2026-01-31T02:00:00Z","detail":{}}`,
			kind: trigger.Event, key: "ev-9"},
		{name: "direct dry run", event: `{"dryRun":true}`, kind: trigger.Direct, dry: true, key: "direct@2026-02-01T02:00:00Z"},
		{name: "direct with run id", event: `{"runId":"manual-1","policy":"daily"}`, kind: trigger.Direct, policy: "daily", key: "direct:manual-1"},
		{name: "continuation keeps the key", event: `{"continuation":{"hop":2,"key":"k1","event":{"runId":"x","dryRun":true}}}`,
			kind: trigger.Direct, dry: true, key: "k1"},
		{name: "continuation of a schedule", event: `{"continuation":{"hop":1,"key":"arn:s@2026-01-31T02:00:00Z","event":{"version":"0","id":"a","detail-type":"Scheduled Event","source":"aws.scheduler","time":"2026-01-31T02:00:00Z","resources":["arn:s"],"detail":"{}"}}}`,
			kind: trigger.Schedule, key: "arn:s@2026-01-31T02:00:00Z"},
		{name: "nested continuation", event: `{"continuation":{"hop":1,"key":"k","event":{"continuation":{"hop":1,"key":"k","event":{}}}}}`, err: "nested"},
		{name: "continuation without key", event: `{"continuation":{"hop":1,"event":{}}}`, err: `"continuation.key"`},
		{name: "continuation hop 0", event: `{"continuation":{"hop":0,"key":"k","event":{}}}`, err: `"continuation.hop"`},
		{name: "unknown field", event: `{"dry_run":true}`, err: `unknown field "dry_run"`},
		{name: "wrong type", event: `{"dryRun":"yes"}`, err: `dryRun`},
		{name: "bad policy name", event: `{"policy":"Daily Backups"}`, err: `field "policy"`},
		{name: "long run id", event: `{"runId":"` + strings.Repeat("x", 129) + `"}`, err: `field "runId"`},
		{name: "http request", event: `{"version":"2.0","routeKey":"GET /","requestContext":{"requestId":"r"}}`, err: "HTTP"},
		{name: "not JSON", event: `nope`, err: "JSON object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Decode([]byte(c.event))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Trigger.Kind != c.kind || r.DryRun != c.dry || r.Policy != c.policy || r.Key(now) != c.key {
				t.Errorf("got kind %s dry %v policy %q key %q", r.Trigger.Kind, r.DryRun, r.Policy, r.Key(now))
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	cases := []struct {
		name string
		vars map[string]string
		want map[string]string // policy -> String()
		err  string
	}{
		{name: "built-ins from the retention setting", vars: map[string]string{"COMMANDER_BACKUP_RETENTION_DAYS": "14"},
			want: map[string]string{"daily": "daily=every:run,days:14", "weekly": "weekly=every:week,weekly:12", "monthly": "monthly=every:month,monthly:12"}},
		{name: "added and overridden", vars: map[string]string{"COMMANDER_BACKUP_POLICIES": "daily=last:7;gold=every:day,daily:7,weekly:4,monthly:12"},
			want: map[string]string{"daily": "daily=every:run,last:7", "gold": "gold=every:day,daily:7,weekly:4,monthly:12"}},
		{name: "time zone", vars: map[string]string{"COMMANDER_BACKUP_TIME_ZONE": "Europe/Paris"},
			want: map[string]string{"weekly": "weekly=every:week,weekly:12,tz:Europe/Paris"}},
		{name: "bad policies name the variable", vars: map[string]string{"COMMANDER_BACKUP_POLICIES": "x=keep:1"}, err: `COMMANDER_BACKUP_POLICIES="x=keep:1" is invalid`},
		{name: "bad time zone", vars: map[string]string{"COMMANDER_BACKUP_TIME_ZONE": "Mars/Olympus"}, err: `COMMANDER_BACKUP_TIME_ZONE="Mars/Olympus" is invalid`},
		{name: "bad bool", vars: map[string]string{"COMMANDER_BACKUP_EXCLUDE_ROOT": "maybe"}, err: `COMMANDER_BACKUP_EXCLUDE_ROOT="maybe" is invalid`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			get := func(k string) string {
				if k == "AWS_REGION" {
					return "us-east-1"
				}
				return c.vars[k]
			}
			s, err := settings.Load(get)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadConfig(get, s)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for n, want := range c.want {
				if got := cfg.Policies[n].String(); got != want {
					t.Errorf("%s = %s, want %s", n, got, want)
				}
			}
		})
	}
}

func TestMergeLifecycle(t *testing.T) {
	user := s3types.LifecycleRule{ID: aws.String("user"), Status: s3types.ExpirationStatusEnabled, Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(90)}}
	ours, _ := MergeLifecycle(nil, 30)
	disabled := ours[0]
	disabled.Status = s3types.ExpirationStatusDisabled
	legacy := s3types.LifecycleRule{ID: aws.String("legacy"), Status: s3types.ExpirationStatusEnabled, Prefix: aws.String("logs/"), Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(90)}}
	partial := ours[0]
	partial.Filter = &s3types.LifecycleRuleFilter{Prefix: aws.String("tmp/")}
	cases := []struct {
		name  string
		rules []s3types.LifecycleRule
		days  int32
		drift string // "" for none
		ids   []string
	}{
		{"no rules", nil, 30, "no rule", []string{LifecycleRuleID}},
		{"user rule kept, ours added", []s3types.LifecycleRule{user}, 30, "no rule", []string{"user", LifecycleRuleID}},
		{"already right", []s3types.LifecycleRule{user, ours[0]}, 30, "", []string{"user", LifecycleRuleID}},
		{"other days", []s3types.LifecycleRule{ours[0], user}, 84, "after 30 days, not 84", []string{LifecycleRuleID, "user"}},
		{"disabled", []s3types.LifecycleRule{disabled}, 30, "Disabled", []string{LifecycleRuleID}},
		{"narrowed to a prefix", []s3types.LifecycleRule{partial, user}, 30, "part of the bucket", []string{LifecycleRuleID, "user"}},
		{"legacy prefix style followed", []s3types.LifecycleRule{legacy}, 30, "no rule", []string{"legacy", LifecycleRuleID}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, drift := MergeLifecycle(c.rules, c.days)
			if (c.drift == "") != (drift == "") || !strings.Contains(drift, c.drift) {
				t.Errorf("drift %q, want %q", drift, c.drift)
			}
			var ids []string
			legacyStyle := slices.ContainsFunc(c.rules, func(r s3types.LifecycleRule) bool { return r.Filter == nil && r.Prefix != nil })
			for _, r := range got {
				if aws.ToString(r.ID) == LifecycleRuleID && legacyStyle != (r.Filter == nil) {
					t.Errorf("our rule mixes Filter and legacy Prefix styles with the user's rules: %+v", r)
				}
				ids = append(ids, aws.ToString(r.ID))
				if aws.ToString(r.ID) == LifecycleRuleID && aws.ToInt32(r.NoncurrentVersionExpiration.NoncurrentDays) != c.days {
					t.Errorf("our rule keeps %d days, want %d", aws.ToInt32(r.NoncurrentVersionExpiration.NoncurrentDays), c.days)
				}
				if aws.ToString(r.ID) == "user" && aws.ToInt32(r.Expiration.Days) != 90 {
					t.Error("the user's rule changed")
				}
			}
			if strings.Join(ids, ",") != strings.Join(c.ids, ",") {
				t.Errorf("rules %v, want %v", ids, c.ids)
			}
		})
	}
}

func TestSnapshotTags(t *testing.T) {
	tg := &target{VolumeID: "vol-1", InstanceID: "i-1", Policy: "daily", Tags: sourceTagsOf(ec2Tags(
		"Name", "db", "aws:cloudformation:stack-name", "s", "commander:backup", "daily", "commander:protect", "true", "my:protect", "true", " My:Protect", "yes"))}
	got := tags.EC2(snapshotTags(tg, "daily", strings.Repeat("k", 300), "my:protect", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	for k, v := range map[string]string{"Name": "db", SourceVolume: "vol-1", SourceInstance: "i-1", "commander:backup-policy": "daily", "commander:created-at": "2026-01-01T00:00:00Z"} {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, k := range []string{"aws:cloudformation:stack-name", "commander:backup", "commander:protect", "my:protect", " My:Protect"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s was copied", k)
		}
	}
	if rk := got["commander:run"]; !strings.HasPrefix(rk, "sha256:") || len(rk) > maxTagValue {
		t.Errorf("a long run key must be hashed: %q", rk)
	}
}
