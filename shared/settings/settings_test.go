package settings

import (
	"strings"
	"testing"
	"time"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestLoadDefaults(t *testing.T) {
	s, err := Load(env(map[string]string{"AWS_REGION": "eu-west-1"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"instance type", s.InstanceType, "t2.micro"},
		{"root volume size", s.RootVolumeSizeGB, int32(8)},
		{"root volume type", s.RootVolumeType, "gp3"},
		{"s3 encryption", s.S3Encryption, "AES256"},
		{"retention", s.BackupRetentionDays, 30},
		{"lambda memory", s.LambdaMemoryMB, int32(128)},
		{"lambda timeout", s.LambdaTimeoutSeconds, int32(60)},
		{"cpu threshold", s.CPUAlarmThreshold, 70.0},
		{"cpu periods", s.CPUAlarmPeriods, int32(2)},
		{"cpu period seconds", s.CPUAlarmPeriodSeconds, int32(300)},
		{"namespace", s.MetricsNamespace, "Commander"},
		{"protect tag", s.ProtectTag, "commander:protect"},
		{"regions", strings.Join(s.Regions, ","), "eu-west-1"},
		{"region concurrency", s.RegionConcurrency, 4},
		{"simulated time", s.AllowSimulatedTime, false},
		{"log level", s.LogLevel, "INFO"},
		{"cleanup grace", s.CleanupGrace, 7 * 24 * time.Hour},
		{"dry-run unset uses function default", s.DryRunOr(true), true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadValid(t *testing.T) {
	s, err := Load(env(map[string]string{
		"AWS_REGION":                         "eu-west-1",
		"COMMANDER_REGIONS":                  "us-east-1, eu-central-1,us-east-1",
		"COMMANDER_DRY_RUN":                  "false",
		"COMMANDER_ROOT_VOLUME_TYPE":         "gp2",
		"COMMANDER_S3_ENCRYPTION":            "aws:kms",
		"COMMANDER_S3_KMS_KEY":               "alias/backups",
		"COMMANDER_CPU_ALARM_PERIOD_SECONDS": "60",
		"COMMANDER_CLEANUP_GRACE":            "3d",
		"COMMANDER_ALARM_COOLDOWN":           "90m",
		"AWS_LAMBDA_LOG_LEVEL":               "DEBUG",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := strings.Join(s.Regions, ","); got != "us-east-1,eu-central-1" {
		t.Errorf("regions = %s, want duplicates removed in order", got)
	}
	if s.DryRunOr(true) {
		t.Error("COMMANDER_DRY_RUN=false must win over the function default")
	}
	if s.CleanupGrace != 72*time.Hour || s.AlarmCooldown != 90*time.Minute {
		t.Errorf("durations = %v, %v", s.CleanupGrace, s.AlarmCooldown)
	}
	if s.LogLevel != "DEBUG" {
		t.Errorf("log level = %s", s.LogLevel)
	}
}

func TestLoadRejects(t *testing.T) {
	cases := []struct {
		name, variable, value, wantAccepts string
	}{
		{"negative size", "COMMANDER_ROOT_VOLUME_SIZE_GB", "-1", "from 1 to 16384"},
		{"region concurrency over the maximum", "COMMANDER_REGION_CONCURRENCY", "33", "from 1 to 32"},
		{"zero size", "COMMANDER_ROOT_VOLUME_SIZE_GB", "0", "from 1 to 16384"},
		{"size not a number", "COMMANDER_ROOT_VOLUME_SIZE_GB", "8GB", "whole number"},
		{"unknown volume type", "COMMANDER_ROOT_VOLUME_TYPE", "io2", "gp3, gp2"},
		{"threshold above 100", "COMMANDER_CPU_ALARM_THRESHOLD", "101", "from 0 to 100"},
		{"threshold below 0", "COMMANDER_CPU_ALARM_THRESHOLD", "-5", "from 0 to 100"},
		{"zero periods", "COMMANDER_CPU_ALARM_EVALUATION_PERIODS", "0", "from 1 to 100"},
		{"odd period", "COMMANDER_CPU_ALARM_PERIOD_SECONDS", "45", "multiple of 60"},
		{"malformed duration", "COMMANDER_CLEANUP_GRACE", "a week", "such as 15m, 12h or 7d"},
		{"negative duration", "COMMANDER_ALARM_COOLDOWN", "-5m", "a duration from 0s"},
		{"malformed region", "COMMANDER_REGIONS", "eu-west-1,Mars", "AWS region names"},
		{"malformed home region", "AWS_REGION", "europe", "AWS region name"},
		{"unknown log level", "COMMANDER_LOG_LEVEL", "LOUD", "TRACE, DEBUG, INFO, WARN, ERROR, FATAL"},
		{"unknown lambda log level", "AWS_LAMBDA_LOG_LEVEL", "verbose", "DEBUG"},
		{"bad bool", "COMMANDER_DRY_RUN", "maybe", "true or false"},
		{"reserved namespace", "COMMANDER_METRICS_NAMESPACE", "AWS/EC2", "reserved for AWS"},
		{"reserved tag", "COMMANDER_PROTECT_TAG", "aws:protect", "not starting with aws:"},
		{"bad instance type", "COMMANDER_INSTANCE_TYPE", "micro", "instance type"},
		{"bad ami", "COMMANDER_AMI_ID", "ubuntu", "AMI id"},
		{"unknown architecture", "COMMANDER_ARCHITECTURE", "sparc", "x86_64, arm64"},
		{"unknown encryption", "COMMANDER_S3_ENCRYPTION", "DES", "AES256, aws:kms"},
		{"lambda memory too small", "COMMANDER_LAMBDA_MEMORY_MB", "64", "from 128 to 10240"},
		{"lambda timeout too long", "COMMANDER_LAMBDA_TIMEOUT_SECONDS", "901", "from 1 to 900"},
		{"retention zero", "COMMANDER_BACKUP_RETENTION_DAYS", "0", "from 1 to 36500"},
		{"breaker percent", "COMMANDER_BREAKER_MAX_PERCENT", "150", "from 0 to 100"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vars := map[string]string{"AWS_REGION": "eu-west-1", c.variable: c.value}
			_, err := Load(env(vars))
			if err == nil {
				t.Fatalf("%s=%q accepted", c.variable, c.value)
			}
			msg := err.Error()
			for _, want := range []string{c.variable, c.value, c.wantAccepts} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not mention %q", msg, want)
				}
			}
		})
	}
}

func TestLoadKMSRequiresKey(t *testing.T) {
	_, err := Load(env(map[string]string{"AWS_REGION": "eu-west-1", "COMMANDER_S3_ENCRYPTION": "aws:kms"}))
	if err == nil || !strings.Contains(err.Error(), "COMMANDER_S3_KMS_KEY") {
		t.Fatalf("err = %v, want it to name COMMANDER_S3_KMS_KEY", err)
	}
}

func TestLoadNoRegion(t *testing.T) {
	_, err := Load(env(map[string]string{}))
	if err == nil || !strings.Contains(err.Error(), "COMMANDER_REGIONS") {
		t.Fatalf("err = %v, want it to name COMMANDER_REGIONS", err)
	}
}

func TestLoadReportsEveryBadVariable(t *testing.T) {
	_, err := Load(env(map[string]string{
		"AWS_REGION":                    "eu-west-1",
		"COMMANDER_ROOT_VOLUME_SIZE_GB": "0",
		"COMMANDER_ROOT_VOLUME_TYPE":    "io2",
	}))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, v := range []string{"COMMANDER_ROOT_VOLUME_SIZE_GB", "COMMANDER_ROOT_VOLUME_TYPE"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("message %q does not name %s", err, v)
		}
	}
}

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7d", 7 * 24 * time.Hour, true},
		{"0d", 0, true},
		{"90m", 90 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"7 days", 0, false},
		{"d", 0, false},
		{"99999999d", 0, false},
	}
	for _, c := range cases {
		got, err := ParseDuration(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestLoadRejectsLongValues(t *testing.T) {
	cases := []struct{ variable, value, want string }{
		{"COMMANDER_PROTECT_TAG", strings.Repeat("k", 129), "1 to 128 characters"},
		{"COMMANDER_METRICS_NAMESPACE", strings.Repeat("n", 256), "1 to 255 characters"},
		{"COMMANDER_KEY_PAIR", strings.Repeat("k", 256), "1 to 255 characters"},
	}
	for _, c := range cases {
		t.Run(c.variable, func(t *testing.T) {
			_, err := Load(env(map[string]string{"AWS_REGION": "eu-west-1", c.variable: c.value}))
			if err == nil || !strings.Contains(err.Error(), c.variable) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %s refused with %q", err, c.variable, c.want)
			}
		})
	}
	if _, err := Load(env(map[string]string{"AWS_REGION": "eu-west-1", "COMMANDER_PROTECT_TAG": strings.Repeat("k", 128)})); err != nil {
		t.Errorf("a 128-character tag key is valid: %v", err)
	}
}
