package alarm

import (
	"regexp"
	"sort"
	"strings"

	"github.com/aws-commander/commander/shared/settings"
)

// Environment variables of the alarm function, beside the shared settings.
const (
	EnvActions             = "COMMANDER_ALARM_ACTIONS"                   // on ALARM, by alarm-name prefix
	EnvOKActions           = "COMMANDER_ALARM_OK_ACTIONS"                // on the way back to OK
	EnvInsufficientActions = "COMMANDER_ALARM_INSUFFICIENT_DATA_ACTIONS" // on INSUFFICIENT_DATA
)

// Rule maps alarms whose name starts with Prefix to Action.
type Rule struct {
	Prefix string
	Action Action
}

// Config is the alarm function's own configuration: reactions by alarm-name
// prefix for each state. Tags on the alarm win over these.
type Config struct {
	OnAlarm, OnOK, OnInsufficient []Rule // longest prefix first
}

var ruleListRE = regexp.MustCompile(`^\s*[^=,\s][^=,]*=[a-z]+\s*(,\s*[^=,\s][^=,]*=[a-z]+\s*)*$`)

// LoadConfig reads the alarm variables through get; every bad value is
// reported as NAME="value" is invalid: accepts ...
func LoadConfig(get func(string) string) (Config, error) {
	e := settings.NewEnv(get)
	c := Config{
		OnAlarm:        rules(e, EnvActions, AlarmActions),
		OnOK:           rules(e, EnvOKActions, OKActions),
		OnInsufficient: rules(e, EnvInsufficientActions, AlarmActions),
	}
	return c, e.Err()
}

func rules(e *settings.Env, name string, allowed []Action) []Rule {
	raw := e.String(name, "")
	if raw == "" {
		return nil
	}
	accepts := "a comma-separated list of alarm-name-prefix=action, action one of " + joinActions(allowed) + " (e.g. prod-cpu-=stop,batch-=notify)"
	if !ruleListRE.MatchString(raw) {
		e.Fail(name, raw, accepts)
		return nil
	}
	var out []Rule
	seen := map[string]bool{}
	for _, item := range strings.Split(raw, ",") {
		prefix, action, _ := strings.Cut(strings.TrimSpace(item), "=")
		prefix = strings.TrimSpace(prefix)
		a, ok := ParseAction(action, allowed)
		if !ok || seen[prefix] {
			e.Fail(name, raw, accepts+", each prefix once")
			return nil
		}
		seen[prefix] = true
		out = append(out, Rule{Prefix: prefix, Action: a})
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].Prefix) > len(out[j].Prefix) })
	return out
}

// match returns the rule of the longest prefix of name.
func match(rules []Rule, name string) (Rule, bool) {
	for _, r := range rules {
		if strings.HasPrefix(name, r.Prefix) {
			return r, true
		}
	}
	return Rule{}, false
}
