package cleanup

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"golang.org/x/sync/errgroup"
)

// EC2API is the slice of EC2 the cleanup job calls.
type EC2API interface {
	ec2.DescribeInstancesAPIClient
	ec2.DescribeVolumesAPIClient
	ec2.DescribeSnapshotsAPIClient
	ec2.DescribeImagesAPIClient
	DescribeAddresses(ctx context.Context, in *ec2.DescribeAddressesInput, opts ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error)
	DescribeInstanceAttribute(ctx context.Context, in *ec2.DescribeInstanceAttributeInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstanceAttributeOutput, error)
	CreateTags(ctx context.Context, in *ec2.CreateTagsInput, opts ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
	DeleteTags(ctx context.Context, in *ec2.DeleteTagsInput, opts ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error)
	TerminateInstances(ctx context.Context, in *ec2.TerminateInstancesInput, opts ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error)
	StopInstances(ctx context.Context, in *ec2.StopInstancesInput, opts ...func(*ec2.Options)) (*ec2.StopInstancesOutput, error)
	CreateSnapshot(ctx context.Context, in *ec2.CreateSnapshotInput, opts ...func(*ec2.Options)) (*ec2.CreateSnapshotOutput, error)
	DeleteVolume(ctx context.Context, in *ec2.DeleteVolumeInput, opts ...func(*ec2.Options)) (*ec2.DeleteVolumeOutput, error)
	DeleteSnapshot(ctx context.Context, in *ec2.DeleteSnapshotInput, opts ...func(*ec2.Options)) (*ec2.DeleteSnapshotOutput, error)
	DeregisterImage(ctx context.Context, in *ec2.DeregisterImageInput, opts ...func(*ec2.Options)) (*ec2.DeregisterImageOutput, error)
	ec2.DescribeLaunchTemplatesAPIClient
	DescribeLaunchTemplateVersions(ctx context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, opts ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error)
	ReleaseAddress(ctx context.Context, in *ec2.ReleaseAddressInput, opts ...func(*ec2.Options)) (*ec2.ReleaseAddressOutput, error)
}

// FinalSnapshotOf tags the snapshot taken of a volume before cleanup deletes
// it; a re-delivered run finds it and takes no second one.
const FinalSnapshotOf = "commander:final-snapshot-of"

func tagMap(list []types.Tag) map[string]string {
	return tags.Map(list, func(t types.Tag) *string { return t.Key }, func(t types.Tag) *string { return t.Value })
}

func ignoreGone(err error) error { return awserr.IgnoreNotFound(err) }

// narrow splits a type's states into those the policies can match (listed
// with a server-side filter) and the rest, where only marked resources
// matter (to remove their marks). When a policy has no state filter every
// state is listed.
func narrow(pols []policy.Policy, all []string) (match, rest []string) {
	union := map[string]bool{}
	for _, p := range pols {
		var states []string
		for _, f := range p.Filters {
			if f.Kind == policy.State {
				states = f.States
			}
		}
		if states == nil {
			return all, nil
		}
		for _, s := range states {
			union[s] = true
		}
	}
	for _, s := range all {
		if union[s] {
			match = append(match, s)
		} else {
			rest = append(rest, s)
		}
	}
	return match, rest
}

func filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

// --- instances ---

var liveInstanceStates = []string{"pending", "running", "stopping", "stopped"}

// stopTimeRE reads the time out of "User initiated (2026-01-31 02:00:00 GMT)".
var stopTimeRE = regexp.MustCompile(`\((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (GMT|UTC)\)`)

// StoppedAt is when an instance stopped, from its state transition reason
// (zero when the reason carries no time).
func StoppedAt(reason string) time.Time {
	m := stopTimeRE.FindStringSubmatch(reason)
	if m == nil {
		return time.Time{}
	}
	t, err := time.Parse("2006-01-02 15:04:05", m[1])
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

func listInstances(ctx context.Context, _ *run, c Clients, region string, pols []policy.Policy, yield func(plan.Resource)) error {
	api := c.EC2
	match, rest := narrow(pols, liveInstanceStates)
	queries := [][]types.Filter{{filter("instance-state-name", match...)}}
	if len(rest) > 0 {
		queries = append(queries, []types.Filter{filter("instance-state-name", rest...), filter("tag-key", tags.CleanupAction)})
	}
	for _, q := range queries {
		p := ec2.NewDescribeInstancesPaginator(api, &ec2.DescribeInstancesInput{Filters: q, MaxResults: aws.Int32(1000)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("describe instances: %w", err)
			}
			for _, res := range page.Reservations {
				for _, in := range res.Instances {
					tg := tagMap(in.Tags)
					r := plan.Resource{
						Type: policy.EC2Instance, ID: aws.ToString(in.InstanceId), Region: region, Name: tg["Name"],
						Created: aws.ToTime(in.LaunchTime), Tags: tg,
					}
					if in.State != nil {
						r.State = string(in.State.Name)
					}
					if r.State == "stopped" {
						r.StoppedAt = StoppedAt(aws.ToString(in.StateTransitionReason))
					}
					yield(r)
				}
			}
		}
	}
	return nil
}

// guardInstances drops instances whose termination (or stop) protection is
// on for the action planned: AWS would refuse the call, and the owner has
// said plainly that the instance must stay.
func guardInstances(ctx context.Context, r *run, c Clients, items []item) []item {
	api := c.EC2
	keep := make([]bool, len(items))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(r.job.Settings.Concurrency)
	for i, it := range items {
		attr, label := types.InstanceAttributeNameDisableApiTermination, "termination protection (disableApiTermination)"
		if it.dec.Action == "stop" {
			attr, label = types.InstanceAttributeNameDisableApiStop, "stop protection (disableApiStop)"
		}
		g.Go(func() error {
			out, err := api.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: aws.String(it.res.ID), Attribute: attr})
			switch {
			case awserr.Is(err, awserr.NotFound) && it.dec.Step == plan.Mark:
				r.add(decision(it, "mark", report.Skipped, "instance no longer exists"))
			case awserr.Is(err, awserr.NotFound):
				r.add(decision(it, it.dec.Action, report.Done, "instance no longer exists"))
			case err != nil:
				r.add(failed(it, it.dec.Action, fmt.Errorf("describe instance attribute %s: %w", attr, err)))
			case attr == types.InstanceAttributeNameDisableApiTermination && out.DisableApiTermination != nil && aws.ToBool(out.DisableApiTermination.Value),
				attr == types.InstanceAttributeNameDisableApiStop && out.DisableApiStop != nil && aws.ToBool(out.DisableApiStop.Value):
				r.add(decision(it, it.dec.Action, report.Skipped, "protected: "+label+" is on; would match policy "+it.dec.Policy))
			default:
				keep[i] = true
			}
			return nil
		})
	}
	_ = g.Wait() // every error is reported per instance
	var out []item
	for i, it := range items {
		if keep[i] {
			out = append(out, it)
		}
	}
	return out
}

// terminateBatch is how many instances one TerminateInstances call names
// (AWS documents "up to 1000 instance IDs"). StopInstances documents no
// limit, and some EC2 instance-id lists stop at 100 (DescribeInstanceStatus),
// so stopBatch stays at 100: an oversized batch rejected by AWS would fall
// back to one call per instance (perID), far worse than a few more batches.
const (
	terminateBatch = 1000
	stopBatch      = 100
)

func actInstances(ctx context.Context, r *run, c Clients, p policy.Policy, items []item) {
	api := c.EC2
	size := terminateBatch
	if p.Action == "stop" {
		size = stopBatch
	}
	for batch := range slices.Chunk(items, size) {
		errs := perID(ids(batch), func(list []string) error {
			var err error
			if p.Action == "stop" {
				_, err = api.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: list})
			} else {
				_, err = api.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: list})
			}
			return err
		})
		for _, it := range batch {
			if err := errs[it.res.ID]; err != nil {
				r.add(failed(it, p.Action, fmt.Errorf("%s: %w", p.Action, err)))
				continue
			}
			r.add(decision(it, p.Action, report.Done, it.dec.Reason))
		}
	}
}

// --- volumes ---

var volumeStates = []string{"creating", "available", "in-use", "error"}

// listVolumes lists the region's volumes once, unfiltered, and yields those
// the policies concern: in a state they match, or marked in another state
// (to remove the marks). Two filtered queries (matched states; the other
// states with the mark) would yield the same, and the snapshots' orphan
// check would list every volume a third time: this one listing also keeps
// the ids of every volume for it (see volumeSets), when a policy checks.
func listVolumes(ctx context.Context, r *run, c Clients, region string, pols []policy.Policy, yield func(plan.Resource)) error {
	match, rest := narrow(pols, volumeStates)
	var existing map[string]struct{}
	if r.volumeGone {
		existing = map[string]struct{}{}
	}
	err := eachVolume(ctx, c.EC2, func(v types.Volume) {
		id, state := aws.ToString(v.VolumeId), string(v.State)
		if existing != nil {
			existing[id] = struct{}{}
		}
		if !slices.Contains(match, state) && !(slices.Contains(rest, state) && hasTag(v.Tags, tags.CleanupAction)) {
			return
		}
		tg := tagMap(v.Tags)
		yield(plan.Resource{
			Type: policy.EC2Volume, ID: id, Region: region, Name: tg["Name"],
			State: state, Created: aws.ToTime(v.CreateTime), Tags: tg,
		})
	})
	if err != nil {
		// A partial set would make the snapshots of unlisted volumes orphans:
		// the snapshot listing lists the volumes itself.
		return err
	}
	if existing != nil {
		r.volumes.put(region, existing)
	}
	return nil
}

// eachVolume calls fn with every volume of the region, 500 (the most
// DescribeVolumes returns) a page.
func eachVolume(ctx context.Context, api EC2API, fn func(types.Volume)) error {
	p := ec2.NewDescribeVolumesPaginator(api, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(500)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe volumes: %w", err)
		}
		for _, v := range page.Volumes {
			fn(v)
		}
	}
	return nil
}

func hasTag(list []types.Tag, key string) bool {
	return slices.ContainsFunc(list, func(t types.Tag) bool { return aws.ToString(t.Key) == key })
}

// volumeSets holds, per region, the ids of the volumes there, from the
// region's volume listing until its snapshot listing takes them for the
// orphan check (volume gone): one DescribeVolumes listing per region and
// run. Volumes the run deletes in between leave the set, as a listing
// after the deletes would not show them: their snapshots are orphans in
// the same run. Regions run concurrently, and so do the deletes in one.
type volumeSets struct {
	mu     sync.Mutex
	region map[string]map[string]struct{}
}

func (v *volumeSets) put(region string, ids map[string]struct{}) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.region == nil {
		v.region = map[string]map[string]struct{}{}
	}
	v.region[region] = ids
}

// forget removes a volume the run deleted (or found gone).
func (v *volumeSets) forget(region, id string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.region[region], id)
}

// take hands the region's set over (and drops it from v): the snapshot
// listing is its one reader. ok is false when the volumes were not listed
// in full this run (no volume policy, a failed listing, a follow-up that
// resumes at the snapshots).
func (v *volumeSets) take(region string) (ids map[string]struct{}, ok bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	ids, ok = v.region[region]
	delete(v.region, region)
	return ids, ok
}

func actVolumes(ctx context.Context, r *run, c Clients, p policy.Policy, items []item) {
	api := c.EC2
	region := items[0].res.Region
	if p.FinalSnapshot {
		// One listing per region and run, before any volume is deleted: if it
		// fails, no volume of this policy is deleted without its snapshot.
		if err := r.finals.load(ctx, api, region); err != nil {
			for _, it := range items {
				r.add(failed(it, p.Action, err))
			}
			return
		}
	}
	each(ctx, r, items, func(ctx context.Context, it item) {
		reason := it.dec.Reason
		if p.FinalSnapshot {
			snap, err := finalSnapshot(ctx, r, api, region, it.res.ID)
			if awserr.Is(err, awserr.NotFound) {
				r.volumes.forget(region, it.res.ID)
				r.add(decision(it, p.Action, report.Done, "volume no longer exists"))
				return
			}
			if err != nil {
				r.add(failed(it, p.Action, err))
				return
			}
			reason += "; final snapshot " + snap
		}
		_, err := api.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(it.res.ID)})
		if err := ignoreGone(err); err != nil {
			r.add(failed(it, p.Action, fmt.Errorf("delete volume: %w", err)))
			return
		}
		r.volumes.forget(region, it.res.ID)
		r.add(decision(it, p.Action, report.Done, reason))
	})
}

// finalSnapshots is the run's final snapshots by region and volume id. A
// region's set is listed once per run (ceil(k/1000) calls for k final
// snapshots instead of one DescribeSnapshots per volume), the first time a
// volume policy with finalSnapshot acts there, and grows with every final
// snapshot this run takes: a re-delivered or repeated attempt never takes a
// second one.
type finalSnapshots struct {
	mu     sync.Mutex
	region map[string]map[string]string // region -> volume -> snapshot
}

// load lists the region's final snapshots unless this run already has.
// Only the region's own goroutine loads it (regions run concurrently, the
// policies within one one at a time), so loads do not race each other.
func (f *finalSnapshots) load(ctx context.Context, api EC2API, region string) error {
	f.mu.Lock()
	_, done := f.region[region]
	f.mu.Unlock()
	if done {
		return nil
	}
	set := map[string]string{}
	p := ec2.NewDescribeSnapshotsPaginator(api, &ec2.DescribeSnapshotsInput{
		OwnerIds: []string{"self"}, Filters: []types.Filter{filter("tag-key", FinalSnapshotOf)}, MaxResults: aws.Int32(1000),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("find final snapshots: %w", err)
		}
		for _, s := range page.Snapshots {
			// A failed snapshot protects nothing: the volume gets a new one.
			if s.State == types.SnapshotStateError {
				continue
			}
			if vol := tagMap(s.Tags)[FinalSnapshotOf]; vol != "" {
				set[vol] = aws.ToString(s.SnapshotId)
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.region == nil {
		f.region = map[string]map[string]string{}
	}
	f.region[region] = set
	return nil
}

func (f *finalSnapshots) get(region, volume string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.region[region][volume]
	return id, ok
}

func (f *finalSnapshots) put(region, volume, snapshot string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.region == nil {
		f.region = map[string]map[string]string{}
	}
	if f.region[region] == nil {
		f.region[region] = map[string]string{}
	}
	f.region[region][volume] = snapshot
}

// finalSnapshot returns the snapshot of volume taken by an earlier attempt
// (from the run's set, loaded first), or starts one. EBS snapshots are
// point-in-time: the volume may be deleted while the snapshot is still pending.
func finalSnapshot(ctx context.Context, r *run, api EC2API, region, volume string) (string, error) {
	if err := r.finals.load(ctx, api, region); err != nil {
		return "", err
	}
	if id, ok := r.finals.get(region, volume); ok {
		return id, nil
	}
	tg := tags.Managed(r.job.Function, r.now)
	tg[FinalSnapshotOf] = volume
	if r.rep.IdempotencyKey != "" {
		tg[tags.RunKey] = r.rep.IdempotencyKey
	}
	var list []types.Tag
	for _, k := range sortedStrings(tg) {
		list = append(list, types.Tag{Key: aws.String(k), Value: aws.String(tg[k])})
	}
	created, err := api.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{
		VolumeId:          aws.String(volume),
		Description:       aws.String("Final snapshot of " + volume + " before cleanup deleted it"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSnapshot, Tags: list}},
	})
	if err != nil {
		return "", fmt.Errorf("final snapshot: %w", err)
	}
	id := aws.ToString(created.SnapshotId)
	r.finals.put(region, volume, id)
	return id, nil
}

// --- snapshots ---

func listSnapshots(ctx context.Context, r *run, c Clients, region string, pols []policy.Policy, yield func(plan.Resource)) error {
	api := c.EC2
	// Snapshots an owned AMI uses are held; so is everything AWS Backup made.
	inAMI := map[string]string{}
	ip := ec2.NewDescribeImagesPaginator(api, &ec2.DescribeImagesInput{Owners: []string{"self"}, MaxResults: aws.Int32(1000)})
	for ip.HasMorePages() {
		page, err := ip.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe images: %w", err)
		}
		for _, im := range page.Images {
			for _, b := range im.BlockDeviceMappings {
				if b.Ebs != nil && b.Ebs.SnapshotId != nil {
					inAMI[*b.Ebs.SnapshotId] = aws.ToString(im.ImageId)
				}
			}
		}
	}
	wantGone := checksVolumeGone(pols)
	var existing map[string]struct{}
	if wantGone {
		var ok bool
		if existing, ok = r.volumes.take(region); !ok {
			var err error
			if existing, err = volumeIDs(ctx, api); err != nil {
				return err
			}
		}
	}
	sp := ec2.NewDescribeSnapshotsPaginator(api, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: aws.Int32(1000)})
	for sp.HasMorePages() {
		page, err := sp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe snapshots: %w", err)
		}
		for _, s := range page.Snapshots {
			id := aws.ToString(s.SnapshotId)
			tg := tagMap(s.Tags)
			r := plan.Resource{
				Type: policy.EC2Snapshot, ID: id, Region: region, Name: tg["Name"],
				State: string(s.State), Created: aws.ToTime(s.StartTime), Tags: tg,
			}
			if ami, ok := inAMI[id]; ok {
				r.Hold = "used by AMI " + ami
			} else if backup(tg, aws.ToString(s.Description)) {
				r.Hold = "made by AWS Backup"
			}
			if wantGone {
				_, found := existing[aws.ToString(s.VolumeId)]
				gone := !found
				r.Gone = &gone
			}
			yield(r)
		}
	}
	return nil
}

// volumeFilterBatch is how many ids one EC2 describe filter names.
const volumeFilterBatch = 200

// checksVolumeGone says whether a policy on snapshots asks whether their
// volume is gone: only then are volume ids kept and looked up.
func checksVolumeGone(pols []policy.Policy) bool {
	for _, p := range pols {
		for _, f := range slices.Concat(p.Filters, p.Exclude) {
			if f.Kind == policy.VolumeGone {
				return true
			}
		}
	}
	return false
}

// volumeIDs lists every volume of the region, before the snapshots, when
// this run has not (see volumeSets): ceil(volumes/500) calls instead of a
// filtered lookup per page of snapshots (which cost up to five calls per
// 1000 snapshots). A volume created after the listing has only new
// snapshots, which no age filter of an orphan policy matches, and
// mark-then-act checks again after the grace.
func volumeIDs(ctx context.Context, api EC2API) (map[string]struct{}, error) {
	ids := map[string]struct{}{}
	err := eachVolume(ctx, api, func(v types.Volume) { ids[aws.ToString(v.VolumeId)] = struct{}{} })
	if err != nil {
		return nil, err
	}
	return ids, nil
}

func backup(tg map[string]string, description string) bool {
	for k := range tg {
		if strings.HasPrefix(k, "aws:backup:") {
			return true
		}
	}
	return strings.Contains(description, "AWS Backup")
}

var actSnapshots = deleteEach("delete snapshot", func(ctx context.Context, c Clients, it item) error {
	_, err := c.EC2.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(it.res.ID)})
	return err
})

// --- Elastic IPs ---

func listAddresses(ctx context.Context, _ *run, c Clients, region string, _ []policy.Policy, yield func(plan.Resource)) error {
	api := c.EC2
	// DescribeAddresses has no pages: an account holds few addresses.
	out, err := api.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: []types.Filter{filter("domain", "vpc")}})
	if err != nil {
		return fmt.Errorf("describe addresses: %w", err)
	}
	for _, a := range out.Addresses {
		tg := tagMap(a.Tags)
		state := "unassociated"
		if aws.ToString(a.AssociationId) != "" || aws.ToString(a.InstanceId) != "" || aws.ToString(a.NetworkInterfaceId) != "" {
			state = "associated"
		}
		yield(plan.Resource{
			Type: policy.EC2Address, ID: aws.ToString(a.AllocationId), Region: region,
			Name: tg["Name"], State: state, Tags: tg,
		})
	}
	return nil
}

var actAddresses = deleteEach("release address", func(ctx context.Context, c Clients, it item) error {
	_, err := c.EC2.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: aws.String(it.res.ID)})
	return err
})

// --- tags ---

func ec2Tag(ctx context.Context, _ *run, c Clients, items []item, set map[string]string) map[string]error {
	api, list := c.EC2, ids(items)
	tl := tags.List(set, func(k, v *string) types.Tag { return types.Tag{Key: k, Value: v} })
	return perID(list, func(ids []string) error {
		_, err := api.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids, Tags: tl})
		return err
	})
}

func ec2Untag(ctx context.Context, _ *run, c Clients, items []item, keys ...string) map[string]error {
	api, list := c.EC2, ids(items)
	var tl []types.Tag
	for _, k := range keys {
		tl = append(tl, types.Tag{Key: aws.String(k)})
	}
	return perID(list, func(ids []string) error {
		_, err := api.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: ids, Tags: tl})
		return err
	})
}

// deleteEach is the act step of a type deleted by one call per resource,
// at the configured concurrency: gone already counts as done.
func deleteEach(what string, del func(ctx context.Context, c Clients, it item) error) func(context.Context, *run, Clients, policy.Policy, []item) {
	return func(ctx context.Context, r *run, c Clients, p policy.Policy, items []item) {
		each(ctx, r, items, func(ctx context.Context, it item) {
			if err := ignoreGone(del(ctx, c, it)); err != nil {
				r.add(failed(it, p.Action, fmt.Errorf("%s: %w", what, err)))
				return
			}
			r.add(decision(it, p.Action, report.Done, it.dec.Reason))
		})
	}
}

// each runs fn on items with the configured concurrency; fn reports.
func each(ctx context.Context, r *run, items []item, fn func(context.Context, item)) {
	g := errgroup.Group{}
	g.SetLimit(r.job.Settings.Concurrency)
	for _, it := range items {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				r.add(failed(it, it.dec.Action, err))
				return nil
			}
			fn(ctx, it)
			return nil
		})
	}
	_ = g.Wait()
}

func sortedStrings(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
