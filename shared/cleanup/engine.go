package cleanup

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
)

// item is one resource with the decision the planner made for it.
type item struct {
	res  plan.Resource
	dec  plan.Decision
	cost *float64 // the monthly saving of its action (savings.go); nil: no estimate
}

// kind is how the job handles one resource type: how to list it, how to
// act, and how to tag it.
type kind struct {
	// list calls yield for every resource policies may concern, page by page.
	list func(ctx context.Context, r *run, c Clients, region string, pols []policy.Policy, yield func(plan.Resource)) error
	// act performs p's action on items (never empty) and reports each.
	act func(ctx context.Context, r *run, c Clients, p policy.Policy, items []item)
	// tag sets tags on items, untag removes keys; both answer per resource id.
	tag   func(ctx context.Context, r *run, c Clients, items []item, set map[string]string) map[string]error
	untag func(ctx context.Context, r *run, c Clients, items []item, keys ...string) map[string]error
	// ref: guard, tag, untag or act read more of a resource than its id
	// (its ARN, bucket, creation time or dependents), so a resource kept
	// until the listing ends keeps them.
	ref bool
	// planNote is what a dry run's planned action cannot know without acting
	// (what the act call itself reveals), said in its reason.
	planNote string
	// grouped: act groups its resources (by bucket, by function) and makes
	// calls per group, so it gets every resource of a policy at once rather
	// than a batch at a time.
	grouped bool
}

// Clients are the service clients of one region.
type Clients struct {
	EC2        EC2API
	CloudWatch CloudWatchAPI
	IAM        IAMAPI
	S3         S3API
	Lambda     LambdaAPI
}

var kinds = map[string]kind{
	policy.EC2Instance:        {list: listInstances, act: actInstances, tag: tagItems, untag: untagItems, planNote: "termination and stop protection are checked when acting"},
	policy.EC2Volume:          {list: listVolumes, act: actVolumes, tag: tagItems, untag: untagItems},
	policy.EC2Image:           {list: listImages, act: actImages, tag: tagItems, untag: untagItems, ref: true},
	policy.EC2Snapshot:        {list: listSnapshots, act: actSnapshots, tag: tagItems, untag: untagItems},
	policy.EC2Address:         {list: listAddresses, act: actAddresses, tag: tagItems, untag: untagItems},
	policy.CloudWatchAlarm:    {list: listAlarms, act: actAlarms, tag: tagItems, untag: untagItems, ref: true},
	policy.IAMRole:            {list: listRoles, act: actRoles, tag: tagItems, untag: untagItems},
	policy.S3Bucket:           {list: listBuckets, act: actBuckets, tag: tagItems, untag: untagItems},
	policy.LambdaFunction:     {list: listFunctions, act: actFunctions, tag: tagItems, untag: untagItems, ref: true},
	policy.LambdaVersion:      {list: listVersions, act: actVersions, tag: versionTag, untag: versionUntag, ref: true, grouped: true},
	policy.S3MultipartUpload:  {list: listUploads, act: actUploads, tag: uploadTag, untag: uploadUntag, ref: true, grouped: true},
	policy.IAMInstanceProfile: {list: listInstanceProfiles, act: actInstanceProfiles, tag: tagItems, untag: untagItems},
}

// typeOrder is the order types are cleaned up in a region, derived from the
// declarations' After (policy.Types): every type after the types that use
// it; among types free to go, by name, so the order is stable.
// TestEveryTypeIsRun fails on a cycle or an unknown type, which would leave
// the order partial, and on a declared type without a kind (checkKinds).
var typeOrder, _ = dependencyOrder(policy.Types)

// isGlobal: typ is of a global service (IAM), run once per run as the
// region "global", with the first region's clients.
func isGlobal(typ string) bool { return policy.Types[typ].Global }

// checkKinds reports a declared type without a kind, or a kind without a
// declaration (which no policy could name and no run would reach).
func checkKinds(ks map[string]kind, types map[string]policy.Type) error {
	var errs []error
	for _, typ := range slices.Sorted(maps.Keys(types)) {
		if _, ok := ks[typ]; !ok {
			errs = append(errs, fmt.Errorf("resource type %s is declared in policy.Types but has no kind in shared/cleanup/engine.go", typ))
		}
	}
	for _, typ := range slices.Sorted(maps.Keys(ks)) {
		if _, ok := types[typ]; !ok {
			errs = append(errs, fmt.Errorf("kind %s has no declaration in policy.Types (shared/cleanup/policy/types.go)", typ))
		}
	}
	return errors.Join(errs...)
}

// dependencyOrder sorts the declared types so that each comes after its After.
func dependencyOrder(types map[string]policy.Type) ([]string, error) {
	pending := map[string]int{}
	users := map[string][]string{}
	for typ, t := range types {
		pending[typ] += 0
		for _, u := range t.After {
			if _, ok := types[u]; !ok {
				return nil, fmt.Errorf("resource type %s: After names %s, which is no declared type", typ, u)
			}
			pending[typ]++
			users[u] = append(users[u], typ)
		}
	}
	var ready, out []string
	for typ, n := range pending {
		if n == 0 {
			ready = append(ready, typ)
		}
	}
	for len(ready) > 0 {
		slices.Sort(ready)
		typ := ready[0]
		ready = ready[1:]
		out = append(out, typ)
		for _, u := range users[typ] {
			if pending[u]--; pending[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	if len(out) != len(types) {
		return out, fmt.Errorf("resource types: their After lists form a cycle (ordered %v of %d)", out, len(types))
	}
	return out, nil
}

// resourceType runs every policy on one type in one region. Memory holds
// only the resources that need a change this run, not the inventory: new
// candidates are marked as they are listed, a full batch at a time; what
// waits for the end of the listing (unmarks, and acts: the breaker weighs
// a policy's acts against the whole inventory of the type) is kept as an
// id and a reason (see held).
func (r *run) resourceType(ctx context.Context, api Clients, region, typ string, pols []policy.Policy) error {
	k, ok := kinds[typ]
	if !ok {
		return fmt.Errorf("resource type %s is not implemented", typ)
	}
	return r.resources(ctx, k, api, region, typ, pols)
}

// resources runs pols on the resources of kind k (type typ) in region.
func (r *run) resources(ctx context.Context, k kind, api Clients, region, typ string, pols []policy.Policy) error {
	s := r.job.Settings
	inventory := 0
	m := &marker{r: r, k: k, api: api, groups: map[[2]string][]item{}}
	unmarks := &heldList{typ: typ, region: region}
	acts := map[string]*heldList{}
	toAct := func(it item) {
		list := acts[it.dec.Policy]
		if list == nil {
			list = &heldList{typ: typ, region: region}
			acts[it.dec.Policy] = list
		}
		list.add(r, k, it)
	}
	decide := func(res plan.Resource) {
		d := plan.Decide(pols, res, r.now, s.ProtectTag, s.CleanupGrace)
		if d.Step == plan.None {
			return
		}
		it := item{res: res, dec: d}
		if d.Step == plan.Mark || d.Step == plan.Act {
			r.price(&it)
		}
		switch d.Step {
		case plan.Protected, plan.Unproven:
			r.add(decision(it, d.Action, report.Skipped, d.Reason))
		case plan.Wait:
			r.add(decision(it, "wait", report.Skipped, d.Reason))
		case plan.Mark:
			it.res = slim(res)
			m.add(ctx, it)
		case plan.Unmark:
			unmarks.add(r, k, it)
		case plan.Act:
			it.res = slim(res)
			toAct(it)
		}
	}
	// A resource that needs metrics to be decided (it passed a metric
	// policy's other filters) waits for them, a GetMetricData call at a time.
	metrics := newMetricFetcher(r, api.CloudWatch, pols, decide)
	listErr := k.list(ctx, r, api, region, pols, func(res plan.Resource) {
		inventory++
		if metrics != nil {
			if qs := plan.MetricQueries(pols, res, r.now); len(qs) > 0 {
				metrics.add(ctx, res, qs)
				return
			}
		}
		decide(res)
	})
	var metricErr error
	if metrics != nil {
		metricErr = metrics.flush(ctx)
	}
	m.flush(ctx)
	r.measure(report.MetricCandidates, float64(inventory))
	unmarks.each(plan.Decision{Step: plan.Unmark}, tagBatch, func(batch []item) { r.unmark(ctx, k, api, batch) })
	for _, p := range pols {
		list := acts[p.Name]
		if list == nil || list.n == 0 {
			continue
		}
		dec := plan.Decision{Step: plan.Act, Policy: p.Name, Action: p.Action}
		// The breaker counts this policy's actions against the inventory of
		// its type here, and against its cap over every region of the run.
		if err := r.breaker.Allow(p.Name, region, list.n, inventory); err != nil {
			msg := fmt.Sprintf("policy %s: %v", p.Name, err)
			r.rep.PartialIn(region, msg)
			r.mu.Lock()
			r.tripped = append(r.tripped, p.Name+"@"+region)
			r.mu.Unlock()
			r.measure(report.MetricBreakerTrips, 1)
			list.each(dec, heldChunk, func(batch []item) {
				for _, it := range batch {
					r.add(decision(it, p.Action, report.Skipped, "not acted on: "+msg))
				}
			})
			continue
		}
		if r.dryRun {
			list.each(dec, heldChunk, func(batch []item) {
				for _, it := range batch {
					reason := it.dec.Reason
					if k.planNote != "" {
						reason += "; " + k.planNote
					}
					r.add(decision(it, p.Action, report.Planned, reason))
				}
			})
			continue
		}
		// An act is given a batch at a time (a multiple of every batch size
		// an act uses, so the calls are those of the whole list), or, when
		// it groups, the whole list; the largest savings first.
		list.bySaving()
		size := heldChunk
		if k.grouped {
			size = list.n
		}
		list.each(dec, size, func(batch []item) { k.act(ctx, r, api, p, batch) })
	}
	if listErr != nil {
		listErr = fmt.Errorf("list: %w", listErr)
	}
	return errors.Join(listErr, metricErr)
}

// slim keeps what guards, tags and acts read of a resource: its identity.
// The tags, the largest part of a listed resource, served the decision.
func slim(res plan.Resource) plan.Resource {
	return plan.Resource{
		Type: res.Type, ID: res.ID, Region: res.Region, Name: res.Name, ARN: res.ARN,
		Created: res.Created, Dependents: res.Dependents,
	}
}

// decision is a report line for it. Its saving goes with its action done
// or planned, and with its mark: what the action will save when due.
func decision(it item, action, outcome, reason string) report.Decision {
	d := report.Decision{Resource: it.res.ID, Type: it.res.Type, Region: it.res.Region, Action: action, Outcome: outcome,
		Policy: it.dec.Policy, Reason: reason}
	if it.cost != nil && (outcome == report.Done || outcome == report.Planned) && (action == it.dec.Action || action == "mark") {
		d.Saving = it.cost
	}
	return d
}

func failed(it item, action string, err error) report.Decision {
	d := decision(it, action, report.Failed, it.dec.Reason)
	d.Error = err.Error()
	return report.Failure(d, err)
}

// tagBatch is how many resources one CreateTags or DeleteTags call names:
// the most EC2 accepts ("Up to 1000 resource IDs"). A batch that fails is
// split in halves down to the ids at fault (batch.PerID), so one bad id
// does not fail the others.
const tagBatch = 1000

// marker marks new candidates (past the type's guard) while their type is
// listed, making the calls one list of every candidate would: each goes to
// its group (action and due time), and a group is tagged a full batch at a
// time, the remainders after the listing. So memory holds a batch per
// group, not every candidate of the type, and the calls are
// ceil(n/tagBatch) per group, as before.
type marker struct {
	r      *run
	k      kind
	api    Clients
	groups map[[2]string][]item
}

// add takes one new candidate.
func (m *marker) add(ctx context.Context, it item) {
	if m.r.dryRun {
		m.r.add(decision(it, "mark", report.Planned, it.dec.Reason+"; due "+it.dec.Due.Format(time.RFC3339)))
		return
	}
	key := [2]string{it.dec.Action, it.dec.Due.Format(time.RFC3339)}
	list := append(m.groups[key], it)
	if len(list) < tagBatch {
		m.groups[key] = list
		return
	}
	m.r.mark(ctx, m.k, m.api, key, list)
	clear(list)
	m.groups[key] = list[:0]
}

// flush marks what the listing left.
func (m *marker) flush(ctx context.Context) {
	for _, key := range sortedKeys(m.groups) {
		if list := m.groups[key]; len(list) > 0 {
			m.r.mark(ctx, m.k, m.api, key, list)
		}
	}
	clear(m.groups)
}

// mark tags one batch of new candidates that share the action and due
// time of key.
func (r *run) mark(ctx context.Context, k kind, api Clients, key [2]string, batch []item) {
	set := map[string]string{tags.CleanupAction: key[0], tags.CleanupDue: key[1]}
	errs := k.tag(ctx, r, api, batch, set)
	for _, it := range batch {
		if err := errs[it.res.ID]; err != nil {
			r.add(failed(it, "mark", err))
			continue
		}
		r.add(decision(it, "mark", report.Done, it.dec.Reason+"; due "+key[1]))
		r.noteMarked(markedResource{it.res.ID, it.res.Type, it.res.Region, it.dec.Policy, it.dec.Action, it.dec.Due})
	}
}

// unmark removes both marks from one batch of resources that no longer match.
func (r *run) unmark(ctx context.Context, k kind, api Clients, batch []item) {
	if r.dryRun {
		for _, it := range batch {
			r.add(decision(it, "unmark", report.Planned, it.dec.Reason))
		}
		return
	}
	errs := k.untag(ctx, r, api, batch, tags.CleanupAction, tags.CleanupDue)
	for _, it := range batch {
		if err := errs[it.res.ID]; err != nil {
			r.add(failed(it, "unmark", err))
			continue
		}
		r.add(decision(it, "unmark", report.Done, it.dec.Reason))
	}
}

func sortedKeys[V any](m map[[2]string]V) [][2]string {
	keys := make([][2]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	return keys
}
