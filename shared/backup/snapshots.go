package backup

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/backup/retention"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"golang.org/x/sync/errgroup"
)

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
	due := map[string]string{}     // volume -> why due
	inProgress := map[string]int{} // volume -> this system's snapshots of it still pending
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
		h := historyOf(managed, id, p.Name)
		if h.done != "" {
			skip("already backed up by this run (" + h.done + "): the event was delivered again")
			continue
		}
		ok, why := retention.Due(p, h.newest, ru.now)
		if !ok {
			skip("not due: " + why)
			continue
		}
		if h.failed != "" {
			why += "; again: this run's " + h.failed + " ended in state error"
		}
		inProgress[id] = h.inProgress
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
				case awserr.Is(err, awserr.Busy):
					// Not a failure: the volume's earlier snapshots must finish
					// first. Pruning waits, as for any due backup not taken.
					hold[t.VolumeID] = "its snapshots still in progress left no room for this run's backup"
					ru.add(reg.Name, TypeVolume, t.VolumeID, ActionSnapshot, report.Skipped, due[t.VolumeID]+"; not done: "+busyReason(err, inProgress[t.VolumeID]), nil)
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

// history is what a volume's snapshots under one policy say about its
// next backup. A failed snapshot (state error) is no backup: it neither
// counts as this run's nor makes the policy's period already covered, so
// the volume is snapshotted again.
type history struct {
	done       string    // this run's snapshot, pending or completed
	failed     string    // this run's snapshot that ended in error
	newest     time.Time // the newest backup, pending or completed
	inProgress int       // this system's snapshots of the volume still pending, any policy
}

func historyOf(managed *managedSet, vol, policy string) history {
	var h history
	for s := range managed.of(vol) {
		if s.Failed {
			if s.ThisRun {
				h.failed = s.ID
			}
			continue
		}
		if !s.Completed {
			h.inProgress++
		}
		if s.ThisRun {
			h.done = s.ID
		}
		if s.Policy == policy && s.Time.After(h.newest) {
			h.newest = s.Time
		}
	}
	return h
}

// busyReason says why EC2 refused a volume's snapshot for now (an
// awserr.Busy error): its snapshots still in progress, of which pending
// are this system's. The next run takes it; nothing is retried at once,
// since they take minutes to hours.
func busyReason(err error, pending int) string {
	code := awserr.Describe(err).Code
	if code == "SnapshotCreationPerVolumeRateExceeded" {
		return "a snapshot of this volume started less than 15 s ago and is still in progress (EC2 " + code + "); the next run snapshots it"
	}
	return fmt.Sprintf("EC2's limit on snapshots in progress per volume is reached (5; 1 for st1 and sc1), %d of them this system's (EC2 %s); the next run snapshots it", pending, code)
}

// create makes the snapshots of one unit, tagged, and returns them by volume.
func (ru *run) create(ctx context.Context, reg Region, u unit) (map[string]existing, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	api := reg.EC2
	made := map[string]existing{}
	record := func(vol, id string, state types.SnapshotState, tl []types.Tag) {
		tm := tags.EC2(tl)
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
		in := &ec2.CreateSnapshotInput{
			VolumeId:          aws.String(t.VolumeID),
			Description:       aws.String(fmt.Sprintf("AWS Commander backup of %s (policy %s)", t.VolumeID, t.Policy)),
			TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSnapshot, Tags: tl}},
		}
		// No client token: after a lost answer, look for this run's snapshot of the volume.
		out, err := awsclient.CreateOnce(ctx,
			func(ctx context.Context) (*ec2.CreateSnapshotOutput, error) {
				return api.CreateSnapshot(ctx, in, ec2client.NoBlindRetry)
			},
			func(ctx context.Context) (*ec2.CreateSnapshotOutput, bool, error) {
				l, err := ec2client.FindSnapshots(ctx, api, ec2client.Filter("tag:"+tags.RunKey, tagValue(ru.key)), ec2client.Filter("volume-id", t.VolumeID))
				if err != nil || len(l) == 0 {
					return nil, false, err
				}
				return &ec2.CreateSnapshotOutput{SnapshotId: l[0].SnapshotId, State: l[0].State}, true, nil
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
	in := &ec2.CreateSnapshotsInput{
		InstanceSpecification: &types.InstanceSpecification{InstanceId: aws.String(u.instance), ExcludeBootVolume: aws.Bool(ru.Config.ExcludeRoot)},
		Description:           aws.String(fmt.Sprintf("AWS Commander backup of %s (policy %s)", u.instance, u.targets[0].Policy)),
		TagSpecifications:     []types.TagSpecification{{ResourceType: types.ResourceTypeSnapshot, Tags: common}},
	}
	// No client token: after a lost answer, look for this run's set of the
	// instance (the run key and the source instance are among the common tags).
	out, err := awsclient.CreateOnce(ctx,
		func(ctx context.Context) (*ec2.CreateSnapshotsOutput, error) {
			return api.CreateSnapshots(ctx, in, ec2client.NoBlindRetry)
		},
		func(ctx context.Context) (*ec2.CreateSnapshotsOutput, bool, error) {
			l, err := ec2client.FindSnapshots(ctx, api, ec2client.Filter("tag:"+tags.RunKey, tagValue(ru.key)), ec2client.Filter("tag:"+SourceInstance, u.instance))
			if err != nil || len(l) == 0 {
				return nil, false, err
			}
			found := &ec2.CreateSnapshotsOutput{}
			for _, s := range l {
				found.Snapshots = append(found.Snapshots, types.SnapshotInfo{SnapshotId: s.SnapshotId, VolumeId: s.VolumeId, State: s.State})
			}
			return found, true, nil
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
		m := tags.EC2(l)
		out = slices.DeleteFunc(out, func(t types.Tag) bool {
			v, ok := m[aws.ToString(t.Key)]
			return !ok || v != aws.ToString(t.Value)
		})
	}
	return out
}

func minus(l, common []types.Tag) []types.Tag {
	m := tags.EC2(common)
	return slices.DeleteFunc(slices.Clone(l), func(t types.Tag) bool {
		v, ok := m[aws.ToString(t.Key)]
		return ok && v == aws.ToString(t.Value)
	})
}
