package settings

import (
	"fmt"

	"github.com/aws-commander/commander/shared/guard"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Settings is the one typed configuration every function starts from.
// Defaults are the original desktop tool's.
type Settings struct {
	// EC2 launches.
	InstanceType          string // COMMANDER_INSTANCE_TYPE
	AMI                   string // COMMANDER_AMI_ID; empty: newest Amazon Linux 2023 for Architecture
	Architecture          string // COMMANDER_ARCHITECTURE: x86_64 or arm64
	KeyPair               string // COMMANDER_KEY_PAIR, optional
	InstanceProfile       string // COMMANDER_INSTANCE_PROFILE, optional
	RootVolumeSizeGB      int32  // COMMANDER_ROOT_VOLUME_SIZE_GB
	RootVolumeType        string // COMMANDER_ROOT_VOLUME_TYPE: gp3 or gp2
	RootVolumeKMSKey      string // COMMANDER_ROOT_VOLUME_KMS_KEY, optional; empty: the account's default EBS key
	S3Encryption          string // COMMANDER_S3_ENCRYPTION: AES256 or aws:kms
	S3KMSKey              string // COMMANDER_S3_KMS_KEY, required with aws:kms
	BackupRetentionDays   int    // COMMANDER_BACKUP_RETENTION_DAYS
	LambdaMemoryMB        int32  // COMMANDER_LAMBDA_MEMORY_MB, for functions the api deploys
	LambdaTimeoutSeconds  int32  // COMMANDER_LAMBDA_TIMEOUT_SECONDS, for functions the api deploys
	CPUAlarmThreshold     float64
	CPUAlarmPeriods       int32
	CPUAlarmPeriodSeconds int32

	// Runtime.
	MetricsNamespace     string   // COMMANDER_METRICS_NAMESPACE
	ProtectTag           string   // COMMANDER_PROTECT_TAG
	DryRun               *bool    // COMMANDER_DRY_RUN; nil: each function's own default (see DryRunOr)
	Regions              []string // COMMANDER_REGIONS; default the function's own region
	AllowSimulatedTime   bool     // COMMANDER_ALLOW_SIMULATED_TIME
	LogLevel             string   // AWS_LAMBDA_LOG_LEVEL, else COMMANDER_LOG_LEVEL
	EventBus             string   // COMMANDER_EVENT_BUS, where audit events go
	MaxAttempts          int      // COMMANDER_MAX_ATTEMPTS, per AWS call, standard retry
	EC2PacePercent       int      // COMMANDER_EC2_PACE_PERCENT, of EC2's documented refill rates (shared/pace)
	Concurrency          int      // COMMANDER_CONCURRENCY, parallel mutations per job
	RegionConcurrency    int      // COMMANDER_REGION_CONCURRENCY, regions a job works on at once
	BreakerMaxCount      int      // COMMANDER_BREAKER_MAX_COUNT, destructive actions per run
	BreakerMaxPercent    float64  // COMMANDER_BREAKER_MAX_PERCENT, of the candidates
	BreakerMinCount      int      // COMMANDER_BREAKER_MIN_COUNT: the percentage applies above this many actions
	AlarmCooldown        time.Duration
	CleanupGrace         time.Duration
	MaxReportedResources int // COMMANDER_MAX_REPORTED_RESOURCES, per-resource lines in one report
}

// Breaker is the circuit breaker the settings describe.
func (s Settings) Breaker() guard.Breaker {
	return guard.Breaker{MaxCount: s.BreakerMaxCount, MaxPercent: s.BreakerMaxPercent, MinCount: s.BreakerMinCount}
}

// DryRunOr is the dry-run switch, or the function's own default when unset:
// cleanup defaults to dry-run, so a fresh deployment deletes nothing.
func (s Settings) DryRunOr(def bool) bool {
	if s.DryRun == nil {
		return def
	}
	return *s.DryRun
}

var (
	instanceTypeRE = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	amiRE          = regexp.MustCompile(`^ami-[0-9a-f]{8,17}$`)
	// Lengths are checked apart (see lengths): a bounded repetition such as
	// {1,255} compiles into that many copies, which cost every cold start ms.
	nameRE      = regexp.MustCompile(`^[\w+=,.@/: -]+$`)
	kmsKeyRE    = regexp.MustCompile(`^(arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[\w/+=,.@-]+|alias/[\w/+=,.@-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)
	namespaceRE = regexp.MustCompile(`^[\w.#:/ -]+$`)
	tagKeyRE    = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	// RegionRE accepts the shape of every AWS region name (us-east-1, us-gov-west-1, eu-isoe-west-1).
	RegionRE  = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$`)
	busNameRE = regexp.MustCompile(`^([\w.\-/]+|arn:aws[\w-]*:events:[a-z0-9-]+:\d{12}:event-bus/[\w.\-/]+)$`)
)

// Load reads every variable through get and validates it. On error the
// message lists each bad variable with its value and what it accepts.
func Load(get func(string) string) (Settings, error) {
	e := NewEnv(get)
	s := Settings{
		InstanceType:          e.Match("COMMANDER_INSTANCE_TYPE", "t2.micro", instanceTypeRE, "an EC2 instance type such as t2.micro or m7g.large"),
		AMI:                   e.Match("COMMANDER_AMI_ID", "", amiRE, "an AMI id such as ami-0abcdef1234567890, or empty for the newest Amazon Linux 2023"),
		Architecture:          e.Enum("COMMANDER_ARCHITECTURE", "x86_64", "x86_64", "arm64"),
		KeyPair:               e.Match("COMMANDER_KEY_PAIR", "", nameRE, "an EC2 key pair name of 1 to 255 characters"),
		InstanceProfile:       e.Match("COMMANDER_INSTANCE_PROFILE", "", nameRE, "an instance profile name or ARN"),
		RootVolumeSizeGB:      int32(e.Int("COMMANDER_ROOT_VOLUME_SIZE_GB", 8, 1, 16384)),
		RootVolumeType:        e.Enum("COMMANDER_ROOT_VOLUME_TYPE", "gp3", "gp3", "gp2"),
		RootVolumeKMSKey:      e.Match("COMMANDER_ROOT_VOLUME_KMS_KEY", "", kmsKeyRE, "a KMS key id, alias/name or key ARN"),
		S3Encryption:          e.Enum("COMMANDER_S3_ENCRYPTION", "AES256", "AES256", "aws:kms"),
		S3KMSKey:              e.Match("COMMANDER_S3_KMS_KEY", "", kmsKeyRE, "a KMS key id, alias/name or key ARN"),
		BackupRetentionDays:   e.Int("COMMANDER_BACKUP_RETENTION_DAYS", 30, 1, 36500),
		LambdaMemoryMB:        int32(e.Int("COMMANDER_LAMBDA_MEMORY_MB", 128, 128, 10240)),
		LambdaTimeoutSeconds:  int32(e.Int("COMMANDER_LAMBDA_TIMEOUT_SECONDS", 60, 1, 900)),
		CPUAlarmThreshold:     e.Float("COMMANDER_CPU_ALARM_THRESHOLD", 70, 0, 100),
		CPUAlarmPeriods:       int32(e.Int("COMMANDER_CPU_ALARM_EVALUATION_PERIODS", 2, 1, 100)),
		CPUAlarmPeriodSeconds: int32(e.Int("COMMANDER_CPU_ALARM_PERIOD_SECONDS", 300, 10, 86400)),
		MetricsNamespace:      e.Match("COMMANDER_METRICS_NAMESPACE", "Commander", namespaceRE, "1 to 255 letters, digits or . - _ / # : and spaces, not starting with AWS/"),
		ProtectTag:            e.Match("COMMANDER_PROTECT_TAG", "commander:protect", tagKeyRE, "a tag key of 1 to 128 characters not starting with aws:"),
		AllowSimulatedTime:    e.Bool("COMMANDER_ALLOW_SIMULATED_TIME", false),
		EventBus:              e.Match("COMMANDER_EVENT_BUS", "default", busNameRE, "an EventBridge bus name or ARN"),
		MaxAttempts:           e.Int("COMMANDER_MAX_ATTEMPTS", 5, 1, 20),
		EC2PacePercent:        e.Int("COMMANDER_EC2_PACE_PERCENT", 100, 1, 100),
		Concurrency:           e.Int("COMMANDER_CONCURRENCY", 8, 1, 64),
		RegionConcurrency:     e.Int("COMMANDER_REGION_CONCURRENCY", 4, 1, 32),
		BreakerMaxCount:       e.Int("COMMANDER_BREAKER_MAX_COUNT", 25, 0, 100000),
		BreakerMaxPercent:     e.Float("COMMANDER_BREAKER_MAX_PERCENT", 20, 0, 100),
		BreakerMinCount:       e.Int("COMMANDER_BREAKER_MIN_COUNT", 5, 0, 100000),
		AlarmCooldown:         e.Duration("COMMANDER_ALARM_COOLDOWN", 15*time.Minute, 0, 7*24*time.Hour),
		CleanupGrace:          e.Duration("COMMANDER_CLEANUP_GRACE", 7*24*time.Hour, 0, 365*24*time.Hour),
		MaxReportedResources:  e.Int("COMMANDER_MAX_REPORTED_RESOURCES", 1000, 0, 100000),
	}
	if _, ok := e.raw("COMMANDER_DRY_RUN"); ok {
		b := e.Bool("COMMANDER_DRY_RUN", true) // a bad value fails the start; true is never used
		s.DryRun = &b
	}
	// Lambda sets AWS_LAMBDA_LOG_LEVEL from the function's logging config; outside Lambda ours applies.
	levels := []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
	if _, ok := e.raw("AWS_LAMBDA_LOG_LEVEL"); ok {
		s.LogLevel = e.Enum("AWS_LAMBDA_LOG_LEVEL", "INFO", levels...)
	} else {
		s.LogLevel = e.Enum("COMMANDER_LOG_LEVEL", "INFO", levels...)
	}

	for _, l := range []struct {
		name, value, accepts string
		max                  int
	}{
		{"COMMANDER_KEY_PAIR", s.KeyPair, "an EC2 key pair name of 1 to 255 characters", 255},
		{"COMMANDER_INSTANCE_PROFILE", s.InstanceProfile, "an instance profile name or ARN of at most 255 characters", 255},
		{"COMMANDER_METRICS_NAMESPACE", s.MetricsNamespace, "1 to 255 characters", 255},
		{"COMMANDER_PROTECT_TAG", s.ProtectTag, "a tag key of 1 to 128 characters", 128},
		{"COMMANDER_EVENT_BUS", s.EventBus, "an EventBridge bus name of at most 256 characters, or its ARN", 1600},
	} {
		if utf8.RuneCountInString(l.value) > l.max {
			e.Fail(l.name, l.value, l.accepts)
		}
	}
	if strings.HasPrefix(s.MetricsNamespace, "AWS/") {
		e.Fail("COMMANDER_METRICS_NAMESPACE", s.MetricsNamespace, "a custom namespace; names starting with AWS/ are reserved for AWS services")
	}
	if strings.HasPrefix(strings.ToLower(s.ProtectTag), "aws:") {
		e.Fail("COMMANDER_PROTECT_TAG", s.ProtectTag, "a tag key not starting with aws:, which AWS reserves")
	}
	if p := s.CPUAlarmPeriodSeconds; p != 10 && p != 30 && p%60 != 0 {
		e.Fail("COMMANDER_CPU_ALARM_PERIOD_SECONDS", fmt.Sprint(p), "10, 30 or a multiple of 60 up to 86400")
	}
	if s.S3Encryption == "aws:kms" && s.S3KMSKey == "" {
		e.Fail("COMMANDER_S3_KMS_KEY", "", "a KMS key id, alias/name or key ARN; required when COMMANDER_S3_ENCRYPTION=aws:kms")
	}

	home := e.Match("AWS_REGION", "", RegionRE, "an AWS region name such as eu-west-1")
	if home == "" {
		home = e.Match("AWS_DEFAULT_REGION", "", RegionRE, "an AWS region name such as eu-west-1")
	}
	var def []string
	if home != "" {
		def = []string{home}
	}
	s.Regions = e.List("COMMANDER_REGIONS", def, RegionRE, "AWS region names such as eu-west-1,us-east-1")
	if len(s.Regions) == 0 {
		e.Fail("COMMANDER_REGIONS", "", "a comma-separated list of AWS region names; required when AWS_REGION is not set")
	}
	return s, e.Err()
}
