// Package events holds the event contracts: the schedules and event patterns
// the stack deploys, and real-shaped sample events for every trigger
// (samples/<function>/*.json) used by tests, the demo and the Lambda console.
package events

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
)

// Schedule is an EventBridge Scheduler schedule that invokes a function.
type Schedule struct {
	Name       string // unique within the stack
	Function   string // api, backup, cleanup or alarm
	Expression string // cron(...) or rate(...)
	TimeZone   string // IANA name, e.g. Europe/Paris
	Input      string // JSON the target receives in detail; empty: the Scheduled Event envelope
}

// Default schedules; cdk.json context may override expression and time zone.
var (
	Backup  = Schedule{Name: "backup-daily", Function: "backup", Expression: "cron(0 2 * * ? *)", TimeZone: "UTC"}
	Cleanup = Schedule{Name: "cleanup-daily", Function: "cleanup", Expression: "cron(0 4 * * ? *)", TimeZone: "UTC"}
	// Office hours: often enough that a stop or start lands within minutes
	// of the schedule's time (the schedules document keeps its own zones).
	Scheduler = Schedule{Name: "scheduler-office-hours", Function: "scheduler", Expression: "rate(5 minutes)", TimeZone: "UTC"}
)

// Pattern is an EventBridge event pattern.
type Pattern struct {
	Source     []string       `json:"source,omitempty"`
	DetailType []string       `json:"detail-type,omitempty"`
	Detail     map[string]any `json:"detail,omitempty"`
}

// JSON is the pattern as EventBridge takes it.
func (p Pattern) JSON() (string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("event pattern: %w", err)
	}
	return string(b), nil
}

// AlarmStateChange routes "CloudWatch Alarm State Change" events to the alarm function.
var AlarmStateChange = Pattern{
	Source:     []string{"aws.cloudwatch"},
	DetailType: []string{"CloudWatch Alarm State Change"},
}

// Audit detail-types the functions emit on the configured bus.
const (
	SourceCommander     = "commander"
	BackupCompleted     = "Commander Backup Completed"
	CleanupPlanned      = "Commander Cleanup Planned"
	CleanupCompleted    = "Commander Cleanup Completed"
	SchedulerCompleted  = "Commander Scheduler Completed"
	AlarmReaction       = "Commander Alarm Reaction"
	APICommandCompleted = "Commander Command Completed"
)

//go:embed samples
var samples embed.FS

// Sample is one sample event.
type Sample struct {
	Name string // file name, e.g. scheduled.json
	Body []byte
}

// Samples are the sample events for function, in lexical order of file name.
func Samples(function string) ([]Sample, error) {
	dir := path.Join("samples", function)
	entries, err := fs.ReadDir(samples, dir)
	if err != nil {
		return nil, fmt.Errorf("samples for %s: %w", function, err)
	}
	var out []Sample
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".json" {
			continue
		}
		b, err := samples.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, Sample{Name: e.Name(), Body: b})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Functions are the functions, in the order the stack and demo use.
var Functions = []string{"api", "backup", "cleanup", "alarm", "scheduler"}
