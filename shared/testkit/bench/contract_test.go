package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/testkit/bench"
	"github.com/aws-commander/commander/shared/testkit/emulator"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"
)

// contractN is the estate both backends serve: small enough for moto,
// large enough that every policy and every call of the jobs is exercised.
// At N = 200 every listing the jobs make fits in one page on both backends
// (the jobs ask for 1 000 snapshots, 500 volumes, 1 000 instances or images
// per page; bench.Estate(200) has 200, 20, 5 and 1), so moto's single-page
// answers cost the same calls as AWS's pages and every operation's count,
// listings included, must be equal.
const contractN = 200

// TestJobContract runs each benchmarked job, built as the benchmarks build
// it, against moto and against the inventory server, both holding
// bench.Estate(200) (the inventory server seeds it; it is copied into moto
// through the SDK: same names, tags, states, attachments). It requires the
// same plan (decisions keyed by the resource's Name, with ids in reasons
// replaced by Names), the same API calls by operation, the same report
// status and, where the job changes things, the same end state.
//
// Ages: moto stamps every resource with its own clock, so both estates are
// created "now" (the inventory's spread of ages is shrunk to a second) and
// the cleanup runs are simulated 100 days later, when every age and stop
// filter has passed on both. Backup reads a snapshot's age from its
// commander:created-at tag, which is copied as is, so the backup estate
// keeps the benchmark's 35-day spread and retention has work to do.
func TestJobContract(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Second)
	later := t0.Add(100*24*time.Hour + 12*time.Hour) // +12 h: inventory stop times are launch + 1–10 h; both round to "100d"
	backupEvent, _ := json.Marshal(map[string]any{"now": t0.Format(time.RFC3339), "runId": "contract"})
	cases := []struct {
		name    string
		env     map[string]string
		maxAge  time.Duration
		prepare []string // run first on both; not compared
		event   string   // the run compared
		job     func(testing.TB, *bench.Probe, *bench.AuditSink) handler
		mutates bool
		// n, when set, is the estate's size instead of contractN;
		// scheduled adds instances on office-hours (inventory.Spec.Scheduled).
		n, scheduled int
	}{
		{name: "cleanup dry run", env: map[string]string{"COMMANDER_DRY_RUN": "true"}, maxAge: time.Second,
			event: cleanupEventAt(true, later), job: cleanupJob},
		{name: "cleanup live mark", env: map[string]string{"COMMANDER_DRY_RUN": "false"}, maxAge: time.Second,
			event: cleanupEventAt(false, later), job: cleanupJob, mutates: true},
		{name: "cleanup act past the grace", env: map[string]string{"COMMANDER_DRY_RUN": "false", "COMMANDER_BREAKER_MAX_COUNT": "100000", "COMMANDER_BREAKER_MAX_PERCENT": "100"},
			maxAge: time.Second, prepare: []string{cleanupEventAt(false, later)}, event: cleanupEventAt(false, later.Add(8*24*time.Hour)), job: cleanupJob, mutates: true},
		{name: "backup with retention", env: map[string]string{"COMMANDER_BREAKER_MAX_COUNT": "100000"}, maxAge: 35 * 24 * time.Hour,
			event: string(backupEvent), job: backupJob, mutates: true},
		// Friday 19:05 in Paris: every scheduled instance is stopped and
		// remembered; the estate's own instances (no schedule) are left alone.
		{name: "scheduler stops office hours", env: map[string]string{"COMMANDER_DRY_RUN": "false", "COMMANDER_BREAKER_MAX_COUNT": "100000"},
			maxAge: time.Second, event: schedulerEvent, job: schedulerJob, mutates: true, n: 40, scheduled: 30},
	}
	motoSrv := motoWithoutAMIs(t)
	proxy := pendingProxy(t, motoSrv.URL)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := contractN
			if c.n > 0 {
				n = c.n
			}
			spec := bench.Estate(n, c.maxAge)
			spec.Now, spec.Scheduled = t0, c.scheduled
			inv, moto := seedBoth(t, motoSrv, proxy, spec)

			var got [2]contractRun
			for k, b := range []*contractBackend{moto, inv} {
				for key, v := range b.env {
					t.Setenv(key, v)
				}
				for key, v := range common {
					t.Setenv(key, v)
				}
				for key, v := range c.env {
					t.Setenv(key, v)
				}
				before := b.endState(t)
				probe := bench.NewProbe()
				handle := c.job(t, probe, &bench.AuditSink{})
				for _, ev := range c.prepare {
					if rep, err := handle(context.Background(), json.RawMessage(ev)); err != nil || rep.Status != report.StatusOK {
						t.Fatalf("%s: prepare run: %v %+v", b.name, err, rep)
					}
				}
				probe.Reset()
				rep, err := handle(context.Background(), json.RawMessage(c.event))
				if err != nil && rep == nil {
					t.Fatalf("%s: %v", b.name, err)
				}
				if rep.Truncated > 0 {
					t.Fatalf("%s: %d decisions left out of the report; the plan cannot be compared", b.name, rep.Truncated)
				}
				got[k] = contractRun{status: rep.Status, reason: b.normalise(rep.Reason), plan: b.plan(rep), calls: probe.Snapshot().Calls,
					before: before, after: b.endState(t)}
			}
			m, i := got[0], got[1]
			if !slices.Equal(m.before, i.before) {
				t.Fatalf("the seeded estates differ (- moto, + inventory):\n%s", diff(m.before, i.before))
			}
			if len(i.plan) == 0 {
				t.Fatal("the job decided nothing; the comparison would prove nothing")
			}
			if m.status != i.status || m.reason != i.reason {
				t.Errorf("status: moto %s %q, inventory %s %q", m.status, m.reason, i.status, i.reason)
			}
			if !slices.Equal(m.plan, i.plan) { // sorted: equal as multisets
				t.Errorf("plans differ: moto %d decisions, inventory %d (- moto, + inventory):\n%s", len(m.plan), len(i.plan), diff(m.plan, i.plan))
			}
			if !maps.Equal(m.calls, i.calls) {
				t.Errorf("calls differ:\n%s", callDiff(m.calls, i.calls))
			}
			if !c.mutates {
				for _, r := range []contractRun{m, i} {
					if !slices.Equal(r.before, r.after) {
						t.Errorf("a dry run changed the estate:\n%s", diff(r.before, r.after))
					}
				}
			} else {
				if slices.Equal(i.before, i.after) {
					t.Error("the job changed nothing; the end states prove nothing")
				}
				if !slices.Equal(m.after, i.after) {
					t.Errorf("end states differ: moto %d resources, inventory %d (- moto, + inventory):\n%s", len(m.after), len(i.after), diff(m.after, i.after))
				}
			}
			t.Logf("%d decisions, %d calls, %d resources after; status %s", len(i.plan), sumCalls(i.calls), len(i.after), i.status)
		})
	}
}

// contractRun is what one backend's run is compared on.
type contractRun struct {
	status, reason string
	plan           []string
	calls          map[string]int64
	before, after  []string
}

func sumCalls(calls map[string]int64) (n int64) {
	for _, v := range calls {
		n += v
	}
	return n
}

func callDiff(moto, inv map[string]int64) string {
	all := maps.Clone(moto)
	maps.Copy(all, inv)
	var out []string
	for _, op := range slices.Sorted(maps.Keys(all)) {
		if moto[op] != inv[op] {
			out = append(out, fmt.Sprintf("%-32s moto %4d  inventory %4d", op, moto[op], inv[op]))
		}
	}
	return strings.Join(out, "\n")
}

// contractBackend is one of the two servers, with its ids known by a
// backend-independent key: the resource's Name tag (a bucket's name).
type contractBackend struct {
	name string
	env  map[string]string
	ec2  *ec2.Client
	s3   *s3.Client
	keys map[string]string // id -> key
	// ignored are ids left out of plans and end states: what moto's
	// RegisterImage cannot reproduce (see copyEstate).
	ignored map[string]bool
}

// idRE matches the EC2 ids the jobs write into reasons, descriptions and tags.
var idRE = regexp.MustCompile(`\b(snap|vol|i|ami|eipalloc|eipassoc|r)-[0-9a-f]{8,17}\b`)

// normalise replaces ids by their keys; an id the estate did not have (a
// snapshot the run made) becomes "<prefix>-new". This is the only
// normalisation: ids are the one thing that differs by backend. Times in
// reasons (due dates, expiry, "created 100d ago") come from the event's
// simulated now and copied tags, and must match as they are.
func (b *contractBackend) normalise(s string) string {
	return idRE.ReplaceAllStringFunc(s, func(id string) string {
		if k, ok := b.keys[id]; ok {
			return "<" + k + ">"
		}
		return id[:strings.IndexByte(id, '-')] + "-new"
	})
}

// plan is the run's decisions as "type action outcome key: reason", sorted
// (a multiset), without those on ignored resources.
func (b *contractBackend) plan(rep *report.Report) []string {
	var out []string
	for _, d := range rep.Resources {
		if b.ignored[d.Resource] {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s %s %s: %s %s", d.Type, d.Action, d.Outcome, b.normalise(d.Resource), b.normalise(d.Reason), b.normalise(d.Error)))
	}
	sort.Strings(out)
	return out
}

func (b *contractBackend) tags(list []types.Tag) string {
	kv := make([]string, 0, len(list))
	for _, tg := range list {
		kv = append(kv, aws.ToString(tg.Key)+"="+b.normalise(aws.ToString(tg.Value)))
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

// endState is every resource of the estate (and those the jobs made) with
// what the jobs may change: state, tags, attachments, bucket settings.
func (b *contractBackend) endState(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	snaps := ec2.NewDescribeSnapshotsPaginator(b.ec2, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: aws.Int32(1000)})
	for snaps.HasMorePages() {
		page, err := snaps.NextPage(ctx)
		if err != nil {
			t.Fatalf("%s: describe snapshots: %v", b.name, err)
		}
		for _, s := range page.Snapshots {
			if !b.ignored[aws.ToString(s.SnapshotId)] {
				out = append(out, fmt.Sprintf("snapshot %s of %s %s %q %s", b.normalise(aws.ToString(s.SnapshotId)), b.normalise(aws.ToString(s.VolumeId)),
					s.State, b.normalise(aws.ToString(s.Description)), b.tags(s.Tags)))
			}
		}
	}
	rootDevice := map[string]string{} // instance -> its root device name
	insts := ec2.NewDescribeInstancesPaginator(b.ec2, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000)})
	for insts.HasMorePages() {
		page, err := insts.NextPage(ctx)
		if err != nil {
			t.Fatalf("%s: describe instances: %v", b.name, err)
		}
		for _, r := range page.Reservations {
			for _, in := range r.Instances {
				rootDevice[aws.ToString(in.InstanceId)] = aws.ToString(in.RootDeviceName)
				out = append(out, fmt.Sprintf("instance %s %s %s", b.normalise(aws.ToString(in.InstanceId)), in.State.Name, b.tags(in.Tags)))
			}
		}
	}
	vols := ec2.NewDescribeVolumesPaginator(b.ec2, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(500)})
	for vols.HasMorePages() {
		page, err := vols.NextPage(ctx)
		if err != nil {
			t.Fatalf("%s: describe volumes: %v", b.name, err)
		}
		for _, v := range page.Volumes {
			var att []string
			for _, a := range v.Attachments {
				// A root volume by role, not device: moto attaches every root
				// volume at /dev/sda1 (moto/ec2/models/instances.py), the
				// inventory server at /dev/xvda; both are AWS device names.
				dev := aws.ToString(a.Device)
				if dev == rootDevice[aws.ToString(a.InstanceId)] {
					dev = "root"
				}
				att = append(att, b.normalise(aws.ToString(a.InstanceId))+" "+dev)
			}
			out = append(out, fmt.Sprintf("volume %s %s %s attached to %v %s", b.normalise(aws.ToString(v.VolumeId)), v.State,
				aws.ToString(v.AvailabilityZone), att, b.tags(v.Tags)))
		}
	}
	imgs, err := b.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil {
		t.Fatalf("%s: describe images: %v", b.name, err)
	}
	for _, im := range imgs.Images {
		if !b.ignored[aws.ToString(im.ImageId)] {
			out = append(out, fmt.Sprintf("image %s %s %s", b.normalise(aws.ToString(im.ImageId)), im.State, b.tags(im.Tags)))
		}
	}
	addrs, err := b.ec2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	if err != nil {
		t.Fatalf("%s: describe addresses: %v", b.name, err)
	}
	for _, a := range addrs.Addresses {
		out = append(out, fmt.Sprintf("address %s with %s %s", b.normalise(aws.ToString(a.AllocationId)), b.normalise(aws.ToString(a.InstanceId)), b.tags(a.Tags)))
	}
	buckets, err := b.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("%s: list buckets: %v", b.name, err)
	}
	for _, bk := range buckets.Buckets {
		out = append(out, "bucket "+b.bucketState(t, aws.ToString(bk.Name)))
	}
	sort.Strings(out)
	return out
}

// bucketState is what backup's bucket enforcement reads and sets.
func (b *contractBackend) bucketState(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	bucket := aws.String(name)
	var kv []string
	if tg, err := b.s3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bucket}); err == nil {
		for _, x := range tg.TagSet {
			kv = append(kv, aws.ToString(x.Key)+"="+aws.ToString(x.Value))
		}
	} else {
		kv = append(kv, "tagging: "+errCode(err))
	}
	sort.Strings(kv)
	state := fmt.Sprintf("%s tags=%s", name, strings.Join(kv, ","))
	if v, err := b.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: bucket}); err == nil {
		state += " versioning=" + string(v.Status)
	} else {
		state += " versioning: " + errCode(err)
	}
	if e, err := b.s3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: bucket}); err == nil {
		for _, r := range e.ServerSideEncryptionConfiguration.Rules {
			if r.ApplyServerSideEncryptionByDefault != nil {
				state += " encryption=" + string(r.ApplyServerSideEncryptionByDefault.SSEAlgorithm)
			}
		}
	} else {
		state += " encryption: " + errCode(err)
	}
	if p, err := b.s3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: bucket}); err == nil {
		c := p.PublicAccessBlockConfiguration
		state += fmt.Sprintf(" public-access-block=%t,%t,%t,%t", aws.ToBool(c.BlockPublicAcls), aws.ToBool(c.IgnorePublicAcls),
			aws.ToBool(c.BlockPublicPolicy), aws.ToBool(c.RestrictPublicBuckets))
	} else {
		state += " public-access-block: " + errCode(err)
	}
	if l, err := b.s3.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: bucket}); err == nil {
		var ids []string
		for _, r := range l.Rules {
			ids = append(ids, aws.ToString(r.ID)+":"+string(r.Status))
		}
		state += " lifecycle=" + strings.Join(ids, ",")
	} else {
		state += " lifecycle: " + errCode(err)
	}
	return state
}

// errCode is an API error's code ("" for nil).
func errCode(err error) string {
	if err == nil {
		return ""
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return err.Error()
}

// seedBoth seeds the inventory server with spec and copies what it serves
// into moto (emptied first) through the SDK, keying both backends' ids by
// Name. The moto backend's jobs reach moto through pendingProxy.
func seedBoth(t *testing.T, m *emulator.Moto, proxy string, spec inventory.Spec) (inv, moto *contractBackend) {
	t.Helper()
	ctx := context.Background()
	srv, err := inventory.Start(inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	if err := srv.Seed(spec); err != nil {
		t.Fatal(err)
	}
	if err := m.Reset(ctx); err != nil {
		t.Fatalf("reset moto: %v", err)
	}
	for k, v := range m.Env() {
		t.Setenv(k, v)
	}
	cfg, err := awsclient.Load(ctx, "us-east-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	env := m.Env()
	env["AWS_ENDPOINT_URL"] = proxy
	moto = &contractBackend{name: "moto", env: env, ec2: ec2client.New(cfg), s3: s3client.New(cfg), keys: map[string]string{}, ignored: map[string]bool{}}
	icfg := cfg.Copy()
	icfg.BaseEndpoint = aws.String(srv.URL)
	inv = &contractBackend{name: "inventory", env: srv.Env(), ec2: ec2client.New(icfg), s3: s3client.New(icfg), keys: map[string]string{}, ignored: map[string]bool{}}
	copyEstate(t, inv, moto)
	return inv, moto
}

// motoWithoutAMIs starts a moto server of the test's own. moto loads its
// built-in AMIs into every account and creates their snapshots as the
// account's own (moto/ec2/models/amis.py, _load_amis: over a thousand in
// us-east-1), so DescribeSnapshots with OwnerIds=self returns them and the
// orphan-snapshots policy would mark them all; AWS never lists Amazon's AMI
// snapshots as the caller's, and a fresh account owns none. Under CI=true a
// missing moto fails the test, as emulatortest.Moto does.
func motoWithoutAMIs(t testing.TB) *emulator.Moto {
	t.Helper()
	return emulatortest.MotoWith(t, map[string]string{"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}) // moto's settings.ec2_load_default_amis
}

// pendingProxy forwards to moto, answering CreateSnapshot with the state
// AWS answers. AWS reports a new snapshot as pending ("You may remount and
// use your volume while the snapshot status is pending", EC2 CreateSnapshot
// reference); moto creates every snapshot completed (moto/ec2/models/
// elastic_block_store.py, Snapshot.__init__: status = "completed") and says
// so, while its CreateSnapshots answer carries no state at all. The backup
// job reads the state to decide whether this run's backup counts towards
// retention, so moto's answer would change the plan. Later Describe calls
// are left alone: on both backends the snapshot is completed by then.
func pendingProxy(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	director := rp.Director
	rp.Director = func(r *http.Request) {
		director(r)
		r.Header.Del("Accept-Encoding") // plain bodies, to rewrite
	}
	rp.ModifyResponse = func(resp *http.Response) error {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if bytes.Contains(body, []byte("<CreateSnapshotResponse")) {
			body = bytes.Replace(body, []byte("<status>completed</status>"), []byte("<status>pending</status>"), 1)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv.URL
}

func nameTag(list []types.Tag) string {
	for _, tg := range list {
		if aws.ToString(tg.Key) == "Name" {
			return aws.ToString(tg.Value)
		}
	}
	return ""
}

func tagSpec(rt types.ResourceType, list []types.Tag) []types.TagSpecification {
	return []types.TagSpecification{{ResourceType: rt, Tags: list}}
}

// motoRootDevice is where moto attaches an instance's root volume
// (moto/ec2/models/instances.py: an unknown AMI's root_device_name).
const motoRootDevice = "/dev/sda1"

// copyEstate copies from's EC2 estate and buckets into to, recording the key
// of every id on both sides.
func copyEstate(t *testing.T, from, to *contractBackend) {
	t.Helper()
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("copy the estate into %s: %s: %v", to.name, what, err)
		}
	}
	key := func(id, k string) {
		if k == "" {
			t.Fatalf("%s: %s has no Name tag: the contract keys resources by Name", from.name, id)
		}
		from.keys[id] = k
	}

	vols, err := from.ec2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(500)})
	must("describe volumes", err)
	type attachment struct {
		vol  types.Volume
		root bool
	}
	byInstance := map[string][]attachment{}
	for _, v := range vols.Volumes {
		key(aws.ToString(v.VolumeId), nameTag(v.Tags))
		if len(v.Attachments) > 0 {
			a := v.Attachments[0]
			byInstance[aws.ToString(a.InstanceId)] = append(byInstance[aws.ToString(a.InstanceId)], attachment{v, aws.ToBool(a.DeleteOnTermination)})
			continue
		}
		out, err := to.ec2.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: v.AvailabilityZone, Size: v.Size, VolumeType: v.VolumeType,
			TagSpecifications: tagSpec(types.ResourceTypeVolume, v.Tags)})
		must("create volume", err)
		to.keys[aws.ToString(out.VolumeId)] = nameTag(v.Tags)
	}

	insts, err := from.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000)})
	must("describe instances", err)
	toInstance := map[string]string{}
	for _, r := range insts.Reservations {
		for _, in := range r.Instances {
			id := aws.ToString(in.InstanceId)
			key(id, nameTag(in.Tags))
			attr, err := from.ec2.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: in.InstanceId, Attribute: types.InstanceAttributeNameDisableApiTermination})
			must("describe instance attribute", err)
			// The root volume as the source's (moto's default root is 8 GiB,
			// the inventory's are 8 to 64): a snapshot's VolumeSize, and so
			// cleanup's saving, is its volume's size.
			var bdm []types.BlockDeviceMapping
			for _, a := range byInstance[id] {
				if a.root {
					bdm = []types.BlockDeviceMapping{{DeviceName: aws.String(motoRootDevice), Ebs: &types.EbsBlockDevice{
						VolumeSize: a.vol.Size, VolumeType: a.vol.VolumeType, DeleteOnTermination: aws.Bool(true)}}}
				}
			}
			out, err := to.ec2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), InstanceType: in.InstanceType,
				MinCount: aws.Int32(1), MaxCount: aws.Int32(1), Placement: &types.Placement{AvailabilityZone: in.Placement.AvailabilityZone},
				BlockDeviceMappings: bdm, DisableApiTermination: attr.DisableApiTermination.Value, TagSpecifications: tagSpec(types.ResourceTypeInstance, in.Tags)})
			must("run instances", err)
			newID := aws.ToString(out.Instances[0].InstanceId)
			to.keys[newID], toInstance[id] = nameTag(in.Tags), newID
			// The root volume comes with the instance: give it the source root's tags.
			desc, err := to.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{newID}})
			must("describe the new instance", err)
			rootVol := aws.ToString(desc.Reservations[0].Instances[0].BlockDeviceMappings[0].Ebs.VolumeId)
			for _, a := range byInstance[id] {
				if a.root {
					_, err := to.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{rootVol}, Tags: a.vol.Tags})
					must("tag the root volume", err)
					to.keys[rootVol] = nameTag(a.vol.Tags)
					continue
				}
				v, err := to.ec2.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: a.vol.AvailabilityZone, Size: a.vol.Size, VolumeType: a.vol.VolumeType,
					TagSpecifications: tagSpec(types.ResourceTypeVolume, a.vol.Tags)})
				must("create a data volume", err)
				to.keys[aws.ToString(v.VolumeId)] = nameTag(a.vol.Tags)
				_, err = to.ec2.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: v.VolumeId, InstanceId: aws.String(newID), Device: a.vol.Attachments[0].Device})
				must("attach a data volume", err)
			}
			if in.State.Name == types.InstanceStateNameStopped {
				_, err := to.ec2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{newID}})
				must("stop instance", err)
			}
		}
	}

	toVolume := map[string]string{} // key -> to's id
	for id, k := range to.keys {
		if strings.HasPrefix(id, "vol-") {
			toVolume[k] = id
		}
	}
	snaps, err := from.ec2.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: aws.Int32(1000)})
	must("describe snapshots", err)
	// Snapshots are most of the estate: created a few at a time.
	created := make([]string, len(snaps.Snapshots))
	var g errgroup.Group
	g.SetLimit(4)
	for k, s := range snaps.Snapshots {
		key(aws.ToString(s.SnapshotId), nameTag(s.Tags))
		vol := toVolume[from.keys[aws.ToString(s.VolumeId)]]
		g.Go(func() error {
			out, err := to.ec2.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: aws.String(vol),
				Description: s.Description, TagSpecifications: tagSpec(types.ResourceTypeSnapshot, s.Tags)})
			if err != nil {
				return err
			}
			created[k] = aws.ToString(out.SnapshotId)
			return nil
		})
	}
	must("create snapshot", g.Wait())
	toSnapshot := map[string]string{}
	for k, s := range snaps.Snapshots {
		to.keys[created[k]], toSnapshot[aws.ToString(s.SnapshotId)] = nameTag(s.Tags), created[k]
	}

	imgs, err := from.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	must("describe images", err)
	for _, im := range imgs.Images {
		key(aws.ToString(im.ImageId), nameTag(im.Tags))
		var bdm []types.BlockDeviceMapping
		for _, m := range im.BlockDeviceMappings {
			if m.Ebs != nil {
				bdm = append(bdm, types.BlockDeviceMapping{DeviceName: m.DeviceName, Ebs: &types.EbsBlockDevice{SnapshotId: aws.String(toSnapshot[aws.ToString(m.Ebs.SnapshotId)])}})
			}
		}
		out, err := to.ec2.RegisterImage(ctx, &ec2.RegisterImageInput{Name: im.Name, RootDeviceName: im.RootDeviceName, BlockDeviceMappings: bdm,
			VirtualizationType: aws.String("hvm"), Architecture: types.ArchitectureValuesX8664})
		must("register image", err)
		_, err = to.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{aws.ToString(out.ImageId)}, Tags: im.Tags})
		must("tag image", err)
		to.keys[aws.ToString(out.ImageId)] = nameTag(im.Tags)
		// moto's RegisterImage ignores BlockDeviceMappings (moto/ec2/models/
		// amis.py, register_image takes a name and a description) and backs
		// the image with a snapshot of its own. So in moto the estate's
		// snapshot is not held by the image (cleanup marks it once its volume
		// is gone, where AWS and the inventory server hold it), and moto has
		// one snapshot more: both are left out of the comparison.
		for _, m := range im.BlockDeviceMappings {
			if m.Ebs != nil && m.Ebs.SnapshotId != nil {
				from.ignored[aws.ToString(m.Ebs.SnapshotId)] = true
				to.ignored[toSnapshot[aws.ToString(m.Ebs.SnapshotId)]] = true
			}
		}
		reg, err := to.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{aws.ToString(out.ImageId)}})
		must("describe the registered image", err)
		for _, m := range reg.Images[0].BlockDeviceMappings {
			if m.Ebs != nil && m.Ebs.SnapshotId != nil {
				to.ignored[aws.ToString(m.Ebs.SnapshotId)] = true
			}
		}
	}

	addrs, err := from.ec2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	must("describe addresses", err)
	for _, a := range addrs.Addresses {
		key(aws.ToString(a.AllocationId), nameTag(a.Tags))
		out, err := to.ec2.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc,
			TagSpecifications: tagSpec(types.ResourceTypeElasticIp, a.Tags)})
		must("allocate address", err)
		to.keys[aws.ToString(out.AllocationId)] = nameTag(a.Tags)
		if a.InstanceId != nil {
			_, err := to.ec2.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: out.AllocationId, InstanceId: aws.String(toInstance[aws.ToString(a.InstanceId)])})
			must("associate address", err)
		}
	}

	buckets, err := from.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	must("list buckets", err)
	for _, bk := range buckets.Buckets {
		_, err := to.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bk.Name})
		must("create bucket", err)
		tg, err := from.s3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bk.Name})
		must("get bucket tagging", err)
		_, err = to.s3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: bk.Name, Tagging: &s3types.Tagging{TagSet: tg.TagSet}})
		must("put bucket tagging", err)
		// AWS applies SSE-S3 default encryption to every bucket since
		// January 2023 (GetBucketEncryption answers AES256), as the inventory
		// server does; moto 5.2.1 creates buckets without it. Copying the
		// setting gives moto the bucket AWS would have.
		enc, err := from.s3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: bk.Name})
		must("get bucket encryption", err)
		_, err = to.s3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: bk.Name, ServerSideEncryptionConfiguration: enc.ServerSideEncryptionConfiguration})
		must("put bucket encryption", err)
		v, err := from.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: bk.Name})
		must("get bucket versioning", err)
		if v.Status != "" {
			_, err := to.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: bk.Name, VersioningConfiguration: &s3types.VersioningConfiguration{Status: v.Status}})
			must("put bucket versioning", err)
		}
	}
}
