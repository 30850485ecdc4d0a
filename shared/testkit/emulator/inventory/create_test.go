package inventory_test

import (
	"testing"

	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// A create call answers pending, as AWS does (the snapshot completes
// later; the backup job does not count a pending snapshot towards
// retention); the next Describe finds it completed.
func TestCreatedSnapshotsAnswerPendingThenComplete(t *testing.T) {
	_, c, _, ctx, _ := start(t, inventory.Spec{Volumes: 6, Instances: 2}) // volumes 4 and 5 are unattached
	vols, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{{Name: aws.String("status"), Values: []string{"available"}}}})
	if err != nil || len(vols.Volumes) == 0 {
		t.Fatalf("available volumes: %v %v", vols, err)
	}
	insts, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil || len(insts.Reservations) == 0 {
		t.Fatalf("instances: %v %v", insts, err)
	}
	cases := []struct {
		name   string
		create func() (map[string]ec2types.SnapshotState, error)
	}{
		{"CreateSnapshot", func() (map[string]ec2types.SnapshotState, error) {
			out, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: vols.Volumes[0].VolumeId})
			if err != nil {
				return nil, err
			}
			return map[string]ec2types.SnapshotState{aws.ToString(out.SnapshotId): out.State}, nil
		}},
		{"CreateSnapshots", func() (map[string]ec2types.SnapshotState, error) {
			out, err := c.CreateSnapshots(ctx, &ec2.CreateSnapshotsInput{InstanceSpecification: &ec2types.InstanceSpecification{InstanceId: insts.Reservations[0].Instances[0].InstanceId}})
			if err != nil {
				return nil, err
			}
			got := map[string]ec2types.SnapshotState{}
			for _, s := range out.Snapshots {
				got[aws.ToString(s.SnapshotId)] = s.State
			}
			return got, nil
		}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			created, err := tt.create()
			if err != nil || len(created) == 0 {
				t.Fatalf("create: %v %v", created, err)
			}
			var ids []string
			for id, state := range created {
				if state != ec2types.SnapshotStatePending {
					t.Errorf("%s answered %q, want pending", id, state)
				}
				ids = append(ids, id)
			}
			desc, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: ids})
			if err != nil || len(desc.Snapshots) != len(ids) {
				t.Fatalf("describe: %v %v", desc, err)
			}
			for _, s := range desc.Snapshots {
				if s.State != ec2types.SnapshotStateCompleted {
					t.Errorf("%s described as %q, want completed", aws.ToString(s.SnapshotId), s.State)
				}
			}
		})
	}
}
