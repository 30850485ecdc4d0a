package report

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/aws-commander/commander/shared/metrics"
)

// The one metric vocabulary. Every job's report becomes the same metrics,
// written once here: per run under the dimension Job, and per action under
// Job and Action. The dashboard reads these names and no others (the stack's
// TestDashboardReadsEmittedMetrics).
const (
	DimJob    = "Job"
	DimAction = "Action"

	MetricRuns        = "Runs"        // 1 per run
	MetricFailedRuns  = "FailedRuns"  // the run could not do its job
	MetricPartialRuns = "PartialRuns" // some resources failed, or the breaker tripped
	MetricSkippedRuns = "SkippedRuns" // nothing to do (duplicate, not applicable)
	MetricDuration    = "Duration"    // Milliseconds
	MetricAPICalls    = "APICalls"    // AWS API calls the run made
	MetricRetries     = "Retries"     // of those calls, retried by the SDK
	MetricErrors      = "Errors"      // errors in the report

	// The run's estimated monthly saving in USD (unit None), written only
	// when some decision carried an estimate, so a job that saves nothing
	// by nature draws no line of zeros.
	MetricEstimatedMonthlySavings = "EstimatedMonthlySavings"

	// Decisions, in total per run and per action (Job, Action).
	MetricDone    = "Done"
	MetricPlanned = "Planned"
	MetricSkipped = "Skipped"
	MetricFailed  = "Failed"

	// A job's own measures, given to WriteMetrics as extra.
	MetricCandidates   = "Candidates"   // resources listed before filtering (cleanup)
	MetricBreakerTrips = "BreakerTrips" // times the circuit breaker held a batch back
	MetricDriftFound   = "DriftFound"   // bucket settings found out of policy (backup)
	MetricDriftFixed   = "DriftFixed"   // and put back
)

// JobMeasures are the names a job may give WriteMetrics as extra.
var JobMeasures = []string{MetricCandidates, MetricBreakerTrips, MetricDriftFound, MetricDriftFixed}

// Vocabulary is every metric name a job may emit.
var Vocabulary = append([]string{
	MetricRuns, MetricFailedRuns, MetricPartialRuns, MetricSkippedRuns, MetricDuration, MetricAPICalls, MetricRetries, MetricErrors,
	MetricEstimatedMonthlySavings,
	MetricDone, MetricPlanned, MetricSkipped, MetricFailed,
}, JobMeasures...)

var (
	outcomes      = []string{Done, Planned, Skipped, Failed}
	outcomeMetric = map[string]string{Done: MetricDone, Planned: MetricPlanned, Skipped: MetricSkipped, Failed: MetricFailed}
)

// WriteMetrics writes the finished report's metrics to w as CloudWatch EMF
// lines under namespace: one line for the run (dimension Job) and one per
// action (Job, Action). extra are the job's own measures, named from the
// vocabulary; any other name is refused, so the dashboard never waits for a
// metric nobody emits or misses one somebody does.
func (r *Report) WriteMetrics(w io.Writer, namespace string, extra map[string]float64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	run, err := metrics.New(namespace, map[string]string{DimJob: r.Function})
	if err != nil {
		return err
	}
	put := func(s *metrics.Set, name string, v float64, unit metrics.Unit) {
		err = errors.Join(err, s.Put(name, v, unit))
	}
	put(run, MetricRuns, 1, metrics.Count)
	put(run, MetricFailedRuns, b2f(r.Status == StatusFailed), metrics.Count)
	put(run, MetricPartialRuns, b2f(r.Status == StatusPartial), metrics.Count)
	put(run, MetricSkippedRuns, b2f(r.Status == StatusSkipped), metrics.Count)
	put(run, MetricDuration, float64(r.DurationMs), metrics.Milliseconds)
	put(run, MetricAPICalls, float64(r.APICallsTotal), metrics.Count)
	put(run, MetricRetries, float64(r.Retries), metrics.Count)
	put(run, MetricErrors, float64(len(r.Errors)), metrics.Count)
	if r.estimated {
		put(run, MetricEstimatedMonthlySavings, r.SavingsUSD, metrics.None)
	}
	for _, o := range outcomes {
		put(run, outcomeMetric[o], 0, metrics.Count) // every total present, zero or not: graphs show a line, not a gap
	}
	byAction := map[string]map[string]float64{}
	for key, n := range r.Counts {
		action, outcome, ok := strings.Cut(key, ".")
		name, known := outcomeMetric[outcome]
		if !ok || !known {
			return fmt.Errorf("metrics: count %q is not <action>.<done|planned|skipped|failed>", key)
		}
		put(run, name, float64(n), metrics.Count)
		if byAction[action] == nil {
			byAction[action] = map[string]float64{}
		}
		byAction[action][name] += float64(n)
	}
	names := make([]string, 0, len(extra))
	for name := range extra {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !slices.Contains(JobMeasures, name) {
			return fmt.Errorf("metrics: %q is not a job measure of the vocabulary (report.Vocabulary)", name)
		}
		put(run, name, extra[name], metrics.Count)
	}
	run.Property("status", r.Status)
	run.Property("dryRun", r.DryRun)
	if r.EventID != "" {
		run.Property("eventId", r.EventID)
	}
	if r.IdempotencyKey != "" {
		run.Property("idempotencyKey", r.IdempotencyKey)
	}
	if err != nil {
		return err
	}
	if err := run.Flush(w); err != nil {
		return err
	}
	actions := make([]string, 0, len(byAction))
	for a := range byAction {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	for _, a := range actions {
		s, err := metrics.New(namespace, map[string]string{DimJob: r.Function, DimAction: a})
		if err != nil {
			return err
		}
		for _, o := range outcomes {
			if n, ok := byAction[a][outcomeMetric[o]]; ok {
				if err := s.Put(outcomeMetric[o], n, metrics.Count); err != nil {
					return err
				}
			}
		}
		if err := s.Flush(w); err != nil {
			return err
		}
	}
	return nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
