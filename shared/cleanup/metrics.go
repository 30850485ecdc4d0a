package cleanup

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// metricBatch is how many queries one GetMetricData call carries: its
// limit ("You can include up to 500 MetricDataQuery structures").
const metricBatch = 500

// metricFetcher reads the datapoints the metric filters need while a type
// is listed. A listed resource that needs some (plan.MetricQueries: it
// passed every other filter of a policy) waits here; its queries join the
// next call, which goes when it holds metricBatch queries (the remainder
// after the listing), and the resources whose queries are all answered are
// decided then, in listing order. So memory holds one call's resources, not
// the inventory, and the calls are ceil(queries / metricBatch) per type and
// region, never one per resource or per day.
type metricFetcher struct {
	api    CloudWatchAPI
	days   int       // the window of every query: the longest metric filter's
	end    time.Time // where the window ends: the start of the run's UTC day
	decide func(plan.Resource)

	pending []*waiting     // listing order; the front is the oldest
	queries []waitingQuery // not sent yet
	failed  int            // resources left undecided: a call failed
	err     error          // the first failure
}

// waiting is a resource whose queries are not all answered.
type waiting struct {
	res  plan.Resource
	left int
	err  error
}

type waitingQuery struct {
	q plan.MetricQuery
	w *waiting
}

// newMetricFetcher is nil when no policy on the type has a metric filter.
func newMetricFetcher(r *run, api CloudWatchAPI, pols []policy.Policy, decide func(plan.Resource)) *metricFetcher {
	days := plan.MetricDays(pols)
	if days == 0 {
		return nil
	}
	return &metricFetcher{api: api, days: days, end: plan.MetricWindowEnd(r.now), decide: decide}
}

// add takes a listed resource and the queries it needs (at least one).
func (m *metricFetcher) add(ctx context.Context, res plan.Resource, qs []plan.MetricQuery) {
	w := &waiting{res: res, left: len(qs)}
	if w.res.Metrics == nil {
		w.res.Metrics = make(map[string][]float64, len(qs))
	}
	m.pending = append(m.pending, w)
	for _, q := range qs {
		m.queries = append(m.queries, waitingQuery{q, w})
		if len(m.queries) == metricBatch {
			m.fetch(ctx)
		}
	}
}

// flush sends what the listing left and decides the rest. The error names
// the first failed call and how many resources it left undecided (their
// marks as they are: what could not be read proves nothing either way).
func (m *metricFetcher) flush(ctx context.Context) error {
	if len(m.queries) > 0 {
		m.fetch(ctx)
	}
	m.release()
	if m.err != nil {
		return fmt.Errorf("metrics: %d resources left undecided (marks left as they are): %w", m.failed, m.err)
	}
	return nil
}

// fetch makes one call (its pages) for the queries held, then decides the
// resources it completed.
func (m *metricFetcher) fetch(ctx context.Context) {
	batch := m.queries
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(m.end.Add(-time.Duration(m.days) * 24 * time.Hour)),
		EndTime:   aws.Time(m.end),
		ScanBy:    cwtypes.ScanByTimestampDescending,
	}
	for i, wq := range batch {
		in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
			Id: aws.String("m" + strconv.Itoa(i)), ReturnData: aws.Bool(true),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{
					Namespace: aws.String(wq.q.Namespace), MetricName: aws.String(wq.q.Name),
					Dimensions: []cwtypes.Dimension{{Name: aws.String(wq.q.Dimension), Value: aws.String(wq.q.Value)}},
				},
				Period: aws.Int32(plan.MetricPeriod), Stat: aws.String(wq.q.Stat),
			},
		})
	}
	series := make([][]float64, len(batch))
	for i := range series {
		series[i] = nanDays(m.days)
	}
	bad := map[int]error{}
	var callErr error
	p := cloudwatch.NewGetMetricDataPaginator(m.api, in)
	for p.HasMorePages() && callErr == nil {
		page, err := p.NextPage(ctx)
		if err != nil {
			callErr = fmt.Errorf("get metric data: %w", err)
			break
		}
		for _, res := range page.MetricDataResults {
			i, err := strconv.Atoi(aws.ToString(res.Id)[1:])
			if err != nil || i < 0 || i >= len(batch) {
				continue // not a query of ours
			}
			switch res.StatusCode {
			case cwtypes.StatusCodeComplete, cwtypes.StatusCodePartialData, "":
			default:
				bad[i] = fmt.Errorf("get metric data: %s %s of %s: status %s", batch[i].q.Stat, batch[i].q.Name, batch[i].q.Value, res.StatusCode)
			}
			m.place(series[i], res.Timestamps, res.Values)
		}
	}
	for i, wq := range batch {
		switch {
		case callErr != nil:
			wq.w.err = callErr
		case bad[i] != nil:
			wq.w.err = bad[i]
		default:
			wq.w.res.Metrics[wq.q.Key] = series[i]
		}
		wq.w.left--
	}
	clear(m.queries)
	m.queries = m.queries[:0]
	m.release()
}

// place puts each datapoint on its day: index 0 is the day before the
// window's end. A timestamp is a period's start; one not on a day's start
// still counts for the day it falls in; one outside the window is dropped.
func (m *metricFetcher) place(days []float64, ts []time.Time, vals []float64) {
	for j := range min(len(ts), len(vals)) {
		back := m.end.Sub(ts[j])
		if back <= 0 {
			continue
		}
		i := int((back+24*time.Hour-1)/(24*time.Hour)) - 1
		if i < len(days) && math.IsNaN(days[i]) {
			days[i] = vals[j]
		}
	}
}

// release decides the resources at the front whose queries are all answered.
func (m *metricFetcher) release() {
	n := 0
	for _, w := range m.pending {
		if w.left > 0 {
			break
		}
		n++
		if w.err != nil {
			m.failed++
			if m.err == nil {
				m.err = w.err
			}
			continue
		}
		m.decide(w.res)
	}
	clear(m.pending[:n])
	m.pending = m.pending[n:]
}

func nanDays(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	return out
}
