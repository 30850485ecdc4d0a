// Package metrics writes CloudWatch Embedded Metric Format lines to the log:
// CloudWatch Logs extracts the metrics, so a run pays no PutMetricData call.
package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Unit is a CloudWatch metric unit.
type Unit string

const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
	Seconds      Unit = "Seconds"
	Bytes        Unit = "Bytes"
	Megabytes    Unit = "Megabytes"
	Percent      Unit = "Percent"
	None         Unit = "None"
)

var units = []Unit{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
	"Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
	"Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
	"Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"}

// Limits from the EMF specification.
const (
	MaxMetricsPerDirective = 100
	MaxDimensions          = 30
	maxNameLen             = 1024
	maxNamespaceLen        = 255
)

type metric struct {
	name  string
	unit  Unit
	value float64
}

// Set collects metrics that share a namespace and dimensions, and flushes them
// as EMF lines (more than one when there are over 100 metrics).
type Set struct {
	mu         sync.Mutex
	namespace  string
	dimensions map[string]string
	metrics    []metric
	properties map[string]any
	now        func() time.Time
}

// New returns a Set under namespace with the given dimensions (at most 30).
func New(namespace string, dimensions map[string]string) (*Set, error) {
	if namespace == "" || len(namespace) > maxNamespaceLen {
		return nil, fmt.Errorf("metrics namespace %q: must be 1 to %d characters", namespace, maxNamespaceLen)
	}
	if strings.HasPrefix(namespace, "AWS/") {
		return nil, fmt.Errorf("metrics namespace %q: AWS/ is reserved for AWS services", namespace)
	}
	if len(dimensions) > MaxDimensions {
		return nil, fmt.Errorf("metrics: %d dimensions, at most %d allowed", len(dimensions), MaxDimensions)
	}
	for k, v := range dimensions {
		if k == "" || v == "" || strings.HasPrefix(k, ":") {
			return nil, fmt.Errorf("metrics dimension %q=%q: name and value must be non-empty and the name must not start with ':'", k, v)
		}
	}
	return &Set{namespace: namespace, dimensions: dimensions, properties: map[string]any{}, now: time.Now}, nil
}

// Put records a value. Adding the same name again adds to its value, so
// counters can be bumped as a run goes.
func (s *Set) Put(name string, value float64, unit Unit) error {
	if name == "" || len(name) > maxNameLen {
		return fmt.Errorf("metric name %q: must be 1 to %d characters", name, maxNameLen)
	}
	if !slices.Contains(units, unit) {
		return fmt.Errorf("metric %s: unit %q is not a CloudWatch unit", name, unit)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.metrics {
		if s.metrics[i].name == name {
			if s.metrics[i].unit != unit {
				return fmt.Errorf("metric %s: unit %s differs from the earlier %s", name, unit, s.metrics[i].unit)
			}
			s.metrics[i].value += value
			return nil
		}
	}
	s.metrics = append(s.metrics, metric{name, unit, value})
	return nil
}

// Property adds a searchable field to the log line that is not a metric
// (e.g. the event id), so metrics can be traced back to a run.
func (s *Set) Property(key string, value any) {
	s.mu.Lock()
	s.properties[key] = value
	s.mu.Unlock()
}

type directive struct {
	Namespace  string     `json:"Namespace"`
	Dimensions [][]string `json:"Dimensions"`
	Metrics    []struct {
		Name string `json:"Name"`
		Unit Unit   `json:"Unit"`
	} `json:"Metrics"`
}

// Flush writes the metrics as EMF JSON lines to w and empties the set.
func (s *Set) Flush(w io.Writer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.metrics) == 0 {
		return nil
	}
	dims := make([]string, 0, len(s.dimensions))
	for k := range s.dimensions {
		dims = append(dims, k)
	}
	sort.Strings(dims)
	for chunk := range slices.Chunk(s.metrics, MaxMetricsPerDirective) {
		line := map[string]any{}
		for k, v := range s.properties {
			line[k] = v
		}
		for k, v := range s.dimensions {
			line[k] = v
		}
		d := directive{Namespace: s.namespace, Dimensions: [][]string{dims}}
		for _, m := range chunk {
			d.Metrics = append(d.Metrics, struct {
				Name string `json:"Name"`
				Unit Unit   `json:"Unit"`
			}{m.name, m.unit})
			line[m.name] = m.value
		}
		line["_aws"] = map[string]any{
			"Timestamp":         s.now().UnixMilli(),
			"CloudWatchMetrics": []directive{d},
		}
		b, err := json.Marshal(line)
		if err != nil {
			return fmt.Errorf("metrics: encode: %w", err)
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return fmt.Errorf("metrics: write: %w", err)
		}
	}
	s.metrics = nil
	return nil
}
