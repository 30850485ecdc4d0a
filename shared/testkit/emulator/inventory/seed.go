package inventory

import (
	"fmt"
	"time"

	"github.com/aws-commander/commander/shared/tags"
)

// DefaultRegion is where Seed puts the estate unless Spec.Region says otherwise.
const DefaultRegion = "us-east-1"

// DefaultSchedule is the commander:schedule value of Spec.Scheduled
// instances unless Spec.Schedule says otherwise: the shipped schedule.
const DefaultSchedule = "office-hours"

// Spec is a synthetic estate. Everything in it is a pure function of the
// counts, Now and MaxAge: the same Spec always gives the same ids, tags and
// times. See docs/inventory-server.md for the exact tag plan.
type Spec struct {
	Region    string // default DefaultRegion
	Snapshots int
	Volumes   int
	Instances int // each has a root volume (and a data volume, while volumes last)
	Images    int // each image's block device mapping uses one snapshot
	Addresses int
	Buckets   int
	Objects   int // per bucket

	// Scheduled instances follow an office-hours schedule: all running,
	// t3.micro, tagged Name=bench-sched-%06d and commander:schedule=Schedule,
	// each with a root volume of its own (Name=bench-sched-vol-%06d). They
	// come after the Instances, their root volumes after the Volumes, so the
	// rest of the estate is the same with or without them.
	Scheduled int
	Schedule  string // default DefaultSchedule

	// HDDVolumes of the Volumes, the last ones, are st1 (throughput-optimized
	// HDD, 500 GiB) instead of gp3: AWS allows one snapshot of such a volume
	// in progress at a time (Options.Pending), not five. They are never an
	// instance's root volume (st1 cannot boot).
	HDDVolumes int

	// Now is the moment the estate is seen from; creation times spread
	// evenly (in a shuffled order) over [Now-MaxAge, Now].
	Now    time.Time     // default: the server's clock
	MaxAge time.Duration // default 120 days
}

// Validate names the field that is out of range.
func (sp Spec) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"Snapshots", sp.Snapshots}, {"Volumes", sp.Volumes}, {"Instances", sp.Instances}, {"Images", sp.Images},
		{"Addresses", sp.Addresses}, {"Buckets", sp.Buckets}, {"Objects", sp.Objects}, {"Scheduled", sp.Scheduled}} {
		if f.v < 0 || f.v > 50_000_000 {
			return fmt.Errorf("inventory spec: %s=%d is invalid: accepts 0 to 50000000", f.name, f.v)
		}
	}
	if sp.Images > sp.Snapshots {
		return fmt.Errorf("inventory spec: Images=%d is invalid: accepts at most Snapshots (%d), one snapshot per image", sp.Images, sp.Snapshots)
	}
	if roots := min(sp.Volumes, sp.Instances); sp.HDDVolumes < 0 || sp.HDDVolumes > sp.Volumes-roots {
		return fmt.Errorf("inventory spec: HDDVolumes=%d is invalid: accepts 0 to Volumes minus the instances' root volumes (%d)", sp.HDDVolumes, sp.Volumes-roots)
	}
	if sp.Addresses > 65536 {
		return fmt.Errorf("inventory spec: Addresses=%d is invalid: accepts 0 to 65536 (one 198.18.0.0/16 address each)", sp.Addresses)
	}
	if len(sp.Schedule) > 256 {
		return fmt.Errorf("inventory spec: Schedule=%q is invalid: accepts a tag value of up to 256 characters", sp.Schedule)
	}
	if sp.MaxAge < 0 {
		return fmt.Errorf("inventory spec: MaxAge=%s is invalid: accepts a positive duration", sp.MaxAge)
	}
	return nil
}

// spread is resource i's age in [0, maxAge]: a stride permutation over n,
// so ages cover the range evenly but are not ordered by index.
func spread(i, n int, maxAge time.Duration) time.Duration {
	if n <= 1 {
		return 0
	}
	k := (i * 7919) % n
	return time.Duration(float64(maxAge) * float64(k) / float64(n-1))
}

// Seed replaces the estate of spec.Region with the synthetic one.
func (s *Server) Seed(spec Spec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	if spec.Region == "" {
		spec.Region = DefaultRegion
	}
	if spec.Now.IsZero() {
		spec.Now = s.opts.Now()
	}
	if spec.MaxAge == 0 {
		spec.MaxAge = 120 * 24 * time.Hour
	}
	if spec.Schedule == "" {
		spec.Schedule = DefaultSchedule
	}
	now := spec.Now.Unix()
	at := func(i, n int) int64 { return now - int64(spread(i, n, spec.MaxAge)/time.Second) }
	expired := spec.Now.Add(-48 * time.Hour).UTC().Format(time.RFC3339)
	createdAt := func(unix int64) string { return time.Unix(unix, 0).UTC().Format(time.RFC3339) }

	st := newEC2Store(spec.Region)
	tt := st.tags
	intern := func(t ...Tag) tagSetID { return tt.intern(t) }

	st.instances = make([]instance, spec.Instances+spec.Scheduled)
	for i := range spec.Instances {
		in := &st.instances[i]
		in.launched = at(i, spec.Instances)
		in.state = instRunning
		if i%4 == 3 {
			in.state, in.stopped = instStopped, in.launched+int64((i%10+1)*3600)
		}
		in.az = uint8(i % len(zones))
		in.image = -1
		if spec.Images > 0 {
			in.image = int32(i % spec.Images)
		}
		in.noTerm = i%50 == 0
		t := []Tag{{"Name", fmt.Sprintf("bench-i-%06d", i)}}
		if i%2 == 0 {
			t = append(t, Tag{tags.Backup, "daily"})
		}
		if i%10 == 0 {
			t = append(t, Tag{tags.Protect, "true"})
		}
		if i%8 == 7 {
			t = append(t, Tag{tags.ExpiresAt, expired})
		}
		in.tags = intern(t...)
	}

	st.volumes = make([]volume, spec.Volumes+spec.Scheduled)
	for i := range spec.Volumes {
		v := &st.volumes[i]
		v.created = at(i, spec.Volumes)
		v.size = int32(8 << (i % 4)) // 8, 16, 32, 64 GiB
		if i >= spec.Volumes-spec.HDDVolumes {
			v.hdd, v.size = true, 500
		}
		v.instance, v.snapshot, v.state = -1, -1, volAvailable
		v.az = uint8(i % len(zones))
		// Volume i < Instances is instance i's root; the next Instances
		// volumes are data volumes; the rest are unattached.
		if n := spec.Instances; n > 0 && i < 2*n {
			in := i % n
			v.instance, v.state, v.root = int32(in), volInUse, i < n
			v.device, v.az = uint8(i/n), st.instances[in].az
			v.created = st.instances[in].launched
			st.instances[in].volumes = append(st.instances[in].volumes, int32(i))
		}
		t := []Tag{{"Name", fmt.Sprintf("bench-vol-%06d", i)}}
		switch i % 3 {
		case 0:
			t = append(t, Tag{tags.Backup, "daily"})
		case 1:
			t = append(t, Tag{tags.Backup, "weekly"})
		}
		if i%20 == 0 {
			t = append(t, Tag{tags.Protect, "true"})
		}
		if v.instance < 0 && i%5 == 0 {
			t = append(t, Tag{tags.ExpiresAt, expired})
		}
		v.tags = intern(t...)
	}

	// The scheduled instances and their root volumes.
	for k := range spec.Scheduled {
		i, vi := spec.Instances+k, spec.Volumes+k
		in := &st.instances[i]
		in.launched, in.state, in.typ = at(k, spec.Scheduled), instRunning, typeT3Micro
		in.az, in.image = uint8(k%len(zones)), -1
		if spec.Images > 0 {
			in.image = int32(k % spec.Images)
		}
		in.volumes = []int32{int32(vi)}
		in.tags = intern(Tag{"Name", fmt.Sprintf("bench-sched-%06d", k)}, Tag{tags.Schedule, spec.Schedule})
		st.volumes[vi] = volume{created: in.launched, size: 8, instance: int32(i), snapshot: -1, state: volInUse, az: in.az, root: true,
			tags: intern(Tag{"Name", fmt.Sprintf("bench-sched-vol-%06d", k)})}
	}

	st.snapshots = make([]snapshot, spec.Snapshots)
	managedDesc, userDesc := st.str("Created by commander backup"), st.str("user snapshot")
	for i := range st.snapshots {
		sn := &st.snapshots[i]
		sn.start = at(i, spec.Snapshots)
		sn.state = snapCompleted
		sn.volume, sn.size = -1, 8
		if spec.Volumes > 0 {
			sn.volume = int32(i % spec.Volumes)
			sn.size = st.volumes[sn.volume].size
		}
		t := []Tag{{"Name", fmt.Sprintf("bench-snap-%06d", i)}}
		if i%4 != 3 {
			policy := "daily"
			if i%8 == 5 {
				policy = "weekly"
			}
			// created-at is the start time to the day: realistic, and few
			// distinct tag sets (one per day and policy).
			day := sn.start - sn.start%86400
			t = append(t, Tag{tags.ManagedBy, tags.ManagedByValue}, Tag{tags.BackupPolicy, policy},
				Tag{tags.CreatedBy, "backup"}, Tag{tags.CreatedAt, createdAt(day)})
			sn.desc = managedDesc
		} else {
			sn.desc = userDesc
		}
		if i%25 == 0 {
			t = append(t, Tag{tags.Protect, "true"})
		}
		if i%10 == 6 {
			t = append(t, Tag{tags.ExpiresAt, expired})
		}
		// The Name tag makes every set unique; keep it only on the first
		// 1 000 so 200 000 snapshots share a few hundred tag sets.
		if i >= 1000 {
			t = t[1:]
		}
		sn.tags = intern(t...)
	}

	st.images = make([]image, spec.Images)
	for i := range st.images {
		im := &st.images[i]
		im.created, im.state = at(i, spec.Images), imgAvailable
		// Image i uses the last snapshots, so the first ones stay deletable.
		snap := int32(spec.Snapshots - 1 - i)
		im.snapshots = []int32{snap}
		st.inUse[snap] = int32(i)
		t := []Tag{{"Name", imageName(i)}}
		if i%2 == 0 {
			t = append(t, Tag{tags.ManagedBy, tags.ManagedByValue})
		}
		im.tags = intern(t...)
	}

	st.addresses = make([]address, spec.Addresses)
	for i := range st.addresses {
		a := &st.addresses[i]
		a.instance = -1
		if i%2 == 0 && i < spec.Instances {
			a.instance = int32(i)
		}
		a.tags = intern(Tag{"Name", fmt.Sprintf("bench-eip-%05d", i)})
	}

	var buckets []*bucket
	for i := range spec.Buckets {
		b := &bucket{name: bucketName(spec.Region, i), region: spec.Region, created: at(i, spec.Buckets), objects: spec.Objects,
			objectTime: now - int64(spec.MaxAge/time.Second)}
		if i%2 == 0 {
			b.tags = []Tag{{tags.Backup, "daily"}, {"Name", b.name}}
			b.versioning = "Enabled"
		} else {
			b.tags = []Tag{{"Name", b.name}}
		}
		if i%5 == 0 {
			b.tags = append(b.tags, Tag{tags.Protect, "true"})
		}
		buckets = append(buckets, b)
	}

	s.mu.Lock()
	s.regions[spec.Region] = st
	s.mu.Unlock()
	s.s3.replaceRegion(spec.Region, buckets)
	return nil
}

// bucketName is unique across regions, as bucket names must be.
func bucketName(region string, i int) string {
	if region == DefaultRegion {
		return fmt.Sprintf("bench-bucket-%04d", i)
	}
	return fmt.Sprintf("bench-%s-%04d", region, i)
}
