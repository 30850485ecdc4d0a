package plan

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/cleanup/policy"
)

// A metric filter's window is whole UTC days: the Days days before the
// run's day, each one period of MetricPeriod seconds. Each day's value must
// be below (or above) the threshold: "Maximum below 5 for 14d" is each of
// the 14 daily maxima below 5; "Sum below 10 for 14d" is fewer than 10 on
// each day, not in total. A day without a datapoint proves nothing, so a
// resource matches only when every day of the window has one (for a sparse
// metric, one a day after its creation may lack: that is a day with none).

// MetricPeriod is the period of every metric filter's datapoints: one day.
const MetricPeriod = 86400

const day = 24 * time.Hour

// MetricWindowEnd is where every metric filter's window ends at now: the
// start of now's UTC day (today, still incomplete, is not in the window).
func MetricWindowEnd(now time.Time) time.Time { return now.UTC().Truncate(day) }

// MetricDays is the longest window, in days, of the metric filters of
// policies (0: none has one). One fetch of that many days serves every
// filter: each reads the newest days it needs.
func MetricDays(policies []policy.Policy) int {
	n := 0
	for _, p := range policies {
		for _, f := range p.Filters {
			if f.Kind == policy.Metric && f.Metric != nil {
				n = max(n, f.Metric.Days)
			}
		}
	}
	return n
}

// MetricQuery is one daily series of one resource a metric filter reads:
// its statistic Stat of the metric Namespace/Name whose dimension Dimension
// is Value (the resource's id).
type MetricQuery struct {
	Key                                     string // its key in Resource.Metrics
	Namespace, Name, Dimension, Value, Stat string
}

// metricQuery is the series filter m reads of r, in the namespace and by the
// dimension of r's type.
func metricQuery(t *policy.Metrics, m *policy.MetricTest, r Resource) MetricQuery {
	q := MetricQuery{Namespace: t.Namespace, Name: m.Name, Dimension: t.Dimension, Value: r.ID, Stat: m.Stat}
	q.Key = strings.Join([]string{q.Namespace, q.Name, q.Dimension + "=" + q.Value, q.Stat}, "|")
	return q
}

// MetricQueries are the series Decide needs of r that r.Metrics lacks: those
// of the metric filters of every policy whose other filters all match r and
// no exclusion does, in policy order, up to the first such policy without a
// metric filter (it matches, and decides whatever later policies' metrics
// say). Each series once. None: Decide needs no metric of r, and a
// resource that fails the other filters costs no query.
func MetricQueries(policies []policy.Policy, r Resource, now time.Time) []MetricQuery {
	t := policy.Types[r.Type].Metrics
	var out []MetricQuery
	for _, p := range policies {
		ok, _, metrics := prefilter(p, r, now)
		if !ok {
			continue
		}
		if len(metrics) == 0 {
			break
		}
		if t == nil {
			continue // Parse refuses a metric filter on such a type; it never matches
		}
		for _, f := range metrics {
			if f.Metric == nil {
				continue
			}
			q := metricQuery(t, f.Metric, r)
			if _, have := r.Metrics[q.Key]; have || slices.ContainsFunc(out, func(o MetricQuery) bool { return o.Key == q.Key }) {
				continue
			}
			out = append(out, q)
		}
	}
	return out
}

// verdict is what a metric filter's datapoints say.
type verdict int

const (
	disproven verdict = iota // a day's value is not below (above) the threshold, or the filter is malformed
	unknown                  // no day disproves it, but some days have no datapoint
	proven                   // every day of the window has a value, each below (above) the threshold
)

// metricVerdict tests metric filter f on r's fetched datapoints, with the
// reason when it is proven or unknown.
func metricVerdict(f policy.Filter, r Resource, now time.Time) (verdict, string) {
	m, t := f.Metric, policy.Types[r.Type].Metrics
	if m == nil || t == nil || m.Days < 1 {
		return disproven, "" // Parse refuses these: fail closed
	}
	what := "idle"
	if !m.Below {
		what = "busy"
	}
	vals, fetched := r.Metrics[metricQuery(t, m, r).Key]
	if !fetched || len(vals) < m.Days {
		return unknown, fmt.Sprintf("metric %s: no datapoints fetched, not enough to prove %s", m.Name, what)
	}
	sparse := slices.Contains(t.Sparse, m.Name)
	end := MetricWindowEnd(now)
	known := 0
	extreme := math.NaN() // the highest value (below) or the lowest (above)
	for i, v := range vals[:m.Days] {
		if math.IsNaN(v) {
			// A sparse metric sends nothing for a day with none, once the resource existed.
			if !sparse || r.Created.IsZero() || end.Add(-time.Duration(i+1)*day).Before(r.Created) {
				continue
			}
			v = 0
		}
		known++
		if m.Below && !(v < m.Threshold) || !m.Below && !(v > m.Threshold) {
			return disproven, ""
		}
		if math.IsNaN(extreme) || m.Below && v > extreme || !m.Below && v < extreme {
			extreme = v
		}
	}
	if known < m.Days {
		if sparse {
			since := "its creation time is unknown"
			if !r.Created.IsZero() {
				since = "a day without one counts as none only from " + r.Created.UTC().Format(time.RFC3339) + " on"
			}
			return unknown, fmt.Sprintf("metric %s: %d of %d days known (%s), not enough to prove %s", m.Name, known, m.Days, since, what)
		}
		return unknown, fmt.Sprintf("metric %s: %d of %d daily datapoints, not enough to prove %s", m.Name, known, m.Days, what)
	}
	side, most := "below", "highest"
	if !m.Below {
		side, most = "above", "lowest"
	}
	return proven, fmt.Sprintf("metric %s %s %s %s on each of the last %d days (%s %s)",
		m.Name, m.Stat, side, num(m.Threshold), m.Days, most, num(extreme))
}

// num prints a metric value briefly: 5, 0.25, 1.5e+09.
func num(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
