package backup

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/backup/retention"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Tags of cross-region copies.
const (
	CopyOf       = "commander:copy-of"       // the source snapshot id
	SourceRegion = "commander:source-region" // the source snapshot's region
)

// Report action for a cross-region copy.
const ActionCopy = "copy"

// CopyAPI is the slice of EC2 that finding and making copies calls.
type CopyAPI interface {
	ec2.DescribeSnapshotsAPIClient
	CopySnapshot(ctx context.Context, in *ec2.CopySnapshotInput, opts ...func(*ec2.Options)) (*ec2.CopySnapshotOutput, error)
}

// copies copies the newest completed backup of each volume whose policy
// asks for a copy, unless the destination already has it. A snapshot must
// be completed to be copied, so a backup still pending now is copied by a
// later run; the copy-of tag makes that idempotent.
func (ru *run) copies(ctx context.Context, reg Region, managed *managedSet) error {
	type source struct {
		existing
		vol string
	}
	if len(ru.Config.CopyRegions()) == 0 {
		return nil // no policy copies: no need to walk the snapshots
	}
	want := map[string][]source{} // destination -> snapshots to copy
	for _, vol := range managed.vols {
		newest := map[string]existing{} // policy -> newest completed
		for s := range managed.of(vol) {
			if !s.Completed || !ru.copiesFrom(reg.Name, s.Policy) {
				continue
			}
			if n, seen := newest[s.Policy]; !seen || s.Time.After(n.Time) || s.Time.Equal(n.Time) && s.ID > n.ID {
				newest[s.Policy] = s
			}
		}
		for _, s := range newest {
			dst := ru.Config.Policies[s.Policy].CopyRegion
			want[dst] = append(want[dst], source{s, vol})
		}
	}
	dsts := make([]string, 0, len(want))
	for d := range want {
		dsts = append(dsts, d)
	}
	sort.Strings(dsts)
	for _, dst := range dsts {
		dr, ok := ru.region(dst)
		if !ok {
			return fmt.Errorf("no client for copy destination %s", dst)
		}
		api := dr.EC2
		have, err := copied(ctx, api)
		if err != nil {
			return fmt.Errorf("list copies in %s: %w", dst, err)
		}
		list := want[dst]
		sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
		for _, s := range list {
			res := s.ID + "->" + dst
			if c := have[s.ID]; c != "" {
				ru.add(reg.Name, TypeSnapshot, res, ActionCopy, report.Skipped, "already copied to "+dst+" as "+c, nil)
				continue
			}
			p := ru.Config.Policies[s.Policy]
			why := fmt.Sprintf("policy %s copies its newest backup of %s to %s", p.Name, s.vol, dst)
			if ru.dry {
				ru.add(reg.Name, TypeSnapshot, res, ActionCopy, report.Planned, why, nil)
				continue
			}
			in := &ec2.CopySnapshotInput{
				SourceRegion: aws.String(reg.Name), SourceSnapshotId: aws.String(s.ID),
				Description:       aws.String(fmt.Sprintf("AWS Commander copy of %s from %s (policy %s)", s.ID, reg.Name, p.Name)),
				Encrypted:         aws.Bool(true),
				TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSnapshot, Tags: copyTags(s.existing, s.vol, reg.Name, ru.Settings.ProtectTag)}},
			}
			if p.CopyKMSKey != "" {
				in.KmsKeyId = aws.String(p.CopyKMSKey)
			}
			// CopySnapshot has no client token (CopyImage has): after a lost
			// answer, look for the copy of this source in the destination.
			out, err := awsclient.CreateOnce(ctx,
				func(ctx context.Context) (*ec2.CopySnapshotOutput, error) {
					return api.CopySnapshot(ctx, in, ec2client.NoBlindRetry)
				},
				func(ctx context.Context) (*ec2.CopySnapshotOutput, bool, error) {
					l, err := ec2client.FindSnapshots(ctx, api, ec2client.Filter("tag:"+CopyOf, s.ID))
					if err != nil || len(l) == 0 {
						return nil, false, err
					}
					return &ec2.CopySnapshotOutput{SnapshotId: l[0].SnapshotId}, true, nil
				})
			if err != nil {
				ru.add(reg.Name, TypeSnapshot, res, ActionCopy, report.Failed, why, err)
				continue
			}
			ru.add(reg.Name, TypeSnapshot, res, ActionCopy, report.Done, why+": "+aws.ToString(out.SnapshotId), nil)
		}
	}
	return nil
}

// copiesFrom reports whether this run may copy a backup of policy out of
// region (the snapshots whose tags a copy needs).
func (ru *run) copiesFrom(region, policy string) bool {
	p, ok := ru.Config.Policies[policy]
	return ok && p.CopyRegion != "" && p.CopyRegion != region && (ru.req.Policy == "" || policy == ru.req.Policy)
}

// copied maps source snapshot ids to their copies in a destination, those
// in state error left out.
func copied(ctx context.Context, api CopyAPI) (map[string]string, error) {
	out := map[string]string{}
	p := ec2.NewDescribeSnapshotsPaginator(api, &ec2.DescribeSnapshotsInput{
		OwnerIds:   []string{"self"},
		Filters:    []types.Filter{{Name: aws.String("tag-key"), Values: []string{CopyOf}}},
		MaxResults: aws.Int32(1000),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range page.Snapshots {
			// A copy that ended in error is no copy: the source is copied again
			// (retention deletes the failed one).
			if s.State != types.SnapshotStateError {
				out[tags.EC2(s.Tags)[CopyOf]] = aws.ToString(s.SnapshotId)
			}
		}
	}
	return out, nil
}

// copyTags are the source backup's tags, under the copy's own policy; a
// protected source does not make its copy protected.
func copyTags(s existing, vol, region, protectKey string) []types.Tag {
	var out []types.Tag
	keys := make([]string, 0, len(s.Tags))
	for k := range s.Tags {
		if tags.UserTag(k) && !guard.ProtectKey(k, protectKey) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := s.Tags[k]
		switch {
		case k == tags.BackupPolicy && !strings.HasSuffix(v, retention.CopySuffix):
			v += retention.CopySuffix
		case k == SourceVolume:
			v = vol
		}
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, ok := s.Tags[SourceVolume]; !ok {
		out = append(out, types.Tag{Key: aws.String(SourceVolume), Value: aws.String(vol)})
	}
	return append(out, types.Tag{Key: aws.String(CopyOf), Value: aws.String(s.ID)}, types.Tag{Key: aws.String(SourceRegion), Value: aws.String(region)})
}
