package backup

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/audit"
	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/backup/retention"
	"github.com/aws-commander/commander/shared/boot"
	"github.com/aws-commander/commander/shared/clock"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"golang.org/x/sync/errgroup"
)

// Function is this job's name in reports, metrics and logs.
const Function = "backup"

// Report types and actions.
const (
	TypeVolume   = "ec2:volume"
	TypeSnapshot = "ec2:snapshot"
	TypeBucket   = "s3:bucket"

	ActionSnapshot = "snapshot"
	ActionDelete   = "delete"
	ActionKeep     = "keep"
	ActionCheck    = "check"
)

// deadlineMargin is kept back from the Lambda deadline so that a run
// that runs out of time still returns its report.
const deadlineMargin = 3 * time.Second

// Region is the clients of one region.
type Region struct {
	Name string
	EC2  EC2API
	S3   S3API
	// CopiesOnly: a copy destination outside COMMANDER_REGIONS, where the
	// job only applies the copies' retention.
	CopiesOnly bool
}

// Job is the backup job. It does not know it runs in Lambda.
type Job struct {
	Settings settings.Settings
	Config   Config
	Regions  []Region
	Audit    audit.PutEventsAPI
	Clock    clock.Clock // the real clock; an event may simulate now when allowed
	Log      *slog.Logger
	Metrics  io.Writer // EMF lines
	// Self hands a run that runs out of time over to a follow-up
	// invocation of this function (asynchronous); nil: the report's next
	// field says how to continue.
	Self     InvokeAPI
	SelfName string
}

// InvokeAPI is the slice of Lambda the hand-over calls.
type InvokeAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// New builds the job's clients for every configured region.
func New(d boot.Deps, c Config, metricsOut io.Writer) *Job {
	j := &Job{Settings: d.Settings, Config: c, Audit: eventbridgeclient.New(d.AWS), Clock: clock.Real{}, Log: d.Log, Metrics: metricsOut,
		Self: lambdaclient.New(d.AWS), SelfName: os.Getenv("AWS_LAMBDA_FUNCTION_NAME")}
	for _, name := range d.Settings.Regions {
		cfg := awsclient.InRegion(d.AWS, name)
		j.Regions = append(j.Regions, Region{Name: name, EC2: ec2client.New(cfg), S3: s3client.New(cfg)})
	}
	for _, name := range c.CopyRegions() {
		if !slices.Contains(d.Settings.Regions, name) {
			cfg := awsclient.InRegion(d.AWS, name)
			j.Regions = append(j.Regions, Region{Name: name, EC2: ec2client.New(cfg), CopiesOnly: true})
		}
	}
	return j
}

func (j *Job) region(name string) (Region, bool) {
	i := slices.IndexFunc(j.Regions, func(r Region) bool { return r.Name == name })
	if i < 0 {
		return Region{}, false
	}
	return j.Regions[i], true
}

// Handle is the Lambda handler: the report, and an error when the run failed
// (so that an asynchronous invocation is retried).
func (j *Job) Handle(ctx context.Context, raw json.RawMessage) (*report.Report, error) {
	r, err := j.Run(ctx, raw)
	if err != nil {
		return nil, err
	}
	return r, r.Err()
}

// run is the state of one invocation.
type run struct {
	*Job
	req          Request
	now          time.Time
	key          string
	dry          bool
	rep          *report.Report
	breakerTrips int           // times the breaker held deletions back, for the metrics
	ledger       *guard.Ledger // the breaker's, across regions and hops
	// sections: the run covers several regions, and the report has a
	// section for each.
	sections bool
	spans    *spans
}

// deletion is a snapshot retention wants gone. A run may hold 50 000 of
// them until prune, so each keeps its volume and policy (strings shared
// with the region's other snapshots) and its time, and the reason
// (retention.Expired's) is built only when the deletion is reported.
type deletion struct {
	reg    *Region
	id     string
	vol    string
	policy string
	taken  int64 // Unix milliseconds
}

func (ru *run) reason(d deletion) string {
	return d.vol + ": " + retention.Expired(ru.Config.Policies[d.policy], time.UnixMilli(d.taken), ru.now)
}

// Run decodes raw and runs the pipeline. An error means the event itself was
// refused; everything after decoding is in the report.
func (j *Job) Run(ctx context.Context, raw []byte) (*report.Report, error) {
	req, err := Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Function, err)
	}
	clk, err := clock.Resolve(req.Trigger.Now, j.Settings.AllowSimulatedTime, j.Clock)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Function, err)
	}
	if req.Policy != "" {
		if _, err := j.Config.policy(req.Policy); err != nil {
			return nil, fmt.Errorf("%s: field \"policy\": %w", Function, err)
		}
	}
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-deadlineMargin))
		defer cancel()
	}
	counter := awsclient.NewCounter()
	ctx = awsclient.WithCounter(ctx, counter)
	now := clk.Now()
	ru := &run{Job: j, req: req, now: now, key: req.Key(now), dry: j.Settings.DryRunOr(false) || req.DryRun,
		ledger: guard.NewLedger(j.Settings.Breaker(), req.Ledger)}
	ru.rep = report.New(Function, req.Trigger.Kind, ru.dry, j.Clock.Now(), j.Settings.MaxReportedResources)
	ru.rep.EventID, ru.rep.IdempotencyKey = req.Trigger.ID, ru.key

	if len(j.Regions) > 1 {
		names := make([]string, len(j.Regions))
		for i, reg := range j.Regions {
			names[i] = reg.Name
		}
		ru.rep.Regions(names...)
		ru.sections = true
	}
	ru.spans = newSpans()
	dels, candidates := ru.regions(ctx)
	ru.prune(ctx, dels, candidates)
	for _, reg := range j.Regions {
		ru.rep.Took(reg.Name, ru.spans.took(reg.Name))
	}
	if ctx.Err() != nil {
		ru.handOver(ctx)
	}
	ru.finish(ctx, counter)
	return ru.rep, nil
}

// regions works on every region, RegionConcurrency at a time, and returns
// the deletions retention wants and how many snapshots it judged. Copy
// destinations that are nothing else start when the regions that copy into
// them are done, so that their retention sees this run's copies. Nothing is
// deleted here: prune follows once every region has planned, so the
// circuit breaker judges the run as a whole and every volume's new
// snapshot exists before its old ones go.
func (ru *run) regions(ctx context.Context) ([]deletion, int) {
	var (
		mu                 sync.Mutex
		dels               []deletion
		candidates, failed int
	)
	var sources, copiesOnly []Region
	for _, reg := range ru.Regions {
		if reg.CopiesOnly {
			copiesOnly = append(copiesOnly, reg)
		} else {
			sources = append(sources, reg)
		}
	}
	for _, phase := range [][]Region{sources, copiesOnly} {
		var g errgroup.Group
		g.SetLimit(ru.Settings.RegionConcurrency)
		for _, reg := range phase {
			g.Go(func() error {
				d, n, ok := ru.oneRegion(ctx, reg)
				mu.Lock()
				defer mu.Unlock()
				dels, candidates = append(dels, d...), candidates+n
				if !ok {
					failed++
				}
				return nil
			})
		}
		_ = g.Wait() // each region records its own outcome
	}
	if failed > 0 && failed == len(ru.Regions) {
		ru.rep.Fail(fmt.Errorf("EBS backup failed in every region"))
	}
	return dels, candidates
}

// oneRegion is one region's share of the run: its EBS backups, copies and
// retention plan, then its buckets. ok is false when its EBS work failed.
func (ru *run) oneRegion(ctx context.Context, reg Region) (dels []deletion, candidates int, ok bool) {
	ru.spans.begin(reg.Name, ru.Clock.Now())
	defer func() { ru.spans.end(reg.Name, ru.Clock.Now()) }()
	if ctx.Err() != nil {
		ru.partialIn(reg.Name, "not started: the run ran out of time", "")
		return nil, 0, true // out of time, not failed: handOver follows
	}
	dels, candidates, err := ru.ec2Region(ctx, reg)
	ok = true
	if err != nil && !awserr.Is(err, awserr.Canceled) {
		ok = false
		if ru.sections {
			ru.rep.FailIn(reg.Name, fmt.Errorf("EBS: %s", awserr.Explain(err)))
		} else {
			ru.rep.Partial(fmt.Sprintf("EBS in %s: %s", reg.Name, awserr.Explain(err)))
		}
	}
	if ru.Config.S3 && !reg.CopiesOnly {
		if err := ru.s3Region(ctx, reg); err != nil && !awserr.Is(err, awserr.Canceled) {
			ru.partialIn(reg.Name, "S3: "+awserr.Explain(err), fmt.Sprintf("S3 in %s: %s", reg.Name, awserr.Explain(err)))
		}
	}
	return dels, candidates, ok
}

// partialIn marks the run partial for a problem in one region: in the
// region's section when the report has sections, else with single, the
// reason a one-region report has always given ("" for none).
func (ru *run) partialIn(region, sectioned, single string) {
	switch {
	case ru.sections:
		ru.rep.PartialIn(region, sectioned)
	case single != "":
		ru.rep.Partial(single)
	}
}

// spans times each region's share of a run: from its start to the end of
// its own work or of its last deletion, whichever is later.
type spans struct {
	mu       sync.Mutex
	from, to map[string]time.Time
}

func newSpans() *spans {
	return &spans{from: map[string]time.Time{}, to: map[string]time.Time{}}
}

func (s *spans) begin(region string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.from[region] = at
}

func (s *spans) end(region string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at.After(s.to[region]) {
		s.to[region] = at
	}
}

func (s *spans) took(region string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.from[region].IsZero() {
		return 0
	}
	return s.to[region].Sub(s.from[region])
}

func (ru *run) add(region, typ, resource, action, outcome, reason string, err error) {
	d := report.Decision{Resource: resource, Type: typ, Region: region, Action: action, Outcome: outcome, Reason: reason}
	if err != nil {
		d.Error = awserr.Explain(err)
	}
	ru.rep.Add(d)
}

// ec2Region backs up one region's tagged volumes and plans its retention.
// It returns the deletions retention wants and how many snapshots it judged.
func (ru *run) ec2Region(ctx context.Context, reg Region) ([]deletion, int, error) {
	sel := selection{Targets: map[string]*target{}}
	if !reg.CopiesOnly {
		var err error
		if sel, err = selectTargets(ctx, reg.EC2, ru.Config.ExcludeRoot, ru.req.Policy); err != nil {
			return nil, 0, err
		}
	}
	managed, err := listManaged(ctx, reg.EC2, tagValue(ru.key), ru.Settings.ProtectTag, func(policy string) bool { return ru.copiesFrom(reg.Name, policy) })
	if err != nil {
		return nil, 0, err
	}
	hold := ru.backups(ctx, reg, sel, managed)
	if err := ru.copies(ctx, reg, managed); err != nil {
		ru.partialIn(reg.Name, "cross-region copies: "+awserr.Explain(err), fmt.Sprintf("cross-region copies from %s: %s", reg.Name, awserr.Explain(err)))
	}
	if managed.len() == 0 {
		return nil, 0, nil
	}
	if ctx.Err() != nil {
		return nil, 0, ctx.Err()
	}
	// Selected volumes exist. The selection is not used past this loop, so
	// the collector takes it before planning.
	exists := map[string]bool{}
	var gone []string
	for _, vol := range managed.vols {
		if _, ok := sel.Targets[vol]; ok {
			exists[vol] = true
		} else {
			gone = append(gone, vol)
		}
	}

	used, err := imageSnapshots(ctx, reg.EC2)
	if err != nil {
		return nil, 0, fmt.Errorf("retention needs the AMIs' snapshots, none deleted: %w", err)
	}
	found, err := existingVolumes(ctx, reg.EC2, gone)
	if err != nil {
		return nil, 0, fmt.Errorf("retention needs to know which volumes exist, none deleted: %w", err)
	}
	var dels []deletion
	n := 0
	for _, vol := range managed.volumes() {
		v := retention.Volume{ID: vol, Exists: exists[vol] || found[vol], Hold: hold[vol]}
		for s := range managed.of(vol) {
			v.Snapshots = append(v.Snapshots, retention.Snapshot{
				ID: s.ID, Policy: s.Policy, Time: s.Time, Completed: s.Completed,
				Protected: s.Protected, AWSBackup: s.AWSBackup, InAMI: used[s.ID],
			})
		}
		for _, vd := range retention.Plan(v, ru.Config.Policies, ru.now) {
			if ru.req.Policy != "" && strings.TrimSuffix(vd.Snapshot.Policy, retention.CopySuffix) != ru.req.Policy {
				continue
			}
			n++
			if vd.Delete {
				dels = append(dels, deletion{reg: &reg, id: vd.Snapshot.ID, vol: vol, policy: vd.Snapshot.Policy, taken: vd.Snapshot.Time.UnixMilli()})
				continue
			}
			ru.add(reg.Name, TypeSnapshot, vd.Snapshot.ID, ActionKeep, report.Skipped, vol+": "+vd.Reason, nil)
		}
	}
	return dels, n, nil
}

// unit is one creation call: one volume, or an instance's crash-consistent set.
type unit struct {
	instance string
	targets  []*target
}

// backups creates the snapshots that are due and records each in managed.
// It returns, per volume, why its pruning must wait (a due backup that did
// not happen).
func (ru *run) backups(ctx context.Context, reg Region, sel selection, managed *managedSet) map[string]string {
	hold := map[string]string{}
	due := map[string]string{} // volume -> why due
	ids := make([]string, 0, len(sel.Targets))
	for id := range sel.Targets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t := sel.Targets[id]
		if ru.req.Policy != "" && t.Policy != ru.req.Policy {
			continue
		}
		skip := func(why string) { ru.add(reg.Name, TypeVolume, id, ActionSnapshot, report.Skipped, why, nil) }
		p, err := ru.Config.policy(t.Policy)
		if err != nil {
			skip(err.Error())
			continue
		}
		if t.State != string(types.VolumeStateAvailable) && t.State != string(types.VolumeStateInUse) {
			skip("volume is " + t.State + ": no backup this run")
			hold[id] = "volume is " + t.State + " and got no backup this run"
			continue
		}
		var newest time.Time
		done := ""
		for s := range managed.of(id) {
			if s.ThisRun {
				done = s.ID
			}
			if s.Policy == p.Name && s.Time.After(newest) {
				newest = s.Time
			}
		}
		if done != "" {
			skip("already backed up by this run (" + done + "): the event was delivered again")
			continue
		}
		ok, why := retention.Due(p, newest, ru.now)
		if !ok {
			skip("not due: " + why)
			continue
		}
		if ru.dry {
			ru.add(reg.Name, TypeVolume, id, ActionSnapshot, report.Planned, why, nil)
			continue
		}
		due[id] = why
	}

	// Instances whose whole set is due together get one crash-consistent CreateSnapshots.
	var units []unit
	grouped := map[string]bool{}
	for _, in := range sel.Instances {
		if len(in.Volumes) < 2 {
			continue
		}
		all := true
		for _, v := range in.Volumes {
			t := sel.Targets[v]
			all = all && due[v] != "" && t.InstanceID == in.ID && !grouped[v]
		}
		if !all {
			continue
		}
		u := unit{instance: in.ID}
		for _, v := range in.Volumes {
			u.targets = append(u.targets, sel.Targets[v])
			grouped[v] = true
		}
		units = append(units, u)
	}
	for _, id := range ids {
		if due[id] != "" && !grouped[id] {
			units = append(units, unit{targets: []*target{sel.Targets[id]}})
		}
	}

	var mu sync.Mutex
	var g errgroup.Group
	g.SetLimit(ru.Settings.Concurrency)
	for _, u := range units {
		g.Go(func() error {
			made, err := ru.create(ctx, reg, u)
			mu.Lock()
			defer mu.Unlock()
			for _, t := range u.targets {
				s, ok := made[t.VolumeID]
				switch {
				case ok:
					managed.add(t.VolumeID, s)
					ru.add(reg.Name, TypeVolume, t.VolumeID, ActionSnapshot, report.Done, due[t.VolumeID]+": "+s.ID, nil)
				case awserr.Is(err, awserr.Canceled):
					hold[t.VolumeID] = "this run stopped before backing it up"
					ru.add(reg.Name, TypeVolume, t.VolumeID, ActionSnapshot, report.Skipped, due[t.VolumeID]+"; not done: the run ran out of time", nil)
				default:
					e := err
					if e == nil {
						e = fmt.Errorf("CreateSnapshots returned no snapshot of %s", t.VolumeID)
					}
					hold[t.VolumeID] = "this run's backup of it failed"
					ru.add(reg.Name, TypeVolume, t.VolumeID, ActionSnapshot, report.Failed, due[t.VolumeID], e)
				}
			}
			return nil
		})
	}
	_ = g.Wait() // each unit records its own outcome
	return hold
}

// create makes the snapshots of one unit, tagged, and returns them by volume.
func (ru *run) create(ctx context.Context, reg Region, u unit) (map[string]existing, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	api := reg.EC2
	made := map[string]existing{}
	record := func(vol, id string, state types.SnapshotState, tl []types.Tag) {
		tm := tagMap(tl)
		e := existing{ID: id, Policy: u.targets[0].Policy, Time: ru.now, ThisRun: true,
			Completed: state == types.SnapshotStateCompleted,
			Protected: guard.Protected(tm, ru.Settings.ProtectTag), AWSBackup: tm[AWSBackupTag] != ""}
		if ru.copiesFrom(reg.Name, e.Policy) {
			e.Tags = tm
		}
		made[vol] = e
	}
	if u.instance == "" {
		t := u.targets[0]
		tl := snapshotTags(t, t.Policy, ru.key, ru.Settings.ProtectTag, ru.now)
		out, err := api.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{
			VolumeId:          aws.String(t.VolumeID),
			Description:       aws.String(fmt.Sprintf("AWS Commander backup of %s (policy %s)", t.VolumeID, t.Policy)),
			TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSnapshot, Tags: tl}},
		})
		if err != nil {
			return nil, fmt.Errorf("create snapshot of %s: %w", t.VolumeID, err)
		}
		record(t.VolumeID, aws.ToString(out.SnapshotId), out.State, tl)
		return made, nil
	}
	// One call for the set; the tags all its snapshots share go with it
	// (the run key among them, so a retry sees the set), the rest per snapshot.
	lists := map[string][]types.Tag{}
	for _, t := range u.targets {
		lists[t.VolumeID] = snapshotTags(t, t.Policy, ru.key, ru.Settings.ProtectTag, ru.now)
	}
	common := commonTags(lists)
	out, err := api.CreateSnapshots(ctx, &ec2.CreateSnapshotsInput{
		InstanceSpecification: &types.InstanceSpecification{InstanceId: aws.String(u.instance), ExcludeBootVolume: aws.Bool(ru.Config.ExcludeRoot)},
		Description:           aws.String(fmt.Sprintf("AWS Commander backup of %s (policy %s)", u.instance, u.targets[0].Policy)),
		TagSpecifications:     []types.TagSpecification{{ResourceType: types.ResourceTypeSnapshot, Tags: common}},
	})
	if err != nil {
		return nil, fmt.Errorf("create snapshots of %s: %w", u.instance, err)
	}
	var errs []error
	for _, s := range out.Snapshots {
		vol := aws.ToString(s.VolumeId)
		rest := minus(lists[vol], common)
		if lists[vol] == nil { // attached after selection: still say where it came from
			rest = []types.Tag{{Key: aws.String(SourceVolume), Value: aws.String(vol)}}
		}
		if len(rest) > 0 {
			if _, err := api.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{aws.ToString(s.SnapshotId)}, Tags: rest}); err != nil {
				errs = append(errs, fmt.Errorf("tag snapshot %s of %s: %w", aws.ToString(s.SnapshotId), vol, err))
				continue
			}
		}
		if lists[vol] != nil {
			record(vol, aws.ToString(s.SnapshotId), s.State, lists[vol])
		}
	}
	if len(errs) > 0 {
		return made, errs[0]
	}
	return made, nil
}

// commonTags are the tags every list carries with the same value.
func commonTags(lists map[string][]types.Tag) []types.Tag {
	var out []types.Tag
	first := true
	for _, l := range lists {
		if first {
			out, first = slices.Clone(l), false
			continue
		}
		m := tagMap(l)
		out = slices.DeleteFunc(out, func(t types.Tag) bool {
			v, ok := m[aws.ToString(t.Key)]
			return !ok || v != aws.ToString(t.Value)
		})
	}
	return out
}

func minus(l, common []types.Tag) []types.Tag {
	m := tagMap(common)
	return slices.DeleteFunc(slices.Clone(l), func(t types.Tag) bool {
		v, ok := m[aws.ToString(t.Key)]
		return ok && v == aws.ToString(t.Value)
	})
}

// retentionKey is retention's entry in the breaker's ledger.
const retentionKey = "retention"

// prune deletes what retention let go, behind the circuit breaker.
func (ru *run) prune(ctx context.Context, dels []deletion, candidates int) {
	if len(dels) == 0 {
		return
	}
	if err := ru.ledger.Allow(retentionKey, fmt.Sprintf("invocation %d", ru.req.Hop), len(dels), candidates); err != nil {
		ru.rep.Partial(err.Error() + ": no snapshot deleted")
		ru.breakerTrips++
		for _, d := range dels {
			ru.add(d.reg.Name, TypeSnapshot, d.id, ActionDelete, report.Skipped, ru.reason(d)+"; not deleted: "+err.Error(), nil)
		}
		return
	}
	var g errgroup.Group
	g.SetLimit(ru.Settings.Concurrency)
	for _, d := range dels {
		if ru.dry {
			ru.add(d.reg.Name, TypeSnapshot, d.id, ActionDelete, report.Planned, ru.reason(d), nil)
			continue
		}
		g.Go(func() error {
			region := d.reg.Name
			if ctx.Err() != nil {
				ru.add(region, TypeSnapshot, d.id, ActionDelete, report.Skipped, ru.reason(d)+"; not deleted: the run ran out of time", nil)
				return nil
			}
			_, err := d.reg.EC2.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(d.id)})
			ru.spans.end(region, ru.Clock.Now())
			switch {
			case err == nil:
				ru.add(region, TypeSnapshot, d.id, ActionDelete, report.Done, ru.reason(d), nil)
			case awserr.Is(err, awserr.NotFound):
				ru.add(region, TypeSnapshot, d.id, ActionDelete, report.Done, ru.reason(d)+" (already gone)", nil)
			default:
				ru.add(region, TypeSnapshot, d.id, ActionDelete, report.Failed, ru.reason(d), err)
			}
			return nil
		})
	}
	_ = g.Wait()
}

// handOver ends a run that ran out of time: the report carries the
// continuation, and (unless dry-run, or too many hops) a follow-up
// invocation of this function receives it.
func (ru *run) handOver(ctx context.Context) {
	next := Continuation{Event: ru.req.Original, Key: ru.key, Hop: ru.req.Hop + 1, Breaker: ru.ledger.State()}
	ru.rep.Next = next
	switch {
	case next.Hop > MaxHops:
		ru.rep.Fail(fmt.Errorf("the run ran out of time %d times in a row: raise the function's timeout or COMMANDER_CONCURRENCY", next.Hop))
		return
	case ru.dry || ru.Self == nil || ru.SelfName == "":
		ru.rep.Partial("the run stopped before the Lambda deadline: invoke the function with the report's next as {\"continuation\": next} to finish")
		return
	}
	body, err := json.Marshal(map[string]Continuation{"continuation": next})
	if err == nil {
		ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_, err = ru.Self.Invoke(ictx, &lambda.InvokeInput{FunctionName: aws.String(ru.SelfName), InvocationType: lambdatypes.InvocationTypeEvent, Payload: body})
	}
	if err != nil {
		ru.add("", "lambda:function", ru.SelfName, "hand-over", report.Failed, "the run stopped before the Lambda deadline", err)
		ru.rep.Partial("the run stopped before the Lambda deadline and could not hand over: deliver the same event again")
		return
	}
	ru.add("", "lambda:function", ru.SelfName, "hand-over", report.Done, fmt.Sprintf("the run stopped before the Lambda deadline; follow-up %d continues it", next.Hop), nil)
	ru.rep.Partial("the run stopped before the Lambda deadline and handed over to a follow-up invocation")
}

// auditDetail is the "Commander Backup Completed" event's detail.
type auditDetail struct {
	Function       string         `json:"function"`
	Status         string         `json:"status"`
	Reason         string         `json:"reason,omitempty"`
	DryRun         bool           `json:"dryRun"`
	Trigger        string         `json:"trigger"`
	EventID        string         `json:"eventId,omitempty"`
	IdempotencyKey string         `json:"idempotencyKey"`
	Now            time.Time      `json:"now"`
	Counts         map[string]int `json:"counts"`
	Errors         []string       `json:"errors,omitempty"`
}

// finish writes metrics, sends the audit event and closes the report.
func (ru *run) finish(ctx context.Context, counter *awsclient.Counter) {
	r := ru.rep
	found, fixed := ru.drift()

	errs := r.Errors
	if len(errs) > 20 {
		errs = errs[:20]
	}
	d := auditDetail{Function: Function, Status: r.Status, Reason: r.Reason, DryRun: r.DryRun, Trigger: r.Trigger,
		EventID: r.EventID, IdempotencyKey: r.IdempotencyKey, Now: ru.now, Counts: r.Counts, Errors: errs}
	// The audit event goes out even when the run ran out of time.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if ru.Audit != nil {
		if err := (audit.Emitter{API: ru.Audit, Bus: ru.Settings.EventBus}).Emit(actx, events.BackupCompleted, d); err != nil {
			r.Partial("audit event not sent: " + awserr.Explain(err))
		}
	}
	r.Finish(ru.Clock.Now(), counter)
	if ru.Metrics != nil {
		extra := map[string]float64{report.MetricDriftFound: float64(found), report.MetricDriftFixed: float64(fixed), report.MetricBreakerTrips: float64(ru.breakerTrips)}
		if err := r.WriteMetrics(ru.Metrics, ru.Settings.MetricsNamespace, extra); err != nil && ru.Log != nil {
			ru.Log.WarnContext(ctx, "metrics not written", "error", err)
		}
	}
	if ru.Log != nil {
		ru.Log.InfoContext(ctx, "backup run", "status", r.Status, "dryRun", r.DryRun, "idempotencyKey", r.IdempotencyKey,
			"counts", r.Counts, "reason", r.Reason, "trigger", r.Trigger)
	}
}
