package demo

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws-commander/commander/events"
)

// Scenario is the demo: a scheduled backup, a cleanup in dry-run and then
// for real across simulated days (mark, grace, act), an alarm for the
// running instance, and the api samples (HTTP and console shapes).
func Scenario() ([]Step, error) {
	var steps []Step
	add := func(s Step) { steps = append(steps, s) }

	add(Step{Title: "scheduled backup", Function: "backup", Event: sample("backup", "scheduled.json", nil)})
	add(Step{Title: "scheduled cleanup, dry-run (the default): the full plan, nothing changed", Function: "cleanup",
		Event: sample("cleanup", "scheduled.json", atDay(30))})
	add(Step{Title: "cleanup for real, 30 simulated days later: candidates are marked, the grace period starts", Function: "cleanup",
		Env: map[string]string{"COMMANDER_DRY_RUN": "false"}, Event: sample("cleanup", "scheduled.json", atDay(30))})
	add(Step{Title: "cleanup for real, 38 simulated days later: past the grace period, marked resources are acted on", Function: "cleanup",
		Env: map[string]string{"COMMANDER_DRY_RUN": "false"}, Event: sample("cleanup", "scheduled.json", atDay(38))})
	add(Step{Title: "CPU alarm of the web server goes into ALARM", Function: "alarm",
		Event: sample("alarm", "alarm-single-metric.json", forWebAlarm)})

	api, err := events.Samples("api")
	if err != nil {
		return nil, err
	}
	for _, s := range api {
		add(Step{Title: "api " + strings.TrimSuffix(s.Name, ".json"), Function: "api", Event: sample("api", s.Name, nil)})
	}
	return steps, nil
}

// sample loads events/samples/<fn>/<name>, adapted to the estate by edit.
func sample(fn, name string, edit func(Estate, map[string]any) error) func(Estate) ([]byte, string, error) {
	return func(e Estate) ([]byte, string, error) {
		all, err := events.Samples(fn)
		if err != nil {
			return nil, "", err
		}
		source := "events/samples/" + fn + "/" + name
		for _, s := range all {
			if s.Name != name {
				continue
			}
			if edit == nil {
				return s.Body, source, nil
			}
			var ev map[string]any
			if err := json.Unmarshal(s.Body, &ev); err != nil {
				return nil, "", fmt.Errorf("%s: %w", source, err)
			}
			if err := edit(e, ev); err != nil {
				return nil, "", fmt.Errorf("%s: %w", source, err)
			}
			b, err := json.Marshal(ev)
			return b, source + " (adapted to the seeded estate)", err
		}
		return nil, "", fmt.Errorf("sample %s not found", source)
	}
}

// atDay moves a scheduled event to the seeding time plus days: a new
// scheduled time (so it is not a re-delivery) and the simulated now.
func atDay(days int) func(Estate, map[string]any) error {
	return func(e Estate, ev map[string]any) error {
		now := e.Seeded.Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Second)
		ev["time"] = now.Format(time.RFC3339)
		ev["id"] = fmt.Sprintf("demo-day-%d", days)
		ev["detail"] = map[string]any{"now": now.Format(time.RFC3339)}
		return nil
	}
}

// forWebAlarm points the alarm sample at the seeded web server and its alarm.
func forWebAlarm(e Estate, ev map[string]any) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	s := strings.ReplaceAll(string(b), "commander-cpu-i-0123456789abcdef0", e.WebAlarm)
	s = strings.ReplaceAll(s, "i-0123456789abcdef0", e.Web)
	clear(ev)
	return json.Unmarshal([]byte(s), &ev)
}
