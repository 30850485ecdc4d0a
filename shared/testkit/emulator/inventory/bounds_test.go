package inventory_test

import (
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestAcceptsWhatAWSAccepts: the server is no stricter than the EC2 API
// reference. A page size above the documented maximum of DescribeSnapshots
// (1 000) or DescribeVolumes (500) is lowered to it ("if MaxResults is given
// a value larger than 500, only 500 items are returned"), not refused; tag
// limits count Unicode characters, not bytes; every documented instance
// attribute is answered.
func TestAcceptsWhatAWSAccepts(t *testing.T) {
	_, c, _, ctx, _ := start(t, inventory.Spec{Snapshots: 2500, Volumes: 1200, Instances: 2})

	t.Run("page sizes above the maximum", func(t *testing.T) {
		tests := []struct {
			name      string
			page      func(token *string) (items int, next *string, err error)
			wantFirst int
			wantPages int
		}{
			{"DescribeVolumes MaxResults 1000", func(tok *string) (int, *string, error) {
				out, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(1000), NextToken: tok})
				if err != nil {
					return 0, nil, err
				}
				return len(out.Volumes), out.NextToken, nil
			}, 500, 3},
			{"DescribeSnapshots MaxResults 2000", func(tok *string) (int, *string, error) {
				out, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(2000), NextToken: tok})
				if err != nil {
					return 0, nil, err
				}
				return len(out.Snapshots), out.NextToken, nil
			}, 1000, 3},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var tok *string
				pages, total := 0, 0
				for {
					n, next, err := tt.page(tok)
					if err != nil {
						t.Fatalf("page %d: %v", pages+1, err)
					}
					if pages == 0 && n != tt.wantFirst {
						t.Errorf("first page holds %d, want %d (the documented maximum)", n, tt.wantFirst)
					}
					pages++
					total += n
					if next == nil {
						break
					}
					tok = next
				}
				if pages != tt.wantPages {
					t.Errorf("%d pages (%d items), want %d", pages, total, tt.wantPages)
				}
			})
		}
	})

	t.Run("tag limits in characters", func(t *testing.T) {
		vols, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(5)})
		if err != nil {
			t.Fatal(err)
		}
		vol := aws.ToString(vols.Volumes[0].VolumeId)
		tests := []struct {
			name, key, value string
			want             string
		}{
			{"key of 128 two-byte characters", strings.Repeat("é", 128), "v", ""},
			{"key of 129 characters", strings.Repeat("é", 129), "v", "InvalidParameterValue"},
			{"value of 256 three-byte characters", "k", strings.Repeat("€", 256), ""},
			{"value of 257 characters", "k", strings.Repeat("a", 257), "InvalidParameterValue"},
			{"aws: key in any case", "AWS:x", "v", "InvalidParameterValue"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vol}, Tags: []ec2types.Tag{{Key: aws.String(tt.key), Value: aws.String(tt.value)}}})
				if got := code(err); got != tt.want {
					t.Errorf("code %q, want %q (%v)", got, tt.want, err)
				}
			})
		}
	})

	t.Run("every documented instance attribute", func(t *testing.T) {
		inst, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
		if err != nil || len(inst.Reservations) == 0 {
			t.Fatalf("instances: %v", err)
		}
		id := inst.Reservations[0].Instances[0].InstanceId
		for _, attr := range ec2types.InstanceAttributeName("").Values() {
			out, err := c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: id, Attribute: attr})
			if err != nil {
				t.Errorf("%s: %v", attr, err)
				continue
			}
			if aws.ToString(out.InstanceId) != aws.ToString(id) {
				t.Errorf("%s: answered for %q", attr, aws.ToString(out.InstanceId))
			}
		}
		out, err := c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: id, Attribute: ec2types.InstanceAttributeNameBlockDeviceMapping})
		if err != nil || len(out.BlockDeviceMappings) != 2 {
			t.Errorf("blockDeviceMapping: %d mappings, %v; want root and data volume", len(out.BlockDeviceMappings), err)
		}
		if _, err := c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: id, Attribute: "colour"}); code(err) != "InvalidParameterValue" {
			t.Errorf("unknown attribute: %v, want InvalidParameterValue", err)
		}
	})
}
