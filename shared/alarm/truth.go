package alarm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws-commander/commander/shared/alarm/alarmevent"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

var errUnknownAlarm = errors.New("unknown alarm")

// lookupAlarm reads the alarm's definition (metric or composite), state and
// tags from CloudWatch.
func lookupAlarm(ctx context.Context, cw CloudWatchAPI, name string) (Definition, error) {
	out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
		AlarmNames: []string{name},
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
	})
	if err != nil {
		return Definition{}, fmt.Errorf("describe alarm %s: %w", name, err)
	}
	d := Definition{Name: name}
	found := false
	for _, a := range out.MetricAlarms {
		if aws.ToString(a.AlarmName) != name {
			continue
		}
		found = true
		d.ARN, d.State, d.Since = aws.ToString(a.AlarmArn), string(a.StateValue), since(a.StateTransitionedTimestamp, a.StateUpdatedTimestamp)
		if len(a.Dimensions) > 0 {
			d.Dimensions = append(d.Dimensions, dimensionMap(a.Dimensions))
		}
		for _, m := range a.Metrics {
			if m.MetricStat != nil && m.MetricStat.Metric != nil {
				d.Dimensions = append(d.Dimensions, dimensionMap(m.MetricStat.Metric.Dimensions))
			}
		}
		break
	}
	for _, a := range out.CompositeAlarms {
		if found || aws.ToString(a.AlarmName) != name {
			continue
		}
		found, d.Composite = true, true
		d.ARN, d.State, d.Since = aws.ToString(a.AlarmArn), string(a.StateValue), since(a.StateTransitionedTimestamp, a.StateUpdatedTimestamp)
	}
	if !found {
		return Definition{}, errUnknownAlarm
	}
	tl, err := cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(d.ARN)})
	if awserr.Is(err, awserr.NotFound) {
		return Definition{}, errUnknownAlarm // deleted between the two calls
	}
	if err != nil {
		return Definition{}, fmt.Errorf("tags of alarm %s: %w", name, err)
	}
	d.Tags = map[string]string{}
	for _, t := range tl.Tags {
		d.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return d, nil
}

// since is when the alarm entered its state: StateTransitionedTimestamp,
// or StateUpdatedTimestamp where CloudWatch (or moto) gives only that; the
// latter may be later than the transition, which only sends more events to
// the history.
func since(transitioned, updated *time.Time) time.Time {
	if transitioned != nil {
		return transitioned.UTC()
	}
	if updated != nil {
		return updated.UTC()
	}
	return time.Time{}
}

func dimensionMap(ds []cwtypes.Dimension) map[string]string {
	m := make(map[string]string, len(ds))
	for _, d := range ds {
		m[aws.ToString(d.Name)] = aws.ToString(d.Value)
	}
	return m
}

// confirm checks the event's new state against CloudWatch: its current
// state, or, for a state it has left since, its history. It returns the
// mismatch for the report, empty when CloudWatch confirms the event.
func confirm(ctx context.Context, cw CloudWatchAPI, ev alarmevent.Event, d Definition) (string, error) {
	truth, why := CheckState(ev.State, d)
	switch truth {
	case Confirmed:
		return "", nil
	case Contradicted:
		return why, nil
	}
	hist, err := stateHistory(ctx, cw, d, ev.State.Timestamp)
	if err != nil {
		return "", err
	}
	return CheckHistory(ev.State, d, hist), nil
}

// stateHistory reads the alarm's state transitions within HistoryTolerance
// of at: a narrow window, so a page or two at most.
func stateHistory(ctx context.Context, cw CloudWatchAPI, d Definition, at time.Time) ([]Transition, error) {
	p := cloudwatch.NewDescribeAlarmHistoryPaginator(cw, &cloudwatch.DescribeAlarmHistoryInput{
		AlarmName:       aws.String(d.Name),
		AlarmTypes:      []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
		HistoryItemType: cwtypes.HistoryItemTypeStateUpdate,
		StartDate:       aws.Time(at.Add(-HistoryTolerance)),
		EndDate:         aws.Time(at.Add(HistoryTolerance)),
	})
	var out []Transition
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("history of alarm %s: %w", d.Name, err)
		}
		for _, it := range page.AlarmHistoryItems {
			if aws.ToString(it.AlarmName) != d.Name || it.HistoryItemType != cwtypes.HistoryItemTypeStateUpdate || it.Timestamp == nil {
				continue
			}
			var data struct {
				OldState struct {
					StateValue string `json:"stateValue"`
				} `json:"oldState"`
				NewState struct {
					StateValue string `json:"stateValue"`
				} `json:"newState"`
			}
			// An item we cannot read confirms nothing.
			if json.Unmarshal([]byte(aws.ToString(it.HistoryData)), &data) != nil || data.NewState.StateValue == "" {
				continue
			}
			out = append(out, Transition{From: data.OldState.StateValue, To: data.NewState.StateValue, At: it.Timestamp.UTC()})
		}
	}
	return out, nil
}
