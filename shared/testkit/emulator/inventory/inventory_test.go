package inventory_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

var now = time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)

// start runs a server seeded with spec and points the test's environment at
// it, so the clients come from awsclient exactly as in the functions.
func start(t testing.TB, spec inventory.Spec) (*inventory.Server, *ec2.Client, *s3.Client, context.Context, *awsclient.Counter) {
	t.Helper()
	return startWith(t, inventory.Options{}, spec)
}

// startWith is start with the server's options (Now defaults to now).
func startWith(t testing.TB, opts inventory.Options, spec inventory.Spec) (*inventory.Server, *ec2.Client, *s3.Client, context.Context, *awsclient.Counter) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return now }
	}
	srv, err := inventory.Start(opts)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	if spec.Now.IsZero() {
		spec.Now = now
	}
	if err := srv.Seed(spec); err != nil {
		t.Fatalf("seed: %v", err)
	}
	for k, v := range srv.Env() {
		t.Setenv(k, v)
	}
	cfg := load(t, inventory.DefaultRegion)
	counter := awsclient.NewCounter()
	return srv, ec2client.New(cfg), s3client.New(cfg), awsclient.WithCounter(context.Background(), counter), counter
}

// load is awsclient's configuration, whose HTTP client survives the SDK's
// request-body race against a server this fast (docs/inventory-server.md).
func load(t testing.TB, region string) aws.Config {
	t.Helper()
	cfg, err := awsclient.Load(context.Background(), region, 1)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "not an API error: " + err.Error()
	}
	return ""
}

func allSnapshots(t testing.TB, ctx context.Context, c *ec2.Client, in *ec2.DescribeSnapshotsInput) ([]ec2types.Snapshot, int) {
	t.Helper()
	var out []ec2types.Snapshot
	pages := 0
	p := ec2.NewDescribeSnapshotsPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("describe snapshots page %d: %v", pages+1, err)
		}
		pages++
		out = append(out, page.Snapshots...)
	}
	return out, pages
}

func tagValue(list []ec2types.Tag, key string) (string, bool) {
	return tags.Lookup(list, key, func(t ec2types.Tag) *string { return t.Key }, func(t ec2types.Tag) *string { return t.Value })
}

func TestPagingCountsPagesAndCalls(t *testing.T) {
	srv, c, _, ctx, counter := start(t, inventory.Spec{Snapshots: 2500, Volumes: 10})
	tests := []struct {
		name      string
		max       int32
		wantPages int
	}{
		{"largest page", 1000, 3},
		{"smallest page", 5, 500},
		{"exact fit", 500, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Reset()
			before := counter.Calls()["EC2.DescribeSnapshots"]
			got, pages := allSnapshots(t, ctx, c, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: aws.Int32(tt.max)})
			if pages != tt.wantPages {
				t.Errorf("pages = %d, want %d", pages, tt.wantPages)
			}
			ids := map[string]bool{}
			for _, s := range got {
				ids[aws.ToString(s.SnapshotId)] = true
			}
			if len(got) != 2500 || len(ids) != 2500 {
				t.Errorf("got %d snapshots, %d distinct, want 2500", len(got), len(ids))
			}
			if n := srv.Calls()["EC2.DescribeSnapshots"]; n != int64(tt.wantPages) {
				t.Errorf("server counted %d calls, want %d", n, tt.wantPages)
			}
			if n := counter.Calls()["EC2.DescribeSnapshots"] - before; n != int64(tt.wantPages) {
				t.Errorf("client counted %d calls, want %d", n, tt.wantPages)
			}
		})
	}
}

func TestSnapshotFilters(t *testing.T) {
	const n, vols = 2500, 10
	_, c, _, ctx, _ := start(t, inventory.Spec{Snapshots: n, Volumes: vols})
	first, _ := allSnapshots(t, ctx, c, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(5), SnapshotIds: nil, Filters: []ec2types.Filter{
		{Name: aws.String("tag:Name"), Values: []string{"bench-snap-000000"}}}})
	if len(first) != 1 {
		t.Fatalf("snapshot 0 by Name: got %d", len(first))
	}
	vol0 := aws.ToString(first[0].VolumeId)
	count := func(f func(i int) bool) int {
		k := 0
		for i := range n {
			if f(i) {
				k++
			}
		}
		return k
	}
	f := func(name string, values ...string) ec2types.Filter {
		return ec2types.Filter{Name: aws.String(name), Values: values}
	}
	tests := []struct {
		name    string
		filters []ec2types.Filter
		owners  []string
		want    int
	}{
		{"managed by commander", []ec2types.Filter{f("tag:"+tags.ManagedBy, tags.ManagedByValue)}, nil, count(func(i int) bool { return i%4 != 3 })},
		{"backup-policy key and managed", []ec2types.Filter{f("tag:"+tags.ManagedBy, "commander"), f("tag-key", tags.BackupPolicy)}, []string{"self"}, count(func(i int) bool { return i%4 != 3 })},
		{"weekly policy", []ec2types.Filter{f("tag:"+tags.BackupPolicy, "weekly")}, nil, count(func(i int) bool { return i%4 != 3 && i%8 == 5 })},
		{"protected", []ec2types.Filter{f("tag-key", tags.Protect)}, nil, count(func(i int) bool { return i%25 == 0 })},
		{"either of two values", []ec2types.Filter{f("tag:"+tags.BackupPolicy, "weekly", "daily")}, nil, count(func(i int) bool { return i%4 != 3 })},
		{"wildcard", []ec2types.Filter{f("tag:Name", "bench-snap-00001*")}, nil, 10},
		{"status", []ec2types.Filter{f("status", "completed")}, nil, n},
		{"status pending", []ec2types.Filter{f("status", "pending")}, nil, 0},
		{"volume-id", []ec2types.Filter{f("volume-id", vol0)}, nil, n / vols},
		{"owner-id", []ec2types.Filter{f("owner-id", "123456789012")}, nil, n},
		{"owner self", nil, []string{"self"}, n},
		{"owner amazon", nil, []string{"amazon"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, pages := allSnapshots(t, ctx, c, &ec2.DescribeSnapshotsInput{Filters: tt.filters, OwnerIds: tt.owners, MaxResults: aws.Int32(1000)})
			if len(got) != tt.want {
				t.Errorf("got %d snapshots, want %d", len(got), tt.want)
			}
			if want := max(1, (tt.want+999)/1000); pages != want {
				t.Errorf("pages = %d, want %d (a token only when more matches exist)", pages, want)
			}
		})
	}
}

func TestRejectsWhatAWSRejects(t *testing.T) {
	_, c, s3c, ctx, _ := start(t, inventory.Spec{Snapshots: 30, Volumes: 1200, Instances: 1100, Buckets: 1, Objects: 10})
	snaps, _ := allSnapshots(t, ctx, c, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(5)})
	ids := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s-0%016x", prefix, i)
		}
		return out
	}
	inst, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000)})
	if err != nil {
		t.Fatal(err)
	}
	var instanceIDs []string
	for _, r := range inst.Reservations {
		for _, i := range r.Instances {
			instanceIDs = append(instanceIDs, aws.ToString(i.InstanceId))
		}
	}
	tooManyKeys := make([]s3types.ObjectIdentifier, 1001)
	for i := range tooManyKeys {
		tooManyKeys[i] = s3types.ObjectIdentifier{Key: aws.String(fmt.Sprintf("obj/%08d", i))}
	}
	tagOne := []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"snapshots page below 5", func() error {
			_, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(4)})
			return err
		}, "InvalidParameterValue"},
		{"volumes page below 5", func() error {
			_, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(4)})
			return err
		}, "InvalidParameterValue"},
		// Snapshot and volume pages above the maximum are lowered, as AWS
		// documents (TestAcceptsWhatAWSAccepts); for instances AWS documents
		// the range only, so a larger page is refused (the stricter reading).
		{"instances page above 1000", func() error {
			_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1001)})
			return err
		}, "InvalidParameterValue"},
		{"MaxResults with ids", func() error {
			_, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{aws.ToString(snaps[0].SnapshotId)}, MaxResults: aws.Int32(5)})
			return err
		}, "InvalidParameterCombination"},
		{"unknown filter", func() error {
			_, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{Filters: []ec2types.Filter{{Name: aws.String("colour"), Values: []string{"red"}}}})
			return err
		}, "InvalidParameterValue"},
		{"unknown snapshot id", func() error {
			_, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{"snap-00000000000000000"}})
			return err
		}, "InvalidSnapshot.NotFound"},
		{"CreateTags over 1000 resources", func() error {
			_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids("vol", 1001), Tags: tagOne})
			return err
		}, "InvalidParameterValue"},
		{"DeleteTags over 1000 resources", func() error {
			_, err := c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: ids("vol", 1001)})
			return err
		}, "InvalidParameterValue"},
		{"reserved tag key", func() error {
			_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{aws.ToString(snaps[0].SnapshotId)},
				Tags: []ec2types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
			return err
		}, "InvalidParameterValue"},
		{"DeleteObjects over 1000 keys", func() error {
			_, err := s3c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("bench-bucket-0000"), Delete: &s3types.Delete{Objects: tooManyKeys}})
			return err
		}, "MalformedXML"},
		{"no such bucket", func() error {
			_, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("nope")})
			return err
		}, "NoSuchBucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := code(tt.call()); got != tt.want {
				t.Errorf("error code = %q, want %q", got, tt.want)
			}
		})
	}
	// TerminateInstances takes up to 1 000 ids: 1 001 are refused before
	// anything is looked at; a valid batch passes. Every 50th instance is
	// termination-protected (DisableApiTermination), so those are left out.
	if len(instanceIDs) != 1000 {
		t.Fatalf("first page of instances: %d, want 1000", len(instanceIDs))
	}
	more := append(append([]string(nil), instanceIDs...), "i-0"+strings.Repeat("0", 16))
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: more}); code(err) != "InvalidParameterValue" {
		t.Errorf("TerminateInstances with 1001 ids: %v, want InvalidParameterValue", err)
	}
	var unprotected []string
	for k, id := range instanceIDs {
		if k%50 != 0 {
			unprotected = append(unprotected, id)
		}
	}
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: unprotected}); err != nil {
		t.Errorf("TerminateInstances with %d ids: %v", len(unprotected), err)
	}
	running, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000),
		Filters: []ec2types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"running", "stopped"}}}})
	if want := 1100 - len(unprotected); err != nil || len(running.Reservations) != want {
		t.Errorf("instances left: %d, %v; want %d", len(running.Reservations), err, want)
	}
	if awserr.Classify(fmt.Errorf("wrapped: %w", errFrom(c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(4)})))) != awserr.InvalidInput {
		t.Errorf("an out-of-range page size does not classify as invalid input")
	}
}

func errFrom[T any](_ T, err error) error { return err }

func TestCreateTagsOnAThousandAndDeleteTags(t *testing.T) {
	srv, c, _, ctx, _ := start(t, inventory.Spec{Snapshots: 1500, Volumes: 3})
	snaps, _ := allSnapshots(t, ctx, c, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(1000)})
	var ids []string
	for _, s := range snaps[:1000] {
		ids = append(ids, aws.ToString(s.SnapshotId))
	}
	srv.Reset()
	due := "2026-12-01T00:00:00Z"
	_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids, Tags: []ec2types.Tag{
		{Key: aws.String(tags.CleanupDue), Value: aws.String(due)}, {Key: aws.String(tags.CleanupAction), Value: aws.String("delete")}}})
	if err != nil {
		t.Fatalf("create tags on 1000: %v", err)
	}
	if got := srv.Calls(); !maps.Equal(got, map[string]int64{"EC2.CreateTags": 1}) {
		t.Errorf("calls = %v, want one CreateTags", got)
	}
	marked, _ := allSnapshots(t, ctx, c, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(1000),
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + tags.CleanupDue), Values: []string{due}}}})
	if len(marked) != 1000 {
		t.Fatalf("marked = %d, want 1000", len(marked))
	}
	// Existing tags stay; the new ones are added.
	if v, ok := tagValue(marked[0].Tags, "Name"); !ok || !strings.HasPrefix(v, "bench-snap-") {
		t.Errorf("Name tag lost: %v", marked[0].Tags)
	}
	// DeleteTags with a value removes only a matching tag.
	_, err = c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: ids[:10], Tags: []ec2types.Tag{
		{Key: aws.String(tags.CleanupDue), Value: aws.String("another time")}, {Key: aws.String(tags.CleanupAction)}}})
	if err != nil {
		t.Fatalf("delete tags: %v", err)
	}
	out, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: ids[:1]})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tagValue(out.Snapshots[0].Tags, tags.CleanupDue); !ok {
		t.Errorf("cleanup-due removed although its value did not match")
	}
	if _, ok := tagValue(out.Snapshots[0].Tags, tags.CleanupAction); ok {
		t.Errorf("cleanup-action kept although deleted by key")
	}
}

func TestDeleteThenDescribe(t *testing.T) {
	_, c, _, ctx, _ := start(t, inventory.Spec{Snapshots: 50, Volumes: 8, Instances: 2, Images: 2})
	all, _ := allSnapshots(t, ctx, c, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(1000)})
	victim := aws.ToString(all[0].SnapshotId)
	if _, err := c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(victim), DryRun: aws.Bool(true)}); awserr.Classify(err) != awserr.DryRunOK {
		t.Fatalf("dry-run delete: %v, want DryRunOperation", err)
	}
	if _, err := c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(victim)}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"describe by id", func() error {
			_, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{victim}})
			return err
		}, "InvalidSnapshot.NotFound"},
		{"delete again", func() error {
			_, err := c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(victim)})
			return err
		}, "InvalidSnapshot.NotFound"},
		{"tag it", func() error {
			_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{victim}, Tags: []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}, "InvalidSnapshot.NotFound"},
		{"snapshot used by an image", func() error {
			_, err := c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: all[len(all)-1].SnapshotId})
			return err
		}, "InvalidSnapshot.InUse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := code(tt.call()); got != tt.want {
				t.Errorf("error code = %q, want %q", got, tt.want)
			}
		})
	}
	after, _ := allSnapshots(t, ctx, c, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(1000)})
	if len(after) != len(all)-1 {
		t.Errorf("listing after delete: %d, want %d", len(after), len(all)-1)
	}
	for _, s := range after {
		if aws.ToString(s.SnapshotId) == victim {
			t.Errorf("deleted snapshot still listed")
		}
	}
	if got := classifyDelete(ctx, c, victim); got != awserr.NotFound {
		t.Errorf("delete of a deleted snapshot classifies as %v, want not-found (done)", got)
	}
}

func classifyDelete(ctx context.Context, c *ec2.Client, id string) awserr.Kind {
	_, err := c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(id)})
	return awserr.Classify(err)
}

func TestInstancesVolumesAndTermination(t *testing.T) {
	_, c, _, ctx, _ := start(t, inventory.Spec{Snapshots: 10, Volumes: 12, Instances: 4, Images: 1, Addresses: 4})
	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag-key"), Values: []string{tags.Backup}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}}}, MaxResults: aws.Int32(1000)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Reservations) != 2 { // instances 0 and 2
		t.Fatalf("backed-up instances = %d, want 2", len(out.Reservations))
	}
	protected := out.Reservations[0].Instances[0] // instance 0: DisableApiTermination
	attr, err := c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: protected.InstanceId, Attribute: ec2types.InstanceAttributeNameDisableApiTermination})
	if err != nil || !aws.ToBool(attr.DisableApiTermination.Value) {
		t.Fatalf("instance 0 disableApiTermination: %v %v", attr, err)
	}
	if _, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{aws.ToString(protected.InstanceId)}}); code(err) != "OperationNotPermitted" {
		t.Errorf("terminate protected: %v", err)
	}
	target := out.Reservations[1].Instances[0]
	if len(target.BlockDeviceMappings) != 2 {
		t.Fatalf("instance 2 has %d volumes, want root and data", len(target.BlockDeviceMappings))
	}
	root, data := target.BlockDeviceMappings[0].Ebs.VolumeId, target.BlockDeviceMappings[1].Ebs.VolumeId
	if _, err := c.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: data}); code(err) != "VolumeInUse" {
		t.Errorf("delete attached volume: %v, want VolumeInUse", err)
	}
	snaps, err := c.CreateSnapshots(ctx, &ec2.CreateSnapshotsInput{InstanceSpecification: &ec2types.InstanceSpecification{InstanceId: target.InstanceId},
		CopyTagsFromSource: ec2types.CopyTagsFromSourceVolume, Description: aws.String("backup"),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSnapshot, Tags: []ec2types.Tag{{Key: aws.String(tags.ManagedBy), Value: aws.String("commander")}}}}})
	if err != nil || len(snaps.Snapshots) != 2 {
		t.Fatalf("create snapshots: %v %v", snaps, err)
	}
	for _, s := range snaps.Snapshots {
		if _, ok := tagValue(s.Tags, "Name"); !ok {
			t.Errorf("volume tags not copied: %v", s.Tags)
		}
	}
	term, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{aws.ToString(target.InstanceId)}})
	if err != nil || term.TerminatingInstances[0].CurrentState.Name != ec2types.InstanceStateNameTerminated {
		t.Fatalf("terminate: %v %v", term, err)
	}
	if _, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{aws.ToString(root)}}); code(err) != "InvalidVolume.NotFound" {
		t.Errorf("root volume after terminate: %v, want gone", err)
	}
	vols, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{aws.ToString(data)}})
	if err != nil || vols.Volumes[0].State != ec2types.VolumeStateAvailable || len(vols.Volumes[0].Attachments) != 0 {
		t.Fatalf("data volume after terminate: %v %v", vols, err)
	}
	if _, err := c.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: data}); err != nil {
		t.Errorf("delete detached volume: %v", err)
	}
	addrs, err := c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	if err != nil || len(addrs.Addresses) != 4 {
		t.Fatalf("addresses: %v %v", addrs, err)
	}
	img, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}, MaxResults: aws.Int32(1000)})
	if err != nil || len(img.Images) != 1 || len(img.Images[0].BlockDeviceMappings) != 1 {
		t.Fatalf("images: %v %v", img, err)
	}
}

func TestS3ListingAndConfiguration(t *testing.T) {
	srv, _, c, ctx, _ := start(t, inventory.Spec{Buckets: 3, Objects: 2500})
	buckets, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(buckets.Buckets) != 3 {
		t.Fatalf("list buckets: %v %v", buckets, err)
	}
	bucket := aws.String("bench-bucket-0000")
	list := func(max int32, prefix string) (int, int) {
		srv.Reset()
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: bucket, MaxKeys: aws.Int32(max), Prefix: aws.String(prefix)})
		keys, pages := map[string]bool{}, 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("list objects: %v", err)
			}
			pages++
			for _, o := range out.Contents {
				keys[aws.ToString(o.Key)] = true
			}
		}
		if n := srv.Calls()["S3.ListObjectsV2"]; n != int64(pages) {
			t.Errorf("server counted %d ListObjectsV2, client paged %d", n, pages)
		}
		return len(keys), pages
	}
	tests := []struct {
		name              string
		max               int32
		prefix            string
		wantKeys, wantPgs int
	}{
		{"pages of 1000", 1000, "", 2500, 3},
		{"above the maximum is 1000", 5000, "", 2500, 3},
		{"small pages", 700, "", 2500, 4},
		{"prefix", 1000, "obj/0000001", 10, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if keys, pages := list(tt.max, tt.prefix); keys != tt.wantKeys || pages != tt.wantPgs {
				t.Errorf("keys, pages = %d, %d; want %d, %d", keys, pages, tt.wantKeys, tt.wantPgs)
			}
		})
	}
	del := make([]s3types.ObjectIdentifier, 1000)
	for i := range del {
		del[i] = s3types.ObjectIdentifier{Key: aws.String(fmt.Sprintf("obj/%08d", i))}
	}
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: bucket, Delete: &s3types.Delete{Objects: del}})
	if err != nil || len(out.Deleted) != 1000 {
		t.Fatalf("delete objects: %v %v", out, err)
	}
	if keys, pages := list(1000, ""); keys != 1500 || pages != 2 {
		t.Errorf("after delete: keys, pages = %d, %d; want 1500, 2", keys, pages)
	}

	tg, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bucket})
	if err != nil || len(tg.TagSet) == 0 {
		t.Fatalf("bucket tagging: %v %v", tg, err)
	}
	ver, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("bench-bucket-0001")})
	if err != nil || ver.Status != "" {
		t.Fatalf("versioning of an odd bucket: %v %v", ver, err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("bench-bucket-0001"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatalf("put versioning: %v", err)
	}
	ver, err = c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("bench-bucket-0001")})
	if err != nil || ver.Status != s3types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning after put: %v %v", ver, err)
	}
	if _, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: bucket}); awserr.Classify(err) != awserr.NotFound {
		t.Errorf("lifecycle before put: %v, want not found", err)
	}
	_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: bucket, LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{
		Rules: []s3types.LifecycleRule{{ID: aws.String("commander-retention"), Status: s3types.ExpirationStatusEnabled,
			Filter:                      &s3types.LifecycleRuleFilter{Prefix: aws.String("")},
			NoncurrentVersionExpiration: &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(30)}}}}})
	if err != nil {
		t.Fatalf("put lifecycle: %v", err)
	}
	lc, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: bucket})
	if err != nil || len(lc.Rules) != 1 || aws.ToInt32(lc.Rules[0].NoncurrentVersionExpiration.NoncurrentDays) != 30 {
		t.Fatalf("lifecycle after put: %+v %v", lc, err)
	}
	enc, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: bucket})
	if err != nil || enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != s3types.ServerSideEncryptionAes256 {
		t.Fatalf("default encryption: %v %v", enc, err)
	}
	if _, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: bucket}); awserr.Classify(err) != awserr.NotFound {
		t.Errorf("public access block before put: %v, want not found", err)
	}
	if _, err := c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: bucket, PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
		BlockPublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}}); err != nil {
		t.Fatalf("put public access block: %v", err)
	}
	pab, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: bucket})
	if err != nil || !aws.ToBool(pab.PublicAccessBlockConfiguration.RestrictPublicBuckets) {
		t.Fatalf("public access block after put: %v %v", pab, err)
	}
	mp, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bucket})
	if err != nil || len(mp.Uploads) != 0 {
		t.Fatalf("multipart uploads: %v %v", mp, err)
	}
}

func TestNextTokenIsBoundToItsRequest(t *testing.T) {
	_, c, _, ctx, _ := start(t, inventory.Spec{Snapshots: 30})
	first, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(5)})
	if err != nil || first.NextToken == nil {
		t.Fatalf("first page: %v %v", first, err)
	}
	_, err = c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(5), NextToken: first.NextToken,
		Filters: []ec2types.Filter{{Name: aws.String("status"), Values: []string{"completed"}}}})
	if code(err) != "InvalidParameterValue" {
		t.Errorf("token with other filters: %v, want InvalidParameterValue", err)
	}
	// Changing the page size between pages is allowed.
	if _, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(10), NextToken: first.NextToken}); err != nil {
		t.Errorf("token with another page size: %v", err)
	}
}

func TestSeedIsDeterministicAndRegional(t *testing.T) {
	spec := inventory.Spec{Snapshots: 40, Volumes: 4, Now: now}
	_, c1, _, ctx, _ := start(t, spec)
	a, _ := allSnapshots(t, ctx, c1, &ec2.DescribeSnapshotsInput{})
	_, c2, _, ctx2, _ := start(t, spec)
	b, _ := allSnapshots(t, ctx2, c2, &ec2.DescribeSnapshotsInput{})
	if len(a) != 40 || len(a) != len(b) {
		t.Fatalf("lengths %d, %d", len(a), len(b))
	}
	oldest, newest := now, time.Time{}
	for i := range a {
		if aws.ToString(a[i].SnapshotId) != aws.ToString(b[i].SnapshotId) || !aws.ToTime(a[i].StartTime).Equal(aws.ToTime(b[i].StartTime)) {
			t.Fatalf("snapshot %d differs between two seeds", i)
		}
		st := aws.ToTime(a[i].StartTime)
		if st.Before(oldest) {
			oldest = st
		}
		if st.After(newest) {
			newest = st
		}
	}
	if age := now.Sub(oldest); age != 120*24*time.Hour {
		t.Errorf("oldest snapshot age %s, want 120 days", age)
	}
	if !newest.Equal(now) {
		t.Errorf("newest snapshot %s, want %s", newest, now)
	}
	cfg := load(t, "eu-west-1")
	other, err := ec2client.New(cfg).DescribeSnapshots(ctx2, &ec2.DescribeSnapshotsInput{})
	if err != nil || len(other.Snapshots) != 0 {
		t.Errorf("eu-west-1 (not seeded): %v %v, want none", other, err)
	}
}

func TestStartAndSpecValidation(t *testing.T) {
	tests := []struct {
		name string
		err  func() error
		want string
	}{
		{"non-loopback address", func() error { _, err := inventory.Start(inventory.Options{Addr: "0.0.0.0:0"}); return err }, "not a loopback IP"},
		{"negative count", func() error { return inventory.Spec{Snapshots: -1}.Validate() }, "Snapshots=-1 is invalid"},
		{"more images than snapshots", func() error { return inventory.Spec{Images: 2, Snapshots: 1}.Validate() }, "Images=2 is invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.err(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestRawWireErrors checks the error documents byte for byte where the SDK
// would hide a malformed one behind a generic error.
func TestRawWireErrors(t *testing.T) {
	srv, _, _, _, _ := start(t, inventory.Spec{})
	tests := []struct {
		name, body string
		want       []string
	}{
		{"unknown action", "Action=RunRocket&Version=2016-11-15", []string{"<Response><Errors><Error><Code>InvalidAction</Code>", "<RequestID>"}},
		{"bad version", "Action=DescribeSnapshots&Version=2014-01-01", []string{"<Code>InvalidParameterValue</Code>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := httpPost(srv.URL, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(resp, w) {
					t.Errorf("answer %q lacks %q", resp, w)
				}
			}
		})
	}
}

func httpPost(url, body string) (string, error) {
	resp, err := http.Post(url+"/", "application/x-www-form-urlencoded; charset=utf-8", bytes.NewBufferString(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 {
		return string(b), fmt.Errorf("status %d, want 400", resp.StatusCode)
	}
	return string(b), err
}

// TestConcurrentCallers: jobs call with bounded concurrency; listings and
// mutations interleave without losing a call or a change.
func TestConcurrentCallers(t *testing.T) {
	srv, c, _, ctx, _ := start(t, inventory.Spec{Snapshots: 3000, Volumes: 30})
	all, _ := allSnapshots(t, ctx, c, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(1000)})
	srv.Reset()
	var g errgroup.Group
	for w := range 4 {
		g.Go(func() error { // listers
			p := ec2.NewDescribeSnapshotsPaginator(c, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(500)})
			for p.HasMorePages() {
				if _, err := p.NextPage(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		g.Go(func() error { // deleters: snapshots w, w+4, ... below 400
			for i := w; i < 400; i += 4 {
				if _, err := c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: all[i].SnapshotId}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	left, _ := allSnapshots(t, ctx, c, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(1000)})
	if len(left) != 2600 {
		t.Errorf("left %d snapshots, want 2600", len(left))
	}
	if got := srv.Calls()["EC2.DeleteSnapshot"]; got != 400 {
		t.Errorf("server counted %d deletes, want 400", got)
	}
}
