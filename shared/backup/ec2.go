package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Tags only this job sets, on the snapshots it makes.
const (
	SourceVolume   = "commander:source-volume"
	SourceInstance = tags.SourceInstance
	AWSBackupTag   = "aws:backup:source-resource"
	createdBy      = "commander-backup"
	maxEC2Tags     = 50
	maxTagValue    = 256
	volumeIDBatch  = 200 // values per filter
)

// EC2API is the slice of EC2 the backup job calls.
type EC2API interface {
	ec2.DescribeVolumesAPIClient
	ec2.DescribeInstancesAPIClient
	ec2.DescribeSnapshotsAPIClient
	ec2.DescribeImagesAPIClient
	CreateSnapshot(ctx context.Context, in *ec2.CreateSnapshotInput, opts ...func(*ec2.Options)) (*ec2.CreateSnapshotOutput, error)
	CreateSnapshots(ctx context.Context, in *ec2.CreateSnapshotsInput, opts ...func(*ec2.Options)) (*ec2.CreateSnapshotsOutput, error)
	CreateTags(ctx context.Context, in *ec2.CreateTagsInput, opts ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
	DeleteSnapshot(ctx context.Context, in *ec2.DeleteSnapshotInput, opts ...func(*ec2.Options)) (*ec2.DeleteSnapshotOutput, error)
	CopySnapshot(ctx context.Context, in *ec2.CopySnapshotInput, opts ...func(*ec2.Options)) (*ec2.CopySnapshotOutput, error) // in a copy destination
}

// target is a volume to back up.
type target struct {
	VolumeID   string
	Policy     string
	InstanceID string // set when the policy came from the instance's tag
	State      string
	Tags       sourceTags // the instance's, overlaid with the volume's
}

// kv is one tag.
type kv struct{ K, V string }

// sourceTags are the tags a source's new snapshots may copy: its user tags
// (not aws:, which AWS reserves, nor commander:), sorted by key. A
// selection holds one per volume, so a slice, not a map.
type sourceTags []kv

func sourceTagsOf(list []types.Tag) sourceTags {
	var out sourceTags
	for _, t := range list {
		k := aws.ToString(t.Key)
		if tags.UserTag(k) && !strings.HasPrefix(k, "commander:") {
			out = append(out, kv{k, aws.ToString(t.Value)})
		}
	}
	slices.SortFunc(out, func(a, b kv) int { return strings.Compare(a.K, b.K) }) // a resource's keys are unique
	return out
}

// over is s overlaid with o, as a new list (s may be shared).
func (s sourceTags) over(o sourceTags) sourceTags {
	out := make(sourceTags, 0, len(s)+len(o))
	i, j := 0, 0
	for i < len(s) || j < len(o) {
		switch {
		case j == len(o) || i < len(s) && s[i].K < o[j].K:
			out = append(out, s[i])
			i++
		case i == len(s) || o[j].K < s[i].K:
			out = append(out, o[j])
			j++
		default: // the same key: o's value
			out = append(out, o[j])
			i, j = i+1, j+1
		}
	}
	return out
}

// lookup is the value of key in list.
func lookup(list []types.Tag, key string) (string, bool) {
	return tags.Lookup(list, key, func(t types.Tag) *string { return t.Key }, func(t types.Tag) *string { return t.Value })
}

// instanceSet is an instance whose volumes back up together.
type instanceSet struct {
	ID      string
	Volumes []string // the volumes its policy covers
}

// selection is what one region has to back up.
type selection struct {
	Targets   map[string]*target
	Instances []instanceSet
}

// backupTagFilter selects resources tagged with a backup policy, or with
// policy only when it is set.
func backupTagFilter(policy string) types.Filter {
	if policy != "" {
		return types.Filter{Name: aws.String("tag:" + tags.Backup), Values: []string{policy}}
	}
	return types.Filter{Name: aws.String("tag-key"), Values: []string{tags.Backup}}
}

// selectTargets finds tagged volumes and the volumes of tagged instances
// (under policy, or any when empty), with server-side tag filters. A
// volume's own tag wins over its instance's.
func selectTargets(ctx context.Context, api EC2API, excludeRoot bool, policy string) (selection, error) {
	sel := selection{Targets: map[string]*target{}}
	vp := ec2.NewDescribeVolumesPaginator(api, &ec2.DescribeVolumesInput{Filters: []types.Filter{backupTagFilter(policy)}, MaxResults: aws.Int32(500)})
	for vp.HasMorePages() {
		page, err := vp.NextPage(ctx)
		if err != nil {
			return sel, fmt.Errorf("describe tagged volumes: %w", err)
		}
		for _, v := range page.Volumes {
			p, _ := lookup(v.Tags, tags.Backup)
			sel.Targets[aws.ToString(v.VolumeId)] = &target{VolumeID: aws.ToString(v.VolumeId), Policy: p, State: string(v.State), Tags: sourceTagsOf(v.Tags)}
		}
	}
	ip := ec2.NewDescribeInstancesPaginator(api, &ec2.DescribeInstancesInput{
		Filters: []types.Filter{backupTagFilter(policy),
			{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}}},
		MaxResults: aws.Int32(1000),
	})
	var fromInstances []string
	for ip.HasMorePages() {
		page, err := ip.NextPage(ctx)
		if err != nil {
			return sel, fmt.Errorf("describe tagged instances: %w", err)
		}
		for _, r := range page.Reservations {
			for _, in := range r.Instances {
				policy, _ := lookup(in.Tags, tags.Backup)
				it := sourceTagsOf(in.Tags) // shared by its volumes until one overlays its own
				set := instanceSet{ID: aws.ToString(in.InstanceId)}
				for _, m := range in.BlockDeviceMappings {
					if m.Ebs == nil || m.Ebs.VolumeId == nil {
						continue
					}
					if excludeRoot && aws.ToString(m.DeviceName) == aws.ToString(in.RootDeviceName) {
						continue
					}
					id := aws.ToString(m.Ebs.VolumeId)
					set.Volumes = append(set.Volumes, id)
					if t, own := sel.Targets[id]; own {
						// Tagged itself under the same policy: still part of the instance's set.
						if t.Policy == policy {
							t.InstanceID = set.ID
							t.Tags = it.over(t.Tags)
						}
						continue
					}
					sel.Targets[id] = &target{VolumeID: id, Policy: policy, InstanceID: set.ID, Tags: it}
					fromInstances = append(fromInstances, id)
				}
				sel.Instances = append(sel.Instances, set)
			}
		}
	}
	// The volumes reached through instances: their state and own tags.
	err := eachVolumeOf(ctx, api, fromInstances, func(v types.Volume) {
		id := aws.ToString(v.VolumeId)
		t, ok := sel.Targets[id]
		if !ok {
			return
		}
		if p, tagged := lookup(v.Tags, tags.Backup); tagged && p != t.Policy {
			delete(sel.Targets, id) // its own policy wins, and is not this run's
			return
		}
		t.State = string(v.State)
		if own := sourceTagsOf(v.Tags); len(own) > 0 {
			t.Tags = t.Tags.over(own)
		}
	})
	if err != nil {
		return sel, fmt.Errorf("describe instance volumes: %w", err)
	}
	return sel, nil
}

// existing is a snapshot this system made under a policy: what planning
// and copying read of it (a managedSet keeps it compactly).
type existing struct {
	ID, Policy string
	Time       time.Time
	Completed  bool
	Protected  bool // carries the protection tag
	AWSBackup  bool // made by AWS Backup
	ThisRun    bool // made by this run (its run key is runKey)
	// Failed: in state error, which AWS sets when it cannot complete a
	// snapshot. It is no backup: nothing can be restored from it.
	Failed  bool
	Message string // AWS's state message of a failed snapshot
	// Tags is kept only when a cross-region copy may copy the snapshot
	// (its copy carries them); nil otherwise.
	Tags map[string]string
}

// listManaged streams this account's snapshots made by this system under
// a policy into a managedSet, by source volume. runKey is this run's run
// key tag; keepTags says, by policy, whose tags to keep. Each page is
// reduced to the set's records and let go before the next is read.
func listManaged(ctx context.Context, api EC2API, runKey, protectKey string, keepTags func(policy string) bool) (*managedSet, error) {
	out := newManagedSet()
	p := ec2.NewDescribeSnapshotsPaginator(api, &ec2.DescribeSnapshotsInput{
		OwnerIds: []string{"self"},
		Filters: []types.Filter{
			{Name: aws.String("tag:" + tags.ManagedBy), Values: []string{tags.ManagedByValue}},
			{Name: aws.String("tag-key"), Values: []string{tags.BackupPolicy}},
		},
		MaxResults: aws.Int32(1000),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe snapshots: %w", err)
		}
		for _, s := range page.Snapshots {
			// commander:created-at is the backup's time: the run's (possibly simulated) now.
			e := existing{ID: aws.ToString(s.SnapshotId), Time: aws.ToTime(s.StartTime),
				Completed: s.State == types.SnapshotStateCompleted, Failed: s.State == types.SnapshotStateError}
			if e.Failed {
				e.Message = aws.ToString(s.StateMessage)
			}
			vol, rk := "", ""
			for _, t := range s.Tags {
				k, v := aws.ToString(t.Key), aws.ToString(t.Value)
				switch k {
				case SourceVolume:
					vol = v
				case tags.BackupPolicy:
					e.Policy = v
				case tags.RunKey:
					rk = v
				case tags.CreatedAt:
					if at, err := time.Parse(time.RFC3339, v); err == nil {
						e.Time = at
					}
				case AWSBackupTag:
					e.AWSBackup = v != ""
				}
				if guard.ProtectKey(k, protectKey) && guard.ProtectionValue(v) {
					e.Protected = true // the guard's rule, on the one tag it reads: any variant of the key that protects
				}
			}
			if vol == "" {
				vol = aws.ToString(s.VolumeId)
			}
			e.ThisRun = rk == runKey
			if keepTags(e.Policy) {
				e.Tags = tags.EC2(s.Tags)
			}
			out.add(vol, e)
		}
	}
	return out, nil
}

// imageSnapshots is every snapshot an AMI of this account uses.
func imageSnapshots(ctx context.Context, api EC2API) (map[string]bool, error) {
	used := map[string]bool{}
	p := ec2.NewDescribeImagesPaginator(api, &ec2.DescribeImagesInput{Owners: []string{"self"}, MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe images: %w", err)
		}
		for _, im := range page.Images {
			for _, m := range im.BlockDeviceMappings {
				if m.Ebs != nil && m.Ebs.SnapshotId != nil {
					used[*m.Ebs.SnapshotId] = true
				}
			}
		}
	}
	return used, nil
}

// existingVolumes reports which of ids still exist.
func existingVolumes(ctx context.Context, api EC2API, ids []string) (map[string]bool, error) {
	found := map[string]bool{}
	err := eachVolumeOf(ctx, api, ids, func(v types.Volume) { found[aws.ToString(v.VolumeId)] = true })
	if err != nil {
		return nil, fmt.Errorf("describe volumes: %w", err)
	}
	return found, nil
}

// eachVolumeOf calls fn for each of the volumes ids that exist, listed by a
// volume-id filter in batches (a filter, unlike VolumeIds, does not fail the
// whole call on an id that is gone).
func eachVolumeOf(ctx context.Context, api EC2API, ids []string, fn func(types.Volume)) error {
	for batch := range slices.Chunk(ids, volumeIDBatch) {
		p := ec2.NewDescribeVolumesPaginator(api, &ec2.DescribeVolumesInput{
			Filters: []types.Filter{{Name: aws.String("volume-id"), Values: batch}}, MaxResults: aws.Int32(500)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, v := range page.Volumes {
				fn(v)
			}
		}
	}
	return nil
}

// tagValue fits a value into EC2's 256 characters; a longer run key is
// replaced by its hash, which is as good for idempotency.
func tagValue(v string) string {
	if len(v) <= maxTagValue {
		return v
	}
	h := sha256.Sum256([]byte(v))
	return "sha256:" + hex.EncodeToString(h[:])
}

// snapshotTags are the tags of a new snapshot of t: the source's user tags
// (not aws:, which AWS reserves, nor commander:, nor the protection key,
// which would make the backup undeletable), then this system's.
func snapshotTags(t *target, policy, key, protectKey string, now time.Time) []types.Tag {
	ours := tags.Managed(createdBy, now)
	ours[tags.BackupPolicy] = policy
	ours[SourceVolume] = t.VolumeID
	ours[tags.RunKey] = tagValue(key)
	if t.InstanceID != "" {
		ours[SourceInstance] = t.InstanceID
	}
	out := make([]types.Tag, 0, len(t.Tags)+len(ours))
	for _, tg := range t.Tags { // sorted, and user tags only
		if guard.ProtectKey(tg.K, protectKey) {
			continue
		}
		if len(out) == maxEC2Tags-len(ours) {
			break
		}
		out = append(out, types.Tag{Key: aws.String(tg.K), Value: aws.String(tg.V)})
	}
	keys := slices.Sorted(maps.Keys(ours))
	for _, k := range keys {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(ours[k])})
	}
	return out
}
