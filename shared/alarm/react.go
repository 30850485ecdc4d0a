package alarm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/alarm/alarmevent"
	"github.com/aws-commander/commander/shared/audit"
	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/clock"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/trigger"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"golang.org/x/sync/errgroup"
)

// EC2API is the slice of EC2 the reactions call.
type EC2API interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeVolumes(ctx context.Context, in *ec2.DescribeVolumesInput, opts ...func(*ec2.Options)) (*ec2.DescribeVolumesOutput, error)
	StopInstances(ctx context.Context, in *ec2.StopInstancesInput, opts ...func(*ec2.Options)) (*ec2.StopInstancesOutput, error)
	StartInstances(ctx context.Context, in *ec2.StartInstancesInput, opts ...func(*ec2.Options)) (*ec2.StartInstancesOutput, error)
	RebootInstances(ctx context.Context, in *ec2.RebootInstancesInput, opts ...func(*ec2.Options)) (*ec2.RebootInstancesOutput, error)
	TerminateInstances(ctx context.Context, in *ec2.TerminateInstancesInput, opts ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error)
	CreateSnapshots(ctx context.Context, in *ec2.CreateSnapshotsInput, opts ...func(*ec2.Options)) (*ec2.CreateSnapshotsOutput, error)
	CreateSnapshot(ctx context.Context, in *ec2.CreateSnapshotInput, opts ...func(*ec2.Options)) (*ec2.CreateSnapshotOutput, error)
	CreateTags(ctx context.Context, in *ec2.CreateTagsInput, opts ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
}

// LambdaAPI is the slice of Lambda the reactions call.
type LambdaAPI interface {
	GetFunction(ctx context.Context, in *lambda.GetFunctionInput, opts ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	PutFunctionConcurrency(ctx context.Context, in *lambda.PutFunctionConcurrencyInput, opts ...func(*lambda.Options)) (*lambda.PutFunctionConcurrencyOutput, error)
	DeleteFunctionConcurrency(ctx context.Context, in *lambda.DeleteFunctionConcurrencyInput, opts ...func(*lambda.Options)) (*lambda.DeleteFunctionConcurrencyOutput, error)
	TagResource(ctx context.Context, in *lambda.TagResourceInput, opts ...func(*lambda.Options)) (*lambda.TagResourceOutput, error)
}

// CloudWatchAPI is the slice of CloudWatch the reactions call.
type CloudWatchAPI interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	DescribeAlarmHistory(ctx context.Context, in *cloudwatch.DescribeAlarmHistoryInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmHistoryOutput, error)
	ListTagsForResource(ctx context.Context, in *cloudwatch.ListTagsForResourceInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.ListTagsForResourceOutput, error)
	TagResource(ctx context.Context, in *cloudwatch.TagResourceInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.TagResourceOutput, error)
}

// Clients are the APIs of one region.
type Clients struct {
	EC2        EC2API
	Lambda     LambdaAPI
	CloudWatch CloudWatchAPI
	Events     audit.PutEventsAPI
}

// RegionClients builds Clients for a region from the function's config.
func RegionClients(cfg aws.Config) func(region string) Clients {
	return func(region string) Clients {
		c := cfg
		if region != "" && region != cfg.Region {
			c = awsclient.InRegion(cfg, region)
		}
		return Clients{
			EC2: ec2client.New(c), Lambda: lambdaclient.New(c),
			CloudWatch: cloudwatchclient.New(c), Events: eventbridgeclient.New(c),
		}
	}
}

// Handler reacts to one alarm state change per invocation.
type Handler struct {
	Settings settings.Settings
	Config   Config
	Log      *slog.Logger
	Clients  func(region string) Clients
	Home     string // the function's own region, for events without one
	Clock    clock.Clock
	Metrics  io.Writer // EMF lines; os.Stdout in Lambda
}

// ReactionDetail is the detail of a "Commander Alarm Reaction" event.
type ReactionDetail struct {
	Alarm         string     `json:"alarm"`
	AlarmARN      string     `json:"alarmArn,omitempty"`
	State         string     `json:"state"`
	PreviousState string     `json:"previousState"`
	Reason        string     `json:"stateReason,omitempty"`
	EventID       string     `json:"eventId"`
	Target        *TargetRef `json:"target,omitempty"` // absent: a notify-only alarm without a target
	Action        string     `json:"action"`
	Outcome       string     `json:"outcome"` // done, planned (dry-run), failed
	Why           string     `json:"reason"`
	Error         string     `json:"error,omitempty"`
	DryRun        bool       `json:"dryRun"`
	At            string     `json:"at"`
}

// TargetRef names the target in a reaction event.
type TargetRef struct {
	Type   string `json:"type"`
	ID     string `json:"id"`
	Region string `json:"region"`
}

// Handle runs one event through decode, lookup, plan, guard, act and report.
// Events that can never succeed answer a skipped report; only transient
// failures (throttling, service unavailable) return an error, so that
// Lambda's asynchronous retry tries again.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (*report.Report, error) {
	counter := awsclient.NewCounter()
	ctx = awsclient.WithCounter(ctx, counter)
	dryRun := h.Settings.DryRunOr(false)
	started := h.Clock.Now()

	t, err := trigger.Decode(raw)
	if err != nil {
		r := report.New("alarm", trigger.Event, dryRun, started, h.Settings.MaxReportedResources)
		return h.skip(ctx, r, counter, "malformed event: "+err.Error()), nil
	}
	r := report.New("alarm", t.Kind, dryRun, started, h.Settings.MaxReportedResources)
	r.EventID, r.IdempotencyKey = t.ID, t.IdempotencyKey()
	clk, err := clock.Resolve(t.Now, h.Settings.AllowSimulatedTime, h.Clock)
	if err != nil {
		return h.skip(ctx, r, counter, err.Error()), nil
	}
	ev, err := alarmevent.FromTrigger(t)
	if err != nil {
		return h.skip(ctx, r, counter, "malformed event: "+err.Error()), nil
	}
	region := ev.Region
	if region == "" {
		region = h.Home
	}
	r.Region = region
	c := h.Clients(region)

	def, err := lookupAlarm(ctx, c.CloudWatch, ev.AlarmName)
	switch {
	case errors.Is(err, errUnknownAlarm):
		return h.skip(ctx, r, counter, fmt.Sprintf("unknown alarm %q in %s", ev.AlarmName, region)), nil
	case err != nil:
		return h.fail(ctx, r, counter, err)
	}

	reaction := Choose(ev, def.Tags, h.Config)
	if reaction.Skip != "" {
		return h.skip(ctx, r, counter, reaction.Skip), nil
	}
	// Anyone who may invoke the function can write an event: act only on a
	// state change CloudWatch itself reports.
	why, err := confirm(ctx, c.CloudWatch, ev, def)
	if err != nil {
		return h.fail(ctx, r, counter, err)
	}
	if why != "" {
		return h.skip(ctx, r, counter, "state change not confirmed by CloudWatch: "+why), nil
	}

	// The audit event names the alarm CloudWatch holds, not the event's resources.
	ev.AlarmARN = def.ARN

	var states []TargetState
	// The targets are the alarm's own, whatever the event's dimensions say.
	targets := Targets(def)
	ignored := ""
	if extra := Extra(EventTargets(ev), targets); len(extra) > 0 {
		names := make([]string, len(extra))
		for i, t := range extra {
			names[i] = string(t.Kind) + " " + t.ID
		}
		ignored = "the event also named " + strings.Join(names, ", ") + ", which the alarm's definition does not: ignored"
		h.Log.WarnContext(ctx, "alarm event names targets the alarm does not", "eventId", ev.ID, "alarm", ev.AlarmName, "ignored", names)
	}
	composite := def.Composite
	if composite || len(targets) == 0 {
		// Nothing to act on: notify, and remember it on the alarm itself.
		note := "composite alarm: notify only"
		if !composite {
			note = "no InstanceId, VolumeId or FunctionName dimension: notify only"
		}
		if reaction.Action != Notify {
			reaction.Note = fmt.Sprintf("%s (%s from %s)", note, reaction.Action, reaction.Source)
		} else if reaction.Note == "" {
			reaction.Note = note
		}
		reaction.Action = Notify
		states = []TargetState{{Target: Target{Kind: AlarmRes, ID: def.Name}, Found: true, Tags: def.Tags, ARN: def.ARN}}
	} else {
		states, err = h.lookupTargets(ctx, c, targets)
		if err != nil {
			return h.fail(ctx, r, counter, err)
		}
	}

	now := clk.Now()
	steps, breakerErr := Decide(reaction, states, Guard{
		DryRun: dryRun, ProtectTag: h.Settings.ProtectTag, Cooldown: h.Settings.AlarmCooldown,
		Now: now, EventID: ev.ID, Alarm: ev.AlarmName, Breaker: h.Settings.Breaker(),
	})
	if breakerErr != nil {
		r.Partial(breakerErr.Error())
	}

	var (
		transient []error
		skipped   []string
	)
	acted := 0
	for _, st := range steps {
		d := report.Decision{Resource: st.ID, Type: string(st.Kind), Region: region, Action: string(st.Action), Reason: st.Reason}
		if ignored != "" {
			d.Reason += "; " + ignored
		}
		if st.Skip != "" {
			d.Outcome, d.Reason = report.Skipped, st.Skip
			skipped = append(skipped, st.Skip)
			h.Log.InfoContext(ctx, "alarm target skipped", "eventId", ev.ID, "alarm", ev.AlarmName, "target", st.ID, "reason", st.Skip)
			r.Add(d)
			continue
		}
		outcome, why, err := h.act(ctx, c, ev, st, dryRun, now)
		d.Outcome = outcome
		if why != "" {
			d.Reason += "; " + why
		}
		if err != nil {
			if awserr.Retryable(err) {
				transient = append(transient, fmt.Errorf("%s %s: %w", st.Action, st.ID, err))
			}
			d.Error = awserr.Explain(err)
		}
		if d.Outcome == report.Skipped {
			d.Reason = why
			skipped = append(skipped, why)
		} else {
			acted++
			// The audit event is the reaction users route; a lost one is a failure.
			if aerr := h.emit(ctx, c, ev, st, d, dryRun, now); aerr != nil {
				if awserr.Retryable(aerr) {
					transient = append(transient, aerr)
				}
				if d.Outcome != report.Failed {
					d.Outcome, d.Error = report.Failed, aerr.Error()
				}
			}
		}
		if d.Outcome == report.Done {
			// Remembered last, so a retry after a failure above acts again.
			if terr := h.remember(ctx, c, st, ev, now); terr != nil {
				if awserr.Retryable(terr) {
					transient = append(transient, terr)
				}
				d.Reason += "; not remembered for idempotency: " + awserr.Explain(terr)
			}
		}
		h.Log.InfoContext(ctx, "alarm reaction", "eventId", ev.ID, "alarm", ev.AlarmName, "target", st.ID,
			"type", st.Kind, "action", st.Action, "outcome", d.Outcome, "reason", d.Reason, "error", d.Error)
		r.Add(d)
	}
	if len(transient) > 0 {
		return h.fail(ctx, r, counter, errors.Join(transient...))
	}
	if acted == 0 {
		return h.skip(ctx, r, counter, strings.Join(skipped, "; ")), nil
	}
	h.finish(ctx, r, counter)
	return r, nil
}

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

// lookupTargets finds each target's state and tags, a few at a time.
func (h *Handler) lookupTargets(ctx context.Context, c Clients, targets []Target) ([]TargetState, error) {
	states := make([]TargetState, len(targets))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, h.Settings.Concurrency))
	for i, t := range targets {
		g.Go(func() error {
			s, err := lookupTarget(gctx, c, t)
			states[i] = s
			return err
		})
	}
	return states, g.Wait()
}

func lookupTarget(ctx context.Context, c Clients, t Target) (TargetState, error) {
	s := TargetState{Target: t, Tags: map[string]string{}}
	switch t.Kind {
	case Instance:
		out, err := c.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{t.ID}})
		if gone(err) {
			s.Gone = "instance " + t.ID + " does not exist"
			return s, nil
		}
		if err != nil {
			return s, fmt.Errorf("describe instance %s: %w", t.ID, err)
		}
		for _, res := range out.Reservations {
			for _, in := range res.Instances {
				if in.State != nil && (in.State.Name == ec2types.InstanceStateNameTerminated || in.State.Name == ec2types.InstanceStateNameShuttingDown) {
					s.Gone = "instance " + t.ID + " is " + string(in.State.Name)
					return s, nil
				}
				s.Found = true
				for _, tg := range in.Tags {
					s.Tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
				}
			}
		}
		if !s.Found {
			s.Gone = "instance " + t.ID + " does not exist"
		}
	case Volume:
		out, err := c.EC2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{t.ID}})
		if gone(err) {
			s.Gone = "volume " + t.ID + " does not exist"
			return s, nil
		}
		if err != nil {
			return s, fmt.Errorf("describe volume %s: %w", t.ID, err)
		}
		for _, v := range out.Volumes {
			s.Found = true
			for _, tg := range v.Tags {
				s.Tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
			}
		}
		if !s.Found {
			s.Gone = "volume " + t.ID + " does not exist"
		}
	case Function:
		out, err := c.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(t.ID)})
		if gone(err) {
			s.Gone = "function " + t.ID + " does not exist"
			return s, nil
		}
		if err != nil {
			return s, fmt.Errorf("get function %s: %w", t.ID, err)
		}
		s.Found = true
		if out.Configuration != nil {
			s.ARN = aws.ToString(out.Configuration.FunctionArn)
		}
		for k, v := range out.Tags {
			s.Tags[k] = v
		}
	}
	return s, nil
}

// gone is a lookup error that no retry will fix: the target does not exist,
// or its id cannot exist (a malformed id in the alarm's dimensions).
func gone(err error) bool {
	k := awserr.Classify(err)
	return k == awserr.NotFound || k == awserr.InvalidInput
}

// act carries out one step. It returns the outcome, a note for the report,
// and the error of a failed call. In dry-run, EC2 actions are sent with
// DryRun so that EC2 confirms the permission and the target; nothing else
// is called.
func (h *Handler) act(ctx context.Context, c Clients, ev alarmevent.Event, st Step, dryRun bool, now time.Time) (string, string, error) {
	var (
		note string
		err  error
	)
	id := []string{st.ID}
	probe := aws.Bool(dryRun)
	switch st.Action {
	case Notify:
		if dryRun {
			return report.Planned, "dry-run", nil
		}
		return report.Done, "", nil
	case Stop:
		_, err = c.EC2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: id, DryRun: probe})
	case Start:
		_, err = c.EC2.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: id, DryRun: probe})
	case Reboot:
		_, err = c.EC2.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: id, DryRun: probe})
	case Terminate:
		_, err = c.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: id, DryRun: probe})
	case Snapshot:
		note, err = snapshot(ctx, c.EC2, st, ev, now, dryRun)
	case Throttle:
		if dryRun {
			return report.Planned, "dry-run: reserved concurrency would be set to 0", nil
		}
		_, err = c.Lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
			FunctionName: aws.String(st.ID), ReservedConcurrentExecutions: aws.Int32(0),
		})
		note = "reserved concurrency set to 0"
	case Unthrottle:
		if dryRun {
			return report.Planned, "dry-run: reserved concurrency would be removed", nil
		}
		_, err = c.Lambda.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String(st.ID)})
		note = "reserved concurrency removed"
	default:
		return report.Failed, "", fmt.Errorf("action %q has no implementation", st.Action)
	}
	switch {
	case dryRun && awserr.Is(err, awserr.DryRunOK):
		return report.Planned, "dry-run: EC2 confirmed the call would succeed", nil
	case dryRun && err == nil:
		return report.Failed, "", fmt.Errorf("%s %s: EC2 did not answer the dry-run", st.Action, st.ID)
	case err == nil:
		return report.Done, note, nil
	case awserr.Is(err, awserr.NotFound):
		// Gone between lookup and action: nothing left to do, and no retry will change that.
		return report.Skipped, "target gone: " + awserr.Explain(err), nil
	default:
		return report.Failed, "", fmt.Errorf("%s %s: %w", st.Action, st.ID, err)
	}
}

func snapshot(ctx context.Context, api EC2API, st Step, ev alarmevent.Event, now time.Time, dryRun bool) (string, error) {
	tagMap := tags.Managed(truncate("alarm "+ev.AlarmName, maxTagValue), now)
	tagMap[tags.RunKey] = ev.ID
	tagMap[AlarmTag] = truncate(ev.AlarmName, maxTagValue)
	var list []ec2types.Tag
	for k, v := range tagMap {
		list = append(list, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	spec := []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSnapshot, Tags: list}}
	desc := truncate(fmt.Sprintf("commander: alarm %s went %s (event %s)", ev.AlarmName, ev.State.Value, ev.ID), 255)
	if st.Kind == Volume {
		out, err := api.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: aws.String(st.ID), Description: aws.String(desc), TagSpecifications: spec, DryRun: aws.Bool(dryRun)})
		if err != nil {
			return "", err
		}
		return "snapshot " + aws.ToString(out.SnapshotId), nil
	}
	out, err := api.CreateSnapshots(ctx, &ec2.CreateSnapshotsInput{
		InstanceSpecification: &ec2types.InstanceSpecification{InstanceId: aws.String(st.ID), ExcludeBootVolume: aws.Bool(false)},
		Description:           aws.String(desc), TagSpecifications: spec, DryRun: aws.Bool(dryRun),
	})
	if err != nil {
		return "", err
	}
	var ids []string
	for _, s := range out.Snapshots {
		ids = append(ids, aws.ToString(s.SnapshotId))
	}
	return "snapshots " + strings.Join(ids, ", "), nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// remember writes the reaction on the target (or the alarm, when there is
// no target), for idempotency and the cooldown: there is no database.
func (h *Handler) remember(ctx context.Context, c Clients, st Step, ev alarmevent.Event, now time.Time) error {
	v := ReactedValue(ev.AlarmName, now, ev.ID)
	var err error
	switch st.Kind {
	case Instance, Volume:
		_, err = c.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{st.ID}, Tags: []ec2types.Tag{{Key: aws.String(ReactedTag), Value: aws.String(v)}}})
	case Function:
		_, err = c.Lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(st.ARN), Tags: map[string]string{ReactedTag: v}})
	case AlarmRes:
		_, err = c.CloudWatch.TagResource(ctx, &cloudwatch.TagResourceInput{ResourceARN: aws.String(st.ARN), Tags: []cwtypes.Tag{{Key: aws.String(ReactedTag), Value: aws.String(v)}}})
	}
	if err != nil {
		return fmt.Errorf("tag %s %s with %s: %w", st.Kind, st.ID, ReactedTag, err)
	}
	return nil
}

func (h *Handler) emit(ctx context.Context, c Clients, ev alarmevent.Event, st Step, d report.Decision, dryRun bool, now time.Time) error {
	detail := ReactionDetail{
		Alarm: ev.AlarmName, AlarmARN: ev.AlarmARN, State: ev.State.Value, PreviousState: ev.Previous.Value,
		Reason: truncate(ev.State.Reason, 1024), EventID: ev.ID, Action: string(st.Action), Outcome: d.Outcome,
		Why: d.Reason, Error: d.Error, DryRun: dryRun, At: now.UTC().Format(time.RFC3339),
	}
	if st.Kind != AlarmRes {
		detail.Target = &TargetRef{Type: string(st.Kind), ID: st.ID, Region: d.Region}
	}
	var resources []string
	if ev.AlarmARN != "" {
		resources = append(resources, ev.AlarmARN)
	}
	return audit.Emitter{API: c.Events, Bus: h.Settings.EventBus}.Emit(ctx, events.AlarmReaction, detail, resources...)
}

func (h *Handler) skip(ctx context.Context, r *report.Report, counter *awsclient.Counter, reason string) *report.Report {
	h.Log.WarnContext(ctx, "alarm event skipped", "eventId", r.EventID, "reason", reason)
	r.Skip(reason)
	h.finish(ctx, r, counter)
	return r
}

func (h *Handler) fail(ctx context.Context, r *report.Report, counter *awsclient.Counter, err error) (*report.Report, error) {
	h.Log.ErrorContext(ctx, "alarm reaction failed", "eventId", r.EventID, "error", err.Error(), "retryable", awserr.Retryable(err))
	r.Fail(err)
	h.finish(ctx, r, counter)
	return r, r.Err()
}

func (h *Handler) finish(ctx context.Context, r *report.Report, counter *awsclient.Counter) {
	r.Finish(h.Clock.Now(), counter)
	if h.Metrics == nil {
		return
	}
	if err := r.WriteMetrics(h.Metrics, h.Settings.MetricsNamespace, nil); err != nil {
		h.Log.WarnContext(ctx, "metrics", "error", err.Error())
	}
}
