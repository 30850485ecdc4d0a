package backup

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// overlap records how many regions had a listing in flight at once. With
// meet set, each region's first listing waits (up to 10 s) until that many
// regions have made one, which only regions worked on at once can do.
type overlap struct {
	mu      sync.Mutex
	active  map[string]int
	most    int
	meet    int
	arrived map[string]bool
	all     chan struct{}
}

func newOverlap(meet int) *overlap {
	return &overlap{active: map[string]int{}, meet: meet, arrived: map[string]bool{}, all: make(chan struct{})}
}

func (o *overlap) enter(region string) {
	o.mu.Lock()
	o.active[region]++
	n := 0
	for _, c := range o.active {
		if c > 0 {
			n++
		}
	}
	o.most = max(o.most, n)
	wait := o.meet > 0 && !o.arrived[region]
	if wait {
		o.arrived[region] = true
		if len(o.arrived) == o.meet {
			close(o.all)
		}
	}
	o.mu.Unlock()
	if wait {
		select {
		case <-o.all:
		case <-time.After(10 * time.Second):
		}
	}
}

func (o *overlap) leave(region string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.active[region]--
}

func (o *overlap) regionsAtOnce() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.most
}

// regionEC2 is one region's EC2 client as the job sees it: its listings
// watched by an overlap, and failing with fail when set.
type regionEC2 struct {
	*ec2.Client
	region string
	seen   *overlap
	fail   error
}

func (c *regionEC2) DescribeVolumes(ctx context.Context, in *ec2.DescribeVolumesInput, opts ...func(*ec2.Options)) (*ec2.DescribeVolumesOutput, error) {
	c.seen.enter(c.region)
	defer c.seen.leave(c.region)
	if c.fail != nil {
		return nil, c.fail
	}
	return c.Client.DescribeVolumes(ctx, in, opts...)
}

func (c *regionEC2) DescribeSnapshots(ctx context.Context, in *ec2.DescribeSnapshotsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSnapshotsOutput, error) {
	c.seen.enter(c.region)
	defer c.seen.leave(c.region)
	return c.Client.DescribeSnapshots(ctx, in, opts...)
}

// regional is the test's view of several regions of one moto.
type regional struct {
	e    *env
	ec2  map[string]*ec2.Client
	seen *overlap
}

func newRegional(e *env, names []string, seen *overlap) *regional {
	r := &regional{e: e, ec2: map[string]*ec2.Client{}, seen: seen}
	for _, n := range names {
		r.ec2[n] = ec2client.New(awsclient.InRegion(e.cfg, n))
	}
	return r
}

// regions are the job's clients of names, failing ones' EBS listings.
func (r *regional) regions(names []string, failing map[string]bool) []Region {
	var out []Region
	for _, n := range names {
		c := &regionEC2{Client: r.ec2[n], region: n, seen: r.seen}
		if failing[n] {
			c.fail = errors.New("UnauthorizedOperation: simulated")
		}
		out = append(out, Region{Name: n, EC2: c, S3: s3client.New(awsclient.InRegion(r.e.cfg, n))})
	}
	return out
}

func (r *regional) volume(region string, kv ...string) string {
	r.e.t.Helper()
	in := &ec2.CreateVolumeInput{AvailabilityZone: aws.String(region + "a"), Size: aws.Int32(8)}
	if len(kv) > 0 {
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeVolume, Tags: ec2Tags(kv...)}}
	}
	out, err := r.ec2[region].CreateVolume(context.Background(), in)
	if err != nil {
		r.e.t.Fatal(err)
	}
	return aws.ToString(out.VolumeId)
}

// snapshots are region's backups (moto's built-in AMIs' snapshots left
// out) by source volume.
func (r *regional) snapshots(region string) map[string][]types.Snapshot {
	r.e.t.Helper()
	out, err := r.ec2[region].DescribeSnapshots(context.Background(), &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"},
		Filters: []types.Filter{{Name: aws.String("tag:" + tags.ManagedBy), Values: []string{tags.ManagedByValue}}}})
	if err != nil {
		r.e.t.Fatal(err)
	}
	m := map[string][]types.Snapshot{}
	for _, s := range out.Snapshots {
		m[aws.ToString(s.VolumeId)] = append(m[aws.ToString(s.VolumeId)], s)
	}
	return m
}

func section(r *report.Report, region string) *report.Section {
	for _, s := range r.Sections {
		if s.Region == region {
			return s
		}
	}
	return nil
}

// With several regions, the job works on them at once (at most
// COMMANDER_REGION_CONCURRENCY), backs up each region's tagged volumes in
// that region, and reports each region in its own section.
func TestRegions(t *testing.T) {
	cases := []struct {
		name     string
		bound    string
		regions  []string
		volumes  []int           // tagged volumes per region
		failing  map[string]bool // regions whose EBS listings fail
		together int             // regions whose listings must overlap; 0: no check
		most     int             // most regions worked on at once; 0: no check
		status   string
	}{
		{name: "three regions at once", bound: "4", regions: []string{"us-east-1", "eu-west-1", "ap-southeast-2"}, volumes: []int{2, 1, 3},
			together: 3, status: report.StatusOK},
		{name: "bound of 1: one region after the other", bound: "1", regions: []string{"us-east-1", "eu-west-1", "ap-southeast-2"}, volumes: []int{1, 2, 1},
			most: 1, status: report.StatusOK},
		{name: "bound of 2 over three regions", bound: "2", regions: []string{"us-east-1", "eu-west-1", "ap-southeast-2"}, volumes: []int{1, 1, 1},
			together: 2, most: 2, status: report.StatusOK},
		{name: "a failed region: its section failed, the run partial", bound: "4", regions: []string{"us-east-1", "eu-west-1"}, volumes: []int{2, 2},
			failing: map[string]bool{"eu-west-1": true}, status: report.StatusPartial},
		{name: "every region failed: the run failed", bound: "4", regions: []string{"us-east-1", "eu-west-1"}, volumes: []int{1, 1},
			failing: map[string]bool{"us-east-1": true, "eu-west-1": true}, status: report.StatusFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			rg := newRegional(e, c.regions, newOverlap(c.together))
			tagged := map[string][]string{}
			untagged := map[string]string{}
			for i, n := range c.regions {
				for range c.volumes[i] {
					tagged[n] = append(tagged[n], rg.volume(n, tags.Backup, "daily"))
				}
				untagged[n] = rg.volume(n, "team", "storage")
			}
			j := e.job(map[string]string{"COMMANDER_REGION_CONCURRENCY": c.bound})
			j.Regions = rg.regions(c.regions, c.failing)

			r := e.run(j, scheduled(day(0)))
			if r.Status != c.status {
				t.Fatalf("status %s, want %s: %s %v", r.Status, c.status, r.Reason, r.Errors)
			}
			if c.together > 0 && rg.seen.regionsAtOnce() < c.together {
				t.Errorf("at most %d regions were worked on at once, want %d together", rg.seen.regionsAtOnce(), c.together)
			}
			if c.most > 0 && rg.seen.regionsAtOnce() > c.most {
				t.Errorf("%d regions were worked on at once, the bound is %d", rg.seen.regionsAtOnce(), c.most)
			}
			if len(r.Sections) != len(c.regions) {
				t.Fatalf("%d report sections, want one per region (%v)", len(r.Sections), c.regions)
			}
			total := 0
			for i, n := range c.regions {
				sec := r.Sections[i]
				snaps := rg.snapshots(n)
				if sec.Region != n {
					t.Errorf("section %d is %s, want %s (the configured order)", i, sec.Region, n)
				}
				if c.failing[n] {
					if sec.Status != report.StatusFailed || !strings.Contains(sec.Reason, "EBS") || len(sec.Errors) != 1 {
						t.Errorf("%s: section %s (%s) errors %v, want failed on EBS", n, sec.Status, sec.Reason, sec.Errors)
					}
					if len(snaps) != 0 {
						t.Errorf("%s failed, yet has backups of %d volumes", n, len(snaps))
					}
					continue
				}
				if sec.Status != report.StatusOK || sec.Counts[ActionSnapshot+"."+report.Done] != c.volumes[i] {
					t.Errorf("%s: section %s (%s) counts %v, want ok with %d snapshots", n, sec.Status, sec.Reason, sec.Counts, c.volumes[i])
				}
				total += c.volumes[i]
				for _, v := range tagged[n] {
					if len(snaps[v]) != 1 || tags.EC2(snaps[v][0].Tags)[SourceVolume] != v {
						t.Errorf("%s: volume %s has %d snapshots, want one of its own", n, v, len(snaps[v]))
					}
				}
				if len(snaps) != len(tagged[n]) || len(snaps[untagged[n]]) != 0 {
					t.Errorf("%s: snapshots of %d volumes, want only its %d tagged ones", n, len(snaps), len(tagged[n]))
				}
			}
			if r.Count(ActionSnapshot, report.Done) != total {
				t.Errorf("the run counts %d snapshots, its sections %d", r.Count(ActionSnapshot, report.Done), total)
			}
			for _, d := range r.Resources {
				if section(r, d.Region) == nil {
					t.Errorf("decision %+v names no region of the run", d)
				}
			}
		})
	}
}

// The circuit breaker judges a run's deletions in all regions together.
func TestBreakerAcrossRegions(t *testing.T) {
	e := newEnv(t)
	names := []string{"us-east-1", "eu-west-1"}
	rg := newRegional(e, names, newOverlap(0))
	vols := map[string][]string{}
	for _, n := range names {
		for range 2 {
			vols[n] = append(vols[n], rg.volume(n, tags.Backup, "keep"))
		}
	}
	loose := e.job(map[string]string{"COMMANDER_BACKUP_POLICIES": "keep=last:10"})
	loose.Regions = rg.regions(names, nil)
	for d := range 2 {
		e.run(loose, scheduled(day(d)))
	}
	// Day 2: 3 snapshots per volume, last:1 lets 2 go: 4 per region (within
	// the breaker's 5), 8 in the run (beyond it).
	strict := e.job(map[string]string{"COMMANDER_BACKUP_POLICIES": "keep=last:1", "COMMANDER_BREAKER_MAX_COUNT": "5"})
	strict.Regions = rg.regions(names, nil)
	r := e.run(strict, scheduled(day(2)))
	if r.Status != report.StatusPartial || !strings.Contains(r.Reason, "circuit breaker") || r.Count(ActionDelete, report.Skipped) != 8 {
		t.Fatalf("status %s (%s) counts %v", r.Status, r.Reason, r.Counts)
	}
	for _, n := range names {
		if sec := section(r, n); sec == nil || sec.Counts[ActionDelete+"."+report.Skipped] != 4 || sec.Counts[ActionDelete+"."+report.Done] != 0 {
			t.Errorf("%s: section %+v, want its 4 deletions skipped", n, sec)
		}
		for _, v := range vols[n] {
			if got := len(rg.snapshots(n)[v]); got != 3 {
				t.Errorf("%s: volume %s has %d snapshots, want all 3 kept", n, v, got)
			}
		}
	}
	// Within the breaker, each region prunes its own.
	open := e.job(map[string]string{"COMMANDER_BACKUP_POLICIES": "keep=last:1", "COMMANDER_BREAKER_MAX_COUNT": "20"})
	open.Regions = rg.regions(names, nil)
	r = e.run(open, scheduled(day(3)))
	if r.Status != report.StatusOK || r.Count(ActionDelete, report.Done) != 12 {
		t.Fatalf("status %s (%s) counts %v", r.Status, r.Reason, r.Counts)
	}
	for _, n := range names {
		snaps := rg.snapshots(n)
		for _, v := range vols[n] {
			if got := createdAt(snaps[v]); len(got) != 1 || got[0] != day(3) {
				t.Errorf("%s: volume %s keeps %v, want only day 3's", n, v, got)
			}
		}
		if sec := section(r, n); sec == nil || sec.Counts[ActionDelete+"."+report.Done] != 6 {
			t.Errorf("%s: section %+v, want 6 deletions done", n, sec)
		}
	}
}

// stoppingEC2 ends the run's time at its region's first snapshot, as a
// Lambda deadline would.
type stoppingEC2 struct {
	*regionEC2
	cancel context.CancelFunc
}

func (s *stoppingEC2) CreateSnapshot(ctx context.Context, in *ec2.CreateSnapshotInput, opts ...func(*ec2.Options)) (*ec2.CreateSnapshotOutput, error) {
	out, err := s.regionEC2.CreateSnapshot(ctx, in, opts...)
	s.cancel()
	return out, err
}

// A multi-region run that runs out of time hands over; the follow-up
// finishes every region with nothing repeated and nothing lost.
func TestRegionsHandOver(t *testing.T) {
	e := newEnv(t)
	names := []string{"us-east-1", "eu-west-1"}
	rg := newRegional(e, names, newOverlap(0))
	vols := map[string][]string{}
	for _, n := range names {
		for range 3 {
			vols[n] = append(vols[n], rg.volume(n, tags.Backup, "daily"))
		}
	}
	j := e.job(map[string]string{"COMMANDER_CONCURRENCY": "1", "COMMANDER_REGION_CONCURRENCY": "1"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j.Regions = rg.regions(names, nil)
	j.Regions[0].EC2 = &stoppingEC2{regionEC2: j.Regions[0].EC2.(*regionEC2), cancel: cancel}
	r, err := j.Handle(ctx, scheduled(day(0)))
	if err != nil {
		t.Fatal(err)
	}
	next, ok := r.Next.(Continuation)
	if r.Status != report.StatusPartial || !ok || r.Count(ActionSnapshot, report.Done) != 1 {
		t.Fatalf("first run: %s (%s) counts %v next %#v", r.Status, r.Reason, r.Counts, r.Next)
	}
	if sec := section(r, "eu-west-1"); sec == nil || !strings.Contains(sec.Reason, "not started") {
		t.Errorf("the region the run did not reach: %+v", sec)
	}

	body, err := json.Marshal(map[string]any{"continuation": next})
	if err != nil {
		t.Fatal(err)
	}
	j.Regions = rg.regions(names, nil)
	r2 := e.run(j, body)
	if r2.Status != report.StatusOK || r2.Count(ActionSnapshot, report.Done) != 5 || r2.Count(ActionSnapshot, report.Skipped) != 1 {
		t.Errorf("follow-up: %s (%s) counts %v", r2.Status, r2.Reason, r2.Counts)
	}
	for _, n := range names {
		snaps := rg.snapshots(n)
		for _, v := range vols[n] {
			if len(snaps[v]) != 1 {
				t.Errorf("%s: volume %s has %d snapshots after the hand-over, want exactly 1", n, v, len(snaps[v]))
			}
		}
	}
}
