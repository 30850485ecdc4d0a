package inventory

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// resourceRef is a resource named in CreateTags/DeleteTags.
type resourceRef struct {
	tags *tagSetID
	id   string
}

// resolve finds a tag-able resource by id; every id must exist before any
// change is made, as AWS validates the whole request first.
func (c *ec2Call) resolve(id string) (resourceRef, error) {
	st := c.st
	prefix, _, _ := strings.Cut(id, "-")
	switch prefix {
	case "snap":
		if i := parseID("snap", id, len(st.snapshots)); i >= 0 && st.snapshots[i].state != stateGone {
			return resourceRef{&st.snapshots[i].tags, id}, nil
		}
		return resourceRef{}, apiErr("InvalidSnapshot.NotFound", fmt.Sprintf("The snapshot '%s' does not exist.", id))
	case "vol":
		if i := parseID("vol", id, len(st.volumes)); i >= 0 && st.volumes[i].state != stateGone {
			return resourceRef{&st.volumes[i].tags, id}, nil
		}
		return resourceRef{}, apiErr("InvalidVolume.NotFound", fmt.Sprintf("The volume '%s' does not exist.", id))
	case "i":
		if i := parseID("i", id, len(st.instances)); i >= 0 && st.instances[i].state != stateGone {
			return resourceRef{&st.instances[i].tags, id}, nil
		}
		return resourceRef{}, apiErr("InvalidInstanceID.NotFound", fmt.Sprintf("The instance ID '%s' does not exist", id))
	case "ami":
		if i := parseID("ami", id, len(st.images)); i >= 0 && st.images[i].state != stateGone {
			return resourceRef{&st.images[i].tags, id}, nil
		}
		return resourceRef{}, apiErr("InvalidAMIID.NotFound", fmt.Sprintf("The image id '[%s]' does not exist", id))
	case "eipalloc":
		if i := parseID("eipalloc", id, len(st.addresses)); i >= 0 && !st.addresses[i].gone {
			return resourceRef{&st.addresses[i].tags, id}, nil
		}
		return resourceRef{}, apiErr("InvalidAllocationID.NotFound", fmt.Sprintf("The allocation ID '%s' does not exist", id))
	}
	return resourceRef{}, apiErr("InvalidID", fmt.Sprintf("The ID '%s' is not valid", id))
}

func (c *ec2Call) resources() ([]resourceRef, error) {
	ids := queryList(c.form, "ResourceId")
	if len(ids) == 0 {
		return nil, apiErr("MissingParameter", "The request must contain the parameter resourceIdSet")
	}
	if len(ids) > maxTagResources {
		return nil, apiErr("InvalidParameterValue", fmt.Sprintf("The request names %d resources; %s accepts up to %d resource IDs", len(ids), c.action, maxTagResources))
	}
	refs := make([]resourceRef, 0, len(ids))
	for _, id := range ids {
		r, err := c.resolve(id)
		if err != nil {
			return nil, err
		}
		refs = append(refs, r)
	}
	c.items = len(refs)
	return refs, nil
}

// queryTags reads prefix.N.Key / prefix.N.Value.
func queryTags(c *ec2Call, prefix string) ([]Tag, error) {
	var out []Tag
	for n := 1; ; n++ {
		p := prefix + "." + strconv.Itoa(n)
		k, ok := c.form[p+".Key"]
		if !ok {
			return out, nil
		}
		if err := validTag(k[0], c.form.Get(p+".Value")); err != nil {
			return nil, err
		}
		out = append(out, Tag{Key: k[0], Value: c.form.Get(p + ".Value")})
	}
}

// validTag holds a tag to EC2's restrictions: a key of 1 to 128 Unicode
// characters not starting with aws: (in any case), a value of up to 256
// Unicode characters (the EC2 user guide's "Tag restrictions"; characters,
// not bytes: a key of 128 accented letters is accepted).
func validTag(k, v string) error {
	switch {
	case k == "" || utf8.RuneCountInString(k) > 128:
		return apiErr("InvalidParameterValue", fmt.Sprintf("Tag key '%s' must be 1 to 128 characters", k))
	case strings.HasPrefix(strings.ToLower(k), "aws:"):
		return apiErr("InvalidParameterValue", fmt.Sprintf("Tag key '%s' is invalid: keys starting with 'aws:' are reserved for internal use", k))
	case utf8.RuneCountInString(v) > 256:
		return apiErr("InvalidParameterValue", fmt.Sprintf("Tag value of '%s' exceeds 256 characters", k))
	}
	return nil
}

// applyTags computes every new tag set before changing any, so a request
// that would exceed the 50-tag limit changes nothing.
func (c *ec2Call) applyTags(refs []resourceRef, change func(tagSetID) tagSetID) error {
	memo := map[tagSetID]tagSetID{}
	next := make([]tagSetID, len(refs))
	for k, r := range refs {
		n, ok := memo[*r.tags]
		if !ok {
			n = change(*r.tags)
			memo[*r.tags] = n
		}
		if len(c.st.tags.get(n)) > maxTagsPerResouce {
			return apiErr("TagLimitExceeded", fmt.Sprintf("The maximum number of Tags for a resource has been reached (%d) on %s", maxTagsPerResouce, r.id))
		}
		next[k] = n
	}
	for k, r := range refs {
		*r.tags = next[k]
	}
	return nil
}

func (c *ec2Call) createTags() error {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	refs, err := c.resources()
	if err != nil {
		return err
	}
	add, err := queryTags(c, "Tag")
	if err != nil {
		return err
	}
	if len(add) == 0 {
		return apiErr("MissingParameter", "The request must contain the parameter tagSet")
	}
	if err := c.dryRun(); err != nil {
		return err
	}
	if err := c.applyTags(refs, func(id tagSetID) tagSetID { return c.st.tags.with(id, add) }); err != nil {
		return err
	}
	c.w.elBool("return", true)
	return nil
}

func (c *ec2Call) deleteTags() error {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	refs, err := c.resources()
	if err != nil {
		return err
	}
	var del []tagDeletion
	for n := 1; ; n++ {
		p := "Tag." + strconv.Itoa(n)
		k, ok := c.form[p+".Key"]
		if !ok {
			break
		}
		v, hasValue := c.form[p+".Value"]
		d := tagDeletion{key: k[0], hasValue: hasValue}
		if hasValue {
			d.value = v[0]
		}
		del = append(del, d)
	}
	if len(del) > 1000 {
		return apiErr("InvalidParameterValue", "DeleteTags accepts up to 1000 tags")
	}
	if err := c.dryRun(); err != nil {
		return err
	}
	if err := c.applyTags(refs, func(id tagSetID) tagSetID { return c.st.tags.without(id, del) }); err != nil {
		return err
	}
	c.w.elBool("return", true)
	return nil
}

// tagSpecs reads TagSpecification.N for resourceType.
func (c *ec2Call) tagSpecs(resourceType string) ([]Tag, error) {
	var out []Tag
	for n := 1; ; n++ {
		p := "TagSpecification." + strconv.Itoa(n)
		rt, ok := c.form[p+".ResourceType"]
		if !ok {
			return out, nil
		}
		if rt[0] != resourceType {
			return nil, apiErr("InvalidParameterValue", fmt.Sprintf("'%s' is not a valid taggable resource type for this operation.", rt[0]))
		}
		tags, err := queryTags(c, p+".Tag")
		if err != nil {
			return nil, err
		}
		out = append(out, tags...)
	}
}

func (c *ec2Call) volume(id string) (int, error) {
	if id == "" {
		return 0, apiErr("MissingParameter", "The request must contain the parameter VolumeId")
	}
	i := parseID("vol", id, len(c.st.volumes))
	if i < 0 || c.st.volumes[i].state == stateGone {
		return 0, apiErr("InvalidVolume.NotFound", fmt.Sprintf("The volume '%s' does not exist.", id))
	}
	return i, nil
}

// newSnapshot appends a snapshot of volume v: completed, or pending with
// Options.Pending (the create call answers pending either way, as AWS
// does: see snapshotFields).
func (c *ec2Call) newSnapshot(v int, desc string, tags []Tag) int {
	vol := &c.st.volumes[v]
	c.st.snapshots = append(c.st.snapshots, snapshot{start: c.now, volume: int32(v), size: vol.size,
		tags: c.st.tags.intern(tags), desc: c.st.str(desc), state: snapCompleted})
	i := len(c.st.snapshots) - 1
	c.startPending(i)
	return i
}

func (c *ec2Call) createSnapshot() error {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	v, err := c.volume(c.form.Get("VolumeId"))
	if err != nil {
		return err
	}
	tags, err := c.tagSpecs("snapshot")
	if err != nil {
		return err
	}
	if err := c.dryRun(); err != nil {
		return err
	}
	if err := c.admitSnapshots([]int{v}); err != nil {
		return err
	}
	i := c.newSnapshot(v, c.form.Get("Description"), tags)
	c.snapshotFields(i, true)
	return nil
}

func (c *ec2Call) createSnapshots() error {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	id := c.form.Get("InstanceSpecification.InstanceId")
	if id == "" {
		return apiErr("MissingParameter", "The request must contain the parameter InstanceSpecification.InstanceId")
	}
	in := parseID("i", id, len(c.st.instances))
	if in < 0 || c.st.instances[in].state == stateGone || c.st.instances[in].state == instTerminated {
		return apiErr("InvalidInstanceID.NotFound", fmt.Sprintf("The instance ID '%s' does not exist", id))
	}
	tags, err := c.tagSpecs("snapshot")
	if err != nil {
		return err
	}
	copyVolumeTags := c.form.Get("CopyTagsFromSource") == "volume"
	if v := c.form.Get("CopyTagsFromSource"); v != "" && !copyVolumeTags {
		return apiErr("InvalidParameterValue", fmt.Sprintf("Value (%s) for parameter CopyTagsFromSource is invalid. Expected: volume", v))
	}
	excluded := map[int]bool{}
	for _, vid := range queryList(c.form, "InstanceSpecification.ExcludeDataVolumeId") {
		v, err := c.volume(vid)
		if err != nil {
			return err
		}
		excluded[v] = true
	}
	excludeBoot := c.flag("InstanceSpecification.ExcludeBootVolume")
	if err := c.dryRun(); err != nil {
		return err
	}
	var vols []int
	for _, v32 := range c.st.instances[in].volumes {
		v := int(v32)
		if excluded[v] || (excludeBoot && c.st.volumes[v].device == 0) {
			continue
		}
		vols = append(vols, v)
	}
	if err := c.admitSnapshots(vols); err != nil {
		return err
	}
	desc := c.form.Get("Description")
	c.w.open("snapshotSet")
	for _, v := range vols {
		vol := c.st.volumes[v]
		c.items++
		all := tags
		if copyVolumeTags {
			all = append(append([]Tag(nil), c.st.tags.get(vol.tags)...), tags...)
		}
		i := c.newSnapshot(v, desc, all)
		sn := &c.st.snapshots[i]
		w := c.w
		// Pending, as AWS answers (see snapshotFields).
		w.open("item").el("snapshotId", formatID("snap", i)).el("volumeId", formatID("vol", v)).el("state", "pending")
		w.elTime("startTime", sn.start).el("progress", "").el("ownerId", c.s.opts.Account).elInt("volumeSize", int64(sn.size))
		w.el("description", desc).elBool("encrypted", false)
		c.tagSet(sn.tags)
		w.close("item")
	}
	c.w.close("snapshotSet")
	return nil
}

func (c *ec2Call) deleteSnapshot() error {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	id := c.form.Get("SnapshotId")
	if id == "" {
		return apiErr("MissingParameter", "The request must contain the parameter SnapshotId")
	}
	i := parseID("snap", id, len(c.st.snapshots))
	if i < 0 || c.st.snapshots[i].state == stateGone {
		return apiErr("InvalidSnapshot.NotFound", fmt.Sprintf("The snapshot '%s' does not exist.", id))
	}
	if img, ok := c.st.inUse[int32(i)]; ok {
		return apiErr("InvalidSnapshot.InUse", fmt.Sprintf("The snapshot %s is currently in use by %s", id, formatID("ami", int(img))))
	}
	if err := c.dryRun(); err != nil {
		return err
	}
	c.st.snapshots[i].state = stateGone
	// A snapshot deleted while pending stays in c.st.pending: AWS counts it
	// against its volume's limit until it would have completed.
	c.w.elBool("return", true)
	return nil
}

func (c *ec2Call) deleteVolume() error {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	id := c.form.Get("VolumeId")
	v, err := c.volume(id)
	if err != nil {
		return err
	}
	if in := c.st.volumes[v].instance; in >= 0 {
		return apiErr("VolumeInUse", fmt.Sprintf("Volume %s is currently attached to %s", id, formatID("i", int(in))))
	}
	if err := c.dryRun(); err != nil {
		return err
	}
	c.st.volumes[v].state = stateGone
	c.w.elBool("return", true)
	return nil
}

// releaseAddress releases a VPC Elastic IP by AllocationId. An associated
// address is refused with InvalidIPAddress.InUse, as AWS does outside a
// default VPC (in a default VPC AWS would disassociate it first; moto always
// does): the stricter answer, so a job that relies on it fails here first.
func (c *ec2Call) releaseAddress() error {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	if c.form.Get("PublicIp") != "" {
		return apiErr("InvalidParameterValue", "PublicIp is for EC2-Classic addresses; a VPC address is released by AllocationId")
	}
	id := c.form.Get("AllocationId")
	if id == "" {
		return apiErr("MissingParameter", "The request must contain the parameter AllocationId")
	}
	i := parseID("eipalloc", id, len(c.st.addresses))
	if i < 0 || c.st.addresses[i].gone {
		return apiErr("InvalidAllocationID.NotFound", fmt.Sprintf("The allocation ID '%s' does not exist", id))
	}
	if c.st.addresses[i].instance >= 0 {
		return apiErr("InvalidIPAddress.InUse", fmt.Sprintf("Address %s is in use by %s", id, formatID("i", int(c.st.addresses[i].instance))))
	}
	if err := c.dryRun(); err != nil {
		return err
	}
	c.st.addresses[i].gone = true
	c.w.elBool("return", true)
	return nil
}

func (c *ec2Call) instanceIDs(limit int) ([]int, error) {
	ids := queryList(c.form, "InstanceId")
	if len(ids) == 0 {
		return nil, apiErr("MissingParameter", "The request must contain the parameter InstanceId")
	}
	if limit > 0 && len(ids) > limit {
		return nil, apiErr("InvalidParameterValue", fmt.Sprintf("The request names %d instances; %s accepts up to %d instance IDs", len(ids), c.action, limit))
	}
	out := make([]int, 0, len(ids))
	for _, id := range ids {
		i := parseID("i", id, len(c.st.instances))
		if i < 0 || c.st.instances[i].state == stateGone {
			return nil, apiErr("InvalidInstanceID.NotFound", fmt.Sprintf("The instance ID '%s' does not exist", id))
		}
		out = append(out, i)
	}
	c.items = len(out)
	return out, nil
}

func (c *ec2Call) stateChange(i int, prev, cur uint8) {
	w := c.w
	w.open("item").el("instanceId", formatID("i", i))
	w.open("currentState").elInt("code", int64(instCodes[cur])).el("name", stateNames[cur]).close("currentState")
	w.open("previousState").elInt("code", int64(instCodes[prev])).el("name", stateNames[prev]).close("previousState")
	w.close("item")
}

func (c *ec2Call) terminateInstances() error {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	ids, err := c.instanceIDs(maxTerminateIDs)
	if err != nil {
		return err
	}
	for _, i := range ids {
		if c.st.instances[i].noTerm {
			return apiErr("OperationNotPermitted", fmt.Sprintf("The instance '%s' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.", formatID("i", i)))
		}
	}
	if err := c.dryRun(); err != nil {
		return err
	}
	c.w.open("instancesSet")
	for _, i := range ids {
		in := &c.st.instances[i]
		prev := in.state
		if prev != instTerminated {
			in.state, in.stopped = instTerminated, c.now
			// Root volumes go with the instance; data volumes stay, detached.
			for _, v := range in.volumes {
				vol := &c.st.volumes[v]
				vol.instance = -1
				if vol.root {
					vol.state = stateGone
				} else {
					vol.state = volAvailable
				}
			}
			in.volumes = nil
		}
		c.stateChange(i, prev, instTerminated)
	}
	c.w.close("instancesSet")
	return nil
}

func (c *ec2Call) stopInstances() error {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	ids, err := c.instanceIDs(0)
	if err != nil {
		return err
	}
	for _, i := range ids {
		if s := c.st.instances[i].state; s == instTerminated {
			return apiErr("IncorrectInstanceState", fmt.Sprintf("This instance '%s' is not in a state from which it can be stopped.", formatID("i", i)))
		}
	}
	if err := c.dryRun(); err != nil {
		return err
	}
	c.w.open("instancesSet")
	for _, i := range ids {
		in := &c.st.instances[i]
		prev := in.state
		cur := uint8(instStopped)
		if prev != instStopped {
			// Answered as "stopping", as AWS does; stored as stopped, since
			// nothing here would ever finish the transition.
			cur = instStopping
			in.state, in.stopped = instStopped, c.now
		}
		c.stateChange(i, prev, cur)
	}
	c.w.close("instancesSet")
	return nil
}

// startInstances answers as AWS does: a stopped instance goes to "pending"
// (stored as running, since nothing here would finish the transition), a
// running one answers running/running and is left alone, a terminated one
// is refused with IncorrectInstanceState before anything changes. Like
// StopInstances, it documents no limit on the ids of one call.
func (c *ec2Call) startInstances() error {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	ids, err := c.instanceIDs(0)
	if err != nil {
		return err
	}
	for _, i := range ids {
		if s := c.st.instances[i].state; s == instTerminated {
			return apiErr("IncorrectInstanceState", fmt.Sprintf("The instance '%s' is not in a state from which it can be started.", formatID("i", i)))
		}
	}
	if err := c.dryRun(); err != nil {
		return err
	}
	c.w.open("instancesSet")
	for _, i := range ids {
		in := &c.st.instances[i]
		prev := in.state
		cur := uint8(instRunning)
		if prev != instRunning {
			cur = instPending
			in.state = instRunning
		}
		c.stateChange(i, prev, cur)
	}
	c.w.close("instancesSet")
	return nil
}
