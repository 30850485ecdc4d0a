// Package stack builds AWS Commander's CloudFormation stack: the
// functions, their triggers and roles, the HTTP API and the observability.
// Config comes from CDK context and is validated before any construct is made,
// so a bad value fails synth with the context key and what it accepts.
package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/deputy"
)

// Context keys (cdk.json "context", or `cdk synth -c key=value`).
const (
	KeyStage               = "stage"
	KeyAssetDir            = "assetDir"
	KeyBackupSchedule      = "backupSchedule"
	KeyCleanupSchedule     = "cleanupSchedule"
	KeySchedulerSchedule   = "schedulerSchedule" // how often the office-hours job runs (its schedules keep their own time zones)
	KeySchedulesFile       = "schedulesFile"     // the office-hours schedules document (YAML or JSON); empty: the shipped default
	KeySchedulerDryRun     = "schedulerDryRun"
	KeySchedulerMaxActions = "schedulerMaxActions" // the scheduler's breaker: starts, and stops, per run
	KeyScheduleTimeZone    = "scheduleTimeZone"
	KeyRegions             = "regions"
	KeyBackupRetention     = "backupRetentionDays"
	KeyCleanupDryRun       = "cleanupDryRun"
	KeyBackupDryRun        = "backupDryRun"
	KeyAlarmDryRun         = "alarmDryRun"
	KeyProtectTag          = "protectTag"
	KeyCPUThreshold        = "cpuAlarmThreshold"
	KeyCPUPeriods          = "cpuAlarmEvaluationPeriods"
	KeyCPUPeriodSeconds    = "cpuAlarmPeriodSeconds"
	KeyAlarmCooldown       = "alarmCooldown"
	KeyCleanupGrace        = "cleanupGrace"
	KeyLogRetentionDays    = "logRetentionDays"
	KeyLogLevel            = "logLevel"
	KeyCleanupPolicyFile   = "cleanupPolicyFile"
	KeyEventBus            = "eventBus"
	KeyMetricsNamespace    = "metricsNamespace"
	KeyAPIRateLimit        = "apiThrottleRateLimit"
	KeyAPIBurstLimit       = "apiThrottleBurstLimit"
	KeyOpsTopicARN         = "opsAlarmTopicArn"
	KeyAlarmActions        = "alarmActions"
	KeyAlarmOKActions      = "alarmOkActions"
	KeySettings            = "settings"
	// The api's bounds (shared/deputy), comma-separated; the api role's IAM is scoped to the same values.
	KeyPassableRoles      = "passableRoles"      // role ARNs the api may pass beyond those it created
	KeyObjectBuckets      = "objectBuckets"      // buckets whose objects the api may touch beyond those it created
	KeyAttachablePolicies = "attachablePolicies" // managed policy ARNs the api may attach; empty: deputy's default
)

// settingsKeys maps context keys to the COMMANDER_* variable they set on every
// function; settings.Load validates them, and errors are reported by context key.
var settingsKeys = map[string]string{
	KeyRegions:          "COMMANDER_REGIONS",
	KeyBackupRetention:  "COMMANDER_BACKUP_RETENTION_DAYS",
	KeyProtectTag:       "COMMANDER_PROTECT_TAG",
	KeyCPUThreshold:     "COMMANDER_CPU_ALARM_THRESHOLD",
	KeyCPUPeriods:       "COMMANDER_CPU_ALARM_EVALUATION_PERIODS",
	KeyCPUPeriodSeconds: "COMMANDER_CPU_ALARM_PERIOD_SECONDS",
	KeyAlarmCooldown:    "COMMANDER_ALARM_COOLDOWN",
	KeyCleanupGrace:     "COMMANDER_CLEANUP_GRACE",
	KeyEventBus:         "COMMANDER_EVENT_BUS",
	KeyMetricsNamespace: "COMMANDER_METRICS_NAMESPACE",
}

// functionKeys set a variable on one function only.
var functionKeys = map[string]map[string]string{
	"alarm":  {KeyAlarmActions: "COMMANDER_ALARM_ACTIONS", KeyAlarmOKActions: "COMMANDER_ALARM_OK_ACTIONS"},
	"backup": {KeyScheduleTimeZone: "COMMANDER_BACKUP_TIME_ZONE"}, // retention's calendar follows the schedule's
	// Every instance on a schedule moves at once by design, so the
	// scheduler's breaker is its own, larger count.
	"scheduler": {KeySchedulerMaxActions: "COMMANDER_BREAKER_MAX_COUNT"},
	"api":       {KeyPassableRoles: deputy.PassableRolesEnv, KeyObjectBuckets: deputy.ObjectBucketsEnv, KeyAttachablePolicies: deputy.AttachablePoliciesEnv},
}

// dryRunKeys set COMMANDER_DRY_RUN on one function each. The api takes
// dryRun per request, so it has none.
var dryRunKeys = map[string]string{"backup": KeyBackupDryRun, "cleanup": KeyCleanupDryRun, "alarm": KeyAlarmDryRun, "scheduler": KeySchedulerDryRun}

// Defaults are the values used when a key is absent; cdk.json repeats them so
// they are visible where they are changed.
var Defaults = map[string]string{
	KeyStage:               "dev",
	KeyAssetDir:            "build",
	KeyBackupSchedule:      events.Backup.Expression,
	KeyCleanupSchedule:     events.Cleanup.Expression,
	KeySchedulerSchedule:   events.Scheduler.Expression,
	KeySchedulesFile:       "",
	KeySchedulerDryRun:     "false",
	KeySchedulerMaxActions: "200",
	KeyScheduleTimeZone:    events.Backup.TimeZone,
	KeyRegions:             "",
	KeyBackupRetention:     "30",
	KeyCleanupDryRun:       "true",
	KeyBackupDryRun:        "false",
	KeyAlarmDryRun:         "false",
	KeyProtectTag:          "commander:protect",
	KeyCPUThreshold:        "70",
	KeyCPUPeriods:          "2",
	KeyCPUPeriodSeconds:    "300",
	KeyAlarmCooldown:       "15m",
	KeyCleanupGrace:        "7d",
	KeyLogRetentionDays:    "30",
	KeyLogLevel:            "INFO",
	KeyCleanupPolicyFile:   "",
	KeyEventBus:            "default",
	KeyMetricsNamespace:    "", // empty: Commander/<stage>, so stages never mix metrics
	KeyAPIRateLimit:        "10",
	KeyAPIBurstLimit:       "20",
	KeyOpsTopicARN:         "",
	KeyAlarmActions:        "", // alarm-name-prefix=action,...; empty: notify unless the alarm's tag says otherwise
	KeyAlarmOKActions:      "",
	KeyPassableRoles:       "",
	KeyObjectBuckets:       "",
	KeyAttachablePolicies:  "",
}

// Config is the validated stack configuration.
type Config struct {
	Stage              string
	AssetDir           string            // holds <fn>/bootstrap for each function
	Backup, Cleanup    events.Schedule   // expressions and time zone after overrides
	Scheduler          events.Schedule   // the office-hours job's (UTC: the schedules carry their zones)
	LogRetentionDays   int               // of every log group the stack creates
	LogLevel           string            // Lambda application log level
	ProtectTag         string            // the IAM Deny and the functions use this key
	EventBus           string            // audit events bus name or ARN
	MetricsNamespace   string            // EMF namespace the dashboard reads
	Regions            []string          // empty: each function's own region
	APIRateLimit       float64           // requests per second at the API stage
	APIBurstLimit      int               // burst at the API stage
	OpsTopicARN        string            // optional SNS topic for the stack's own alarms
	Env                map[string]string // COMMANDER_* every function gets
	FunctionEnv        map[string]map[string]string
	PassableRoles      []string // the api's bounds, as its function reads them (deputy.FromEnv)
	AttachablePolicies []string // empty: deputy's default
	Routes             []Route  // one HTTP API route per command, from the api's registry
}

// CheckAssets fails unless every function's bootstrap is built.
func (c Config) CheckAssets() error {
	var missing []string
	for _, fn := range events.Functions {
		p := filepath.Join(c.AssetDir, fn, "bootstrap")
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			missing = append(missing, filepath.Join(fn, "bootstrap"))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s=%q lacks %s: run `make build` first, or point %s at a directory with <function>/bootstrap",
			KeyAssetDir, c.AssetDir, strings.Join(missing, ", "), KeyAssetDir)
	}
	return nil
}

// FeatureFlags are the CDK feature flags in a context (keys starting with @),
// so tests synthesize exactly as cdk.json does.
func FeatureFlags(ctx map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range ctx {
		if strings.HasPrefix(k, "@") {
			out[k] = v
		}
	}
	return out
}

// Name is a resource name carrying the stage, so stages never collide.
func (c Config) Name(parts ...string) string {
	return strings.Join(append([]string{"commander", c.Stage}, parts...), "-")
}

// FunctionName is the deployed name of function fn.
func (c Config) FunctionName(fn string) string { return c.Name(fn) }

// StackName is the CloudFormation stack name for the stage.
func (c Config) StackName() string { return c.Name() }
