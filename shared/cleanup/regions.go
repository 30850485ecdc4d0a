package cleanup

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/guard"
	"golang.org/x/sync/errgroup"
)

// Resume is where a follow-up invocation starts: each region the previous
// invocation did not finish, with the resource type it resumes at (a region
// not listed is finished); the breaker's ledger, so that a policy's cap
// holds over the whole chain; and how many hand-overs came before.
type Resume struct {
	Hop     int      `json:"hop"`
	Regions []Cursor `json:"regions"`
	// The breaker's ledger, keyed by policy: its cap holds over every hop.
	guard.LedgerState
}

// resumeLedger is the breaker's ledger a follow-up continues from (none for
// a first invocation).
func resumeLedger(r *Resume) guard.LedgerState {
	if r == nil {
		return guard.LedgerState{}
	}
	return r.LedgerState
}

// Cursor is one unfinished region (or "global", for IAM) and the resource
// type it resumes at: that type and the ones after it in typeOrder.
type Cursor struct {
	Region string `json:"region"`
	Type   string `json:"type"`
}

// unit is one region's share of a run, or the global types' (region
// GlobalRegion, with the first region's clients), from a type on.
type unit struct {
	region string
	from   int // index in typeOrder
	api    Clients
}

// outcome is how a unit ended.
type outcome struct {
	stoppedAt string // the type it did not reach before the deadline
	failed    bool   // a type could not be done (its listing failed)
}

// all runs every unit, at most COMMANDER_REGION_CONCURRENCY at a time, each
// one's types in typeOrder; from resume on when set.
func (r *run) all(ctx context.Context, doc policy.Document, resume *Resume) error {
	units, err := r.units(doc, resume)
	if err != nil {
		return err
	}
	r.volumeGone = checksVolumeGone(doc.ForType(policy.EC2Snapshot))
	if len(r.job.Settings.Regions) > 1 {
		names := make([]string, len(units))
		for i, u := range units {
			names[i] = u.region
		}
		r.rep.Regions(names...)
	}
	outcomes := make([]outcome, len(units))
	var g errgroup.Group
	g.SetLimit(max(1, r.job.Settings.RegionConcurrency))
	for i, u := range units {
		g.Go(func() error {
			outcomes[i] = r.region(ctx, doc, u)
			return nil
		})
	}
	_ = g.Wait()

	var next []Cursor
	var failed []string
	for i, o := range outcomes {
		if o.stoppedAt != "" {
			next = append(next, Cursor{Region: units[i].region, Type: o.stoppedAt})
		}
		if o.failed {
			failed = append(failed, units[i].region)
		}
	}
	if len(next) > 0 {
		hop := 1
		if resume != nil {
			hop = resume.Hop + 1
		}
		r.next = &Resume{Hop: hop, Regions: next}
		r.next.LedgerState = r.breaker.State()
		r.rep.Next = r.next
	}
	// A failed region leaves the run partial; when every one failed, so
	// did the run, and the platform retries it (unless a follow-up goes on
	// with it: a retry would run beside the follow-up).
	if len(units) > 0 && len(failed) == len(units) && r.next == nil {
		r.rep.Fail(fmt.Errorf("every region failed: %s", strings.Join(failed, ", ")))
	}
	return nil
}

// units are the regions this invocation works on: every region of
// COMMANDER_REGIONS when the document has a regional policy, and "global"
// when it has a policy on a global type; or what resume lists.
func (r *run) units(doc policy.Document, resume *Resume) ([]unit, error) {
	regions := r.job.Settings.Regions
	if len(regions) == 0 {
		return nil, fmt.Errorf("COMMANDER_REGIONS names no region")
	}
	if resume != nil {
		return r.resumeUnits(resume)
	}
	var out []unit
	if slices.ContainsFunc(doc.Policies, func(p policy.Policy) bool { return !isGlobal(p.Resource) }) {
		for _, region := range regions {
			out = append(out, unit{region: region, api: r.job.Clients(region)})
		}
	}
	if slices.ContainsFunc(doc.Policies, func(p policy.Policy) bool { return isGlobal(p.Resource) }) {
		out = append(out, unit{region: GlobalRegion, api: r.job.Clients(regions[0])})
	}
	return out, nil
}

// resumeUnits checks a follow-up's cursor against this deployment and
// turns it into units. An error names the field and what it accepts.
func (r *run) resumeUnits(res *Resume) ([]unit, error) {
	regions := r.job.Settings.Regions
	if res.Hop < 1 {
		return nil, fmt.Errorf(`field "resume.hop" = %d: accepts a whole number from 1 (the hand-overs so far)`, res.Hop)
	}
	if len(res.Regions) == 0 {
		return nil, fmt.Errorf(`field "resume.regions" is empty: accepts the unfinished regions, each {"region": a region of COMMANDER_REGIONS or %q, "type": the resource type to resume at}`, GlobalRegion)
	}
	var out []unit
	for i, c := range res.Regions {
		at := fmt.Sprintf("resume.regions[%d]", i)
		global := c.Region == GlobalRegion
		if !global && !slices.Contains(regions, c.Region) {
			return nil, fmt.Errorf(`field "%s.region" = %q: accepts a region of COMMANDER_REGIONS (%s) or %q`, at, c.Region, strings.Join(regions, ", "), GlobalRegion)
		}
		if slices.ContainsFunc(out, func(u unit) bool { return u.region == c.Region }) {
			return nil, fmt.Errorf(`field "%s.region" = %q: accepts each region once`, at, c.Region)
		}
		from := slices.Index(typeOrder, c.Type)
		if from < 0 || isGlobal(c.Type) != global {
			return nil, fmt.Errorf(`field "%s.type" = %q: accepts one of %s`, at, c.Type, strings.Join(typesWhere(global), ", "))
		}
		api := r.job.Clients(c.Region)
		if global {
			api = r.job.Clients(regions[0])
		}
		out = append(out, unit{region: c.Region, from: from, api: api})
	}
	known := func(name string) bool {
		return slices.ContainsFunc(r.job.Policies.Policies, func(p policy.Policy) bool { return p.Name == name })
	}
	for name, n := range res.Actions {
		if !known(name) || n < 0 {
			return nil, fmt.Errorf(`field "resume.actions" has %q: %d: accepts a policy name of the document and a whole number from 0`, name, n)
		}
	}
	for i, name := range res.Tripped {
		if !known(name) {
			return nil, fmt.Errorf(`field "resume.tripped[%d]" = %q: accepts a policy name of the document`, i, name)
		}
	}
	return out, nil
}

// typesWhere are the resource types, in typeOrder, that are global or not.
func typesWhere(global bool) []string {
	return slices.DeleteFunc(slices.Clone(typeOrder), func(t string) bool { return isGlobal(t) != global })
}

// region runs one unit's types in order. Before each it checks that more
// than deadlineMargin remains; if not it stops, and says where. A type cut
// short by the deadline (the runner's margin before Lambda's) stops the
// unit at that type.
func (r *run) region(ctx context.Context, doc policy.Document, u unit) (o outcome) {
	started := time.Now()
	defer func() { r.rep.Took(u.region, time.Since(started)) }()
	// The volume ids wait for the snapshots; a unit stopped before them frees them.
	defer r.volumes.take(u.region)
	for _, typ := range typeOrder[u.from:] {
		pols := doc.ForType(typ)
		if len(pols) == 0 || isGlobal(typ) != (u.region == GlobalRegion) {
			continue
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < deadlineMargin {
			o.stoppedAt = typ
			r.rep.PartialIn(u.region, fmt.Sprintf("stopped before the Lambda deadline at %s (every step is idempotent)", typ))
			return o
		}
		// The type's calls stop cancelMargin before the deadline, leaving
		// time for the report, the audit event and the hand-over.
		tctx, cancel := ctx, context.CancelFunc(func() {})
		if dl, ok := ctx.Deadline(); ok {
			tctx, cancel = context.WithDeadline(ctx, dl.Add(-cancelMargin))
		}
		err := r.resourceType(tctx, u.api, u.region, typ, pols)
		cut := tctx.Err() != nil
		cancel()
		if cut {
			// The deadline came inside the type (a long one, paced to the
			// account's limits): the follow-up starts again at this type,
			// whose done work is gone from its listing or marked.
			o.stoppedAt = typ
			r.rep.PartialIn(u.region, fmt.Sprintf("stopped at the Lambda deadline in %s (every step is idempotent)", typ))
			return o
		}
		if err != nil {
			// Its section says failed rather than showing no resources.
			o.failed = true
			r.rep.FailIn(u.region, fmt.Errorf("%s: %w", typ, err))
		}
	}
	return o
}
