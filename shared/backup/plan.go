package backup

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/backup/retention"
	"github.com/aws-commander/commander/shared/report"
)

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
		msgs := map[string]string{} // failed snapshot -> AWS's message
		for s := range managed.of(vol) {
			v.Snapshots = append(v.Snapshots, retention.Snapshot{
				ID: s.ID, Policy: s.Policy, Time: s.Time, Completed: s.Completed, Failed: s.Failed,
				Protected: s.Protected, AWSBackup: s.AWSBackup, InAMI: used[s.ID],
			})
			if s.Failed {
				msgs[s.ID] = s.Message
			}
		}
		for _, vd := range retention.Plan(v, ru.Config.Policies, ru.now) {
			if ru.req.Policy != "" && strings.TrimSuffix(vd.Snapshot.Policy, retention.CopySuffix) != ru.req.Policy {
				continue
			}
			n++
			if vd.Snapshot.Failed {
				ru.add(reg.Name, TypeSnapshot, vd.Snapshot.ID, ActionSnapshot, report.Failed, failedReason(vol, vd.Snapshot, msgs[vd.Snapshot.ID]), nil)
			}
			if vd.Delete {
				dels = append(dels, deletion{reg: &reg, id: vd.Snapshot.ID, vol: vol, policy: vd.Snapshot.Policy, taken: vd.Snapshot.Time.UnixMilli(), failed: vd.Snapshot.Failed})
				continue
			}
			ru.add(reg.Name, TypeSnapshot, vd.Snapshot.ID, ActionKeep, report.Skipped, vol+": "+vd.Reason, nil)
		}
	}
	return dels, n, nil
}

// failedReason reports a backup that AWS could not complete: the run that
// sees it says so once (it is then deleted, see retention.Plan), and the
// volume's next backup, by this run's redelivery or the next run, replaces it.
func failedReason(vol string, s retention.Snapshot, msg string) string {
	if msg == "" {
		msg = "AWS gave no reason"
	}
	return fmt.Sprintf("%s: backup %s (policy %s, taken %s) is in state error (%s): it is no backup: retention does not count it and deletes it, and it stands for no scheduled time, so the volume's next due backup replaces it",
		vol, s.ID, s.Policy, s.Time.UTC().Format(time.RFC3339), msg)
}
