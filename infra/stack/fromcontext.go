package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones are checked at synth on any machine

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/alarm"
	"github.com/aws-commander/commander/shared/api/iamcmd"
	"github.com/aws-commander/commander/shared/backup"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/schedule"
	"github.com/aws-commander/commander/shared/scheduler"
	"github.com/aws-commander/commander/shared/settings"
	"gopkg.in/yaml.v3"
)

// checkFunctionEnv validates a function's own variables at synth with the
// loader the function runs at start, so a value the function would refuse
// fails `make synth` instead of the deployed function's cold start.
func checkFunctionEnv(fn string, get func(string) string, s settings.Settings) error {
	switch fn {
	case "alarm":
		_, err := alarm.LoadConfig(get)
		return err
	case "backup":
		_, err := backup.LoadConfig(get, s)
		return err
	case "api":
		_, err := deputy.FromEnv(get)
		return err
	case "scheduler":
		_, err := scheduler.LoadSchedules(get)
		return err
	}
	return nil
}

// checkPolicy validates the cleanup policy document with the parser the
// cleanup function runs at start; its errors name the path in the document.
func checkPolicy(doc []byte) error {
	_, err := policy.Parse(doc)
	return err
}

var (
	stageRE       = regexp.MustCompile(`^[a-z][a-z0-9-]{0,15}$`)
	scheduleRE    = regexp.MustCompile(`^(cron\(\S+( \S+){5}\)|rate\([1-9]\d* (minute|minutes|hour|hours|day|days)\))$`)
	rateRE        = regexp.MustCompile(`^rate\((\d+) (\w+)\)$`)
	topicARNRE    = regexp.MustCompile(`^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$`)
	contextKeyRE  = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)
	envNameRE     = regexp.MustCompile(`^COMMANDER_[A-Z0-9_]+$`)
	logRetentions = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

// Lambda refuses a function whose environment exceeds 4 KB in total.
const maxEnvBytes = 4096

// FromContext validates the context (key -> JSON value as CDK passes it) and
// returns the Config, or an error with one line per bad key. Relative paths
// are resolved against dir (the directory cdk runs in).
func FromContext(ctx map[string]any, dir string) (Config, error) {
	raw := map[string]string{}
	e := settings.NewEnv(func(k string) string { return raw[k] })
	var extra map[string]any
	for k, v := range ctx {
		switch {
		case k == KeySettings:
			m, ok := v.(map[string]any)
			if !ok {
				e.Fail(k, fmt.Sprint(v), `an object of COMMANDER_* variable names to values, e.g. {"COMMANDER_BREAKER_MAX_COUNT": "25"}`)
				continue
			}
			extra = m
		case hasKey(k):
			s, ok := scalar(v)
			if !ok {
				e.Fail(k, fmt.Sprint(v), "a string, number or boolean")
				continue
			}
			raw[k] = s
		case contextKeyRE.MatchString(k):
			// A typo would otherwise silently deploy the default.
			e.Fail(k, fmt.Sprint(v), "a known context key: "+strings.Join(knownKeys(), ", "))
		}
	}
	for k, d := range Defaults {
		if _, ok := raw[k]; !ok {
			raw[k] = d
		}
	}

	c := Config{
		Stage:            e.Match(KeyStage, "dev", stageRE, "1 to 16 lowercase letters, digits or hyphens, starting with a letter (it prefixes every name)"),
		AssetDir:         raw[KeyAssetDir],
		LogRetentionDays: e.Int(KeyLogRetentionDays, 30, 1, 3653),
		LogLevel:         e.Enum(KeyLogLevel, "INFO", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"),
		APIRateLimit:     e.Float(KeyAPIRateLimit, 10, 1, 10000),
		APIBurstLimit:    e.Int(KeyAPIBurstLimit, 20, 1, 5000),
		OpsTopicARN:      e.Match(KeyOpsTopicARN, "", topicARNRE, "an SNS topic ARN, or empty for alarms without notification"),
	}
	if !slices.Contains(logRetentions, c.LogRetentionDays) {
		e.Fail(KeyLogRetentionDays, raw[KeyLogRetentionDays], "one of CloudWatch Logs' retention periods in days: "+joinInts(logRetentions))
	}
	tz := raw[KeyScheduleTimeZone]
	if _, err := time.LoadLocation(tz); err != nil || tz == "" || tz == "Local" {
		e.Fail(KeyScheduleTimeZone, tz, "an IANA time zone name such as UTC or Europe/Paris")
	}
	c.Backup, c.Cleanup, c.Scheduler = events.Backup, events.Cleanup, events.Scheduler
	c.Scheduler.Expression = e.Match(KeySchedulerSchedule, events.Scheduler.Expression, scheduleRE, "a Scheduler expression: cron(min hour day-of-month month day-of-week year) or rate(N minutes|hours|days)")
	c.Backup.Expression = e.Match(KeyBackupSchedule, events.Backup.Expression, scheduleRE, "a Scheduler expression: cron(min hour day-of-month month day-of-week year) or rate(N minutes|hours|days)")
	c.Cleanup.Expression = e.Match(KeyCleanupSchedule, events.Cleanup.Expression, scheduleRE, "a Scheduler expression: cron(min hour day-of-month month day-of-week year) or rate(N minutes|hours|days)")
	c.Backup.TimeZone, c.Cleanup.TimeZone = tz, tz
	for k, expr := range map[string]string{KeyBackupSchedule: c.Backup.Expression, KeyCleanupSchedule: c.Cleanup.Expression, KeySchedulerSchedule: c.Scheduler.Expression} {
		// Scheduler wants rate(1 day) but rate(2 days).
		if m := rateRE.FindStringSubmatch(expr); m != nil && (m[1] == "1") != !strings.HasSuffix(m[2], "s") {
			e.Fail(k, expr, "a rate whose unit is singular for 1 and plural otherwise, e.g. rate(1 day) or rate(12 hours)")
		}
	}
	if c.AssetDir == "" {
		e.Fail(KeyAssetDir, "", "a directory holding <function>/bootstrap for "+strings.Join(events.Functions, ", ")+" (make build writes build/)")
	}
	if raw[KeyMetricsNamespace] == "" {
		raw[KeyMetricsNamespace] = "Commander/" + c.Stage
	}

	// Every function's environment: the settings keys, then the free-form extras.
	c.Env = map[string]string{}
	envKey := map[string]string{} // variable -> context key, to report errors by key
	for k, name := range settingsKeys {
		if raw[k] != "" {
			c.Env[name] = raw[k]
			envKey[name] = k
		}
	}
	for name, v := range extra {
		s, ok := scalar(v)
		switch {
		case !envNameRE.MatchString(name):
			e.Fail(KeySettings+"."+name, fmt.Sprint(v), "only COMMANDER_* variable names (the stack's own keys set the rest)")
		case !ok:
			e.Fail(KeySettings+"."+name, fmt.Sprint(v), "a string, number or boolean")
		case name == "COMMANDER_DRY_RUN" || name == "COMMANDER_CLEANUP_POLICY" || name == scheduler.SchedulesVariable ||
			name == "COMMANDER_BACKUP_FUNCTION" || name == "COMMANDER_CLEANUP_FUNCTION" || name == "COMMANDER_SCHEDULER_FUNCTION":
			e.Fail(KeySettings+"."+name, s, "a variable the stack does not set itself (use the dry-run, cleanupPolicyFile and schedulesFile keys)")
		case name == iamcmd.BoundaryEnv:
			// The api role may create roles only with the stack's own boundary.
			e.Fail(KeySettings+"."+name, s, "a variable the stack does not set itself (the stack sets it to its role boundary, the only one its api role may create roles with)")
		default:
			c.Env[name] = s
			envKey[name] = KeySettings + "." + name
		}
	}

	policy, err := readDocument(raw[KeyCleanupPolicyFile], dir, checkPolicy)
	if err != nil {
		e.Fail(KeyCleanupPolicyFile, raw[KeyCleanupPolicyFile], "the path of a cleanup policy document (YAML or JSON) that is valid: "+err.Error())
	}
	schedules, err := readDocument(raw[KeySchedulesFile], dir, func(b []byte) error { _, err := schedule.Parse(b); return err })
	if err != nil {
		e.Fail(KeySchedulesFile, raw[KeySchedulesFile], "the path of an office-hours schedules document (YAML or JSON) that is valid: "+err.Error())
	}

	c.FunctionEnv = map[string]map[string]string{}
	for _, fn := range events.Functions {
		env := maps.Clone(c.Env)
		if k, ok := dryRunKeys[fn]; ok {
			env["COMMANDER_DRY_RUN"] = raw[k]
			envKey["COMMANDER_DRY_RUN"] = k
		}
		for k, name := range functionKeys[fn] {
			if raw[k] != "" {
				env[name] = raw[k]
				envKey[name] = k
			}
		}
		switch fn {
		case "api":
			env["COMMANDER_BACKUP_FUNCTION"] = c.FunctionName("backup")
			env["COMMANDER_CLEANUP_FUNCTION"] = c.FunctionName("cleanup")
			env["COMMANDER_SCHEDULER_FUNCTION"] = c.FunctionName("scheduler")
			env[deputy.RolePathEnv] = "/commander/" + c.Stage + "/"
			env[deputy.StagePrefixEnv] = c.Name() + "-"
			if b, err := deputy.FromEnv(func(k string) string { return env[k] }); err == nil {
				c.PassableRoles = b.PassableRoles
				if raw[KeyAttachablePolicies] != "" {
					c.AttachablePolicies = b.AttachablePolicies
				}
			}
		case "cleanup":
			if policy != "" {
				env["COMMANDER_CLEANUP_POLICY"] = policy
			}
		case "scheduler":
			if schedules != "" {
				env[scheduler.SchedulesVariable] = schedules
			}
		}
		c.FunctionEnv[fn] = env
		s, err := settings.Load(validationEnv(env, c.LogLevel))
		err = errors.Join(err, checkFunctionEnv(fn, validationEnv(env, c.LogLevel), s))
		if err != nil {
			bad, other := invalid(err)
			for _, o := range other {
				e.Fail("function "+fn, "", "an environment its own checks accept: "+o.Error())
			}
			for _, ie := range bad {
				key := envKey[ie.Name]
				if key == "" {
					key = ie.Name
				}
				e.Fail(key, ie.Value, ie.Accepts+" (sets "+ie.Name+")")
			}
		}
		if fn == "api" { // the same for every function; keep what IAM and the dashboard use
			c.ProtectTag, c.EventBus, c.MetricsNamespace = s.ProtectTag, s.EventBus, s.MetricsNamespace
			if len(c.Env["COMMANDER_REGIONS"]) > 0 {
				c.Regions = s.Regions
			}
		}
		if n := envSize(env); n > maxEnvBytes {
			key := KeyCleanupPolicyFile
			if fn == "scheduler" {
				key = KeySchedulesFile
			}
			e.Fail(key, raw[key], fmt.Sprintf("a document small enough for the %s function's environment (%d bytes, Lambda allows %d in total)", fn, n, maxEnvBytes))
		}
	}
	if err := e.Err(); err != nil {
		return Config{}, dedupe(err)
	}
	if !filepath.IsAbs(c.AssetDir) {
		c.AssetDir = filepath.Join(dir, c.AssetDir)
	}
	routes, err := CommandRoutes()
	if err != nil {
		return Config{}, err
	}
	c.Routes = routes
	return c, nil
}

// validationEnv is the environment settings.Load sees at synth: Lambda sets
// AWS_REGION and AWS_LAMBDA_LOG_LEVEL itself, so stand-ins are used here.
func validationEnv(env map[string]string, level string) func(string) string {
	return func(k string) string {
		switch k {
		case "AWS_REGION":
			return "us-east-1"
		case "AWS_LAMBDA_LOG_LEVEL":
			return level
		}
		return env[k]
	}
}

// readDocument reads a document users write (YAML or JSON: the cleanup
// policy, the schedules) and returns it as compact JSON, checked by the
// function's own parser; empty path: the function's default.
func readDocument(path, dir string, check func([]byte) error) (string, error) {
	if path == "" {
		return "", nil
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cannot read it: %w", err)
	}
	var doc any
	if err := yaml.Unmarshal(b, &doc); err != nil { // YAML is a superset of JSON
		return "", fmt.Errorf("not valid YAML or JSON: %w", err)
	}
	if _, ok := doc.(map[string]any); !ok {
		return "", errors.New("the document must be an object")
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("cannot be expressed as JSON: %w", err)
	}
	if err := check(out); err != nil {
		return "", err
	}
	return string(out), nil
}

func scalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case int:
		return strconv.Itoa(v), true
	case nil:
		return "", true
	}
	return "", false
}

func hasKey(k string) bool { _, ok := Defaults[k]; return ok }

func knownKeys() []string {
	keys := append(slices.Collect(maps.Keys(Defaults)), KeySettings)
	sort.Strings(keys)
	return keys
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

func envSize(env map[string]string) int {
	n := 0
	for k, v := range env {
		n += len(k) + len(v)
	}
	return n
}

// invalid flattens joined errors into settings' InvalidErrors and the rest.
func invalid(err error) (out []*settings.InvalidError, other []error) {
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var ie *settings.InvalidError
		if errors.As(err, &ie) {
			out = append(out, ie)
		} else if err != nil {
			other = append(other, err)
		}
	}
	walk(err)
	return out, other
}

// dedupe drops repeated lines (a shared setting fails once per function) and
// sorts them, so the message is stable.
func dedupe(err error) error {
	lines := strings.Split(err.Error(), "\n")
	sort.Strings(lines)
	lines = slices.Compact(lines)
	return fmt.Errorf("invalid CDK context (cdk.json or -c key=value):\n%s", strings.Join(lines, "\n"))
}
