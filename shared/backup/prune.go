package backup

import (
	"context"
	"fmt"
	"time"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/backup/retention"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"golang.org/x/sync/errgroup"
)

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
	failed bool  // in state error: no backup (retention.Unusable)
}

func (ru *run) reason(d deletion) string {
	if d.failed {
		return d.vol + ": " + retention.Unusable
	}
	return d.vol + ": " + retention.Expired(ru.Config.Policies[d.policy], time.UnixMilli(d.taken), ru.now)
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
				ru.ledger.Done(retentionKey, 1)
				ru.add(region, TypeSnapshot, d.id, ActionDelete, report.Done, ru.reason(d), nil)
			case awserr.Is(err, awserr.NotFound):
				ru.ledger.Done(retentionKey, 1)
				ru.add(region, TypeSnapshot, d.id, ActionDelete, report.Done, ru.reason(d)+" (already gone)", nil)
			default:
				ru.add(region, TypeSnapshot, d.id, ActionDelete, report.Failed, ru.reason(d), err)
			}
			return nil
		})
	}
	_ = g.Wait()
}
