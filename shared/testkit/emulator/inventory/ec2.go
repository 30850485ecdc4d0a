package inventory

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// The documented batch limits: CreateTags and DeleteTags take up to 1 000
// resource IDs, TerminateInstances up to 1 000 instance IDs.
const (
	maxTagResources   = 1000
	maxTerminateIDs   = 1000
	maxTagsPerResouce = 50
)

// pageRange is the MaxResults each Describe call accepts, as the EC2 API
// reference gives it. Below min is InvalidParameterValue. Above max, AWS
// documents for DescribeSnapshots and DescribeVolumes that the page is
// lowered ("This value can be between 5 and 500; if MaxResults is given a
// value larger than 500, only 500 items are returned"), so clamp is set and
// the server answers a page of max. DescribeInstances and DescribeImages
// document the range but not what a larger value does: refused, the
// stricter reading, so a caller relying on a clamp AWS never promised
// fails here first.
var pageRange = map[string]struct {
	min, max int
	clamp    bool
}{
	"DescribeSnapshots": {5, 1000, true},
	"DescribeVolumes":   {5, 500, true},
	"DescribeInstances": {5, 1000, false},
	"DescribeImages":    {5, 1000, false},
}

// ec2Call is one EC2 request being answered.
type ec2Call struct {
	s      *Server
	st     *ec2Store
	action string
	form   url.Values
	w      *xw
	now    int64     // Options.Now, Unix seconds: what the call stamps
	clock  time.Time // Options.Clock at the call: what pending snapshots are measured on
	items  int       // resources answered (Describe) or named (batch), for Latency's PerItem
}

type ec2Action func(c *ec2Call) error

var ec2Actions map[string]ec2Action

func init() {
	ec2Actions = map[string]ec2Action{
		"DescribeSnapshots":         (*ec2Call).describeSnapshots,
		"DescribeVolumes":           (*ec2Call).describeVolumes,
		"DescribeInstances":         (*ec2Call).describeInstances,
		"DescribeImages":            (*ec2Call).describeImages,
		"DescribeAddresses":         (*ec2Call).describeAddresses,
		"DescribeInstanceAttribute": (*ec2Call).describeInstanceAttribute,
		"CreateTags":                (*ec2Call).createTags,
		"DeleteTags":                (*ec2Call).deleteTags,
		"CreateSnapshot":            (*ec2Call).createSnapshot,
		"CreateSnapshots":           (*ec2Call).createSnapshots,
		"DeleteSnapshot":            (*ec2Call).deleteSnapshot,
		"DeleteVolume":              (*ec2Call).deleteVolume,
		"TerminateInstances":        (*ec2Call).terminateInstances,
		"StopInstances":             (*ec2Call).stopInstances,
		"StartInstances":            (*ec2Call).startInstances,
		"ReleaseAddress":            (*ec2Call).releaseAddress,
	}
}

func (s *Server) serveEC2(w http.ResponseWriter, r *http.Request, st *ec2Store) {
	if err := r.ParseForm(); err != nil {
		s.count("EC2.Unknown")
		s.writeEC2Error(w, apiErr("InvalidParameterValue", "cannot parse the form body: "+err.Error()))
		return
	}
	action := r.PostForm.Get("Action")
	s.count("EC2." + action)
	h, ok := ec2Actions[action]
	if !ok {
		s.writeEC2Error(w, apiErr("InvalidAction", fmt.Sprintf("The action %s is not valid for this web service.", action)))
		return
	}
	if v := r.PostForm.Get("Version"); v != "2016-11-15" {
		s.writeEC2Error(w, apiErr("InvalidParameterValue", fmt.Sprintf("Version %q is not 2016-11-15", v)))
		return
	}
	kind := ec2Kind(action)
	if s.limiter != nil && !s.limiter.admit(st.region, action, r.PostForm) {
		s.countThrottled("EC2." + action)
		s.wait(r.Context(), kind, 0)
		s.writeEC2Error(w, throttledErr())
		return
	}
	out := newXW()
	defer out.release()
	reqID := s.requestID()
	out.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<" + action + `Response xmlns="` + ec2Namespace + `">`)
	out.el("requestId", reqID)
	c := &ec2Call{s: s, st: st, action: action, form: r.PostForm, w: out, now: s.opts.Now().Unix(), clock: s.clock.Now()}
	err := h(c)
	s.wait(r.Context(), kind, c.items)
	if err != nil {
		s.writeEC2Error(w, asAPIError(err))
		return
	}
	out.close(action + "Response")
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.Header().Set("Content-Length", strconv.Itoa(len(out.b)))
	_, _ = w.Write(out.b)
}

func (s *Server) writeEC2Error(w http.ResponseWriter, e *apiError) {
	x := newXW()
	defer x.release()
	x.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.open("Response").open("Errors").open("Error").el("Code", e.code).el("Message", e.msg).close("Error").close("Errors")
	x.el("RequestID", s.requestID()).close("Response")
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(e.status)
	_, _ = w.Write(x.b)
}

func (c *ec2Call) flag(name string) bool { return strings.EqualFold(c.form.Get(name), "true") }

// dryRun answers a validated mutating call that asked only for a check.
func (c *ec2Call) dryRun() error {
	if c.flag("DryRun") {
		return &apiError{code: "DryRunOperation", msg: "Request would have succeeded, but DryRun flag is set.", status: http.StatusPreconditionFailed}
	}
	return nil
}

// fingerprint ties a NextToken to the request that made it: AWS rejects a
// token replayed with other filters, and so do we.
func (c *ec2Call) fingerprint() uint64 {
	h := fnv.New64a()
	keys := make([]string, 0, len(c.form))
	for k := range c.form {
		switch k {
		case "MaxResults", "NextToken", "DryRun", "Version":
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(strings.Join(c.form[k], "\x01")))
		h.Write([]byte{1})
	}
	return h.Sum64()
}

func encodeToken(next int, fp uint64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("v1:%d:%x", next, fp)))
}

func decodeToken(tok string, fp uint64, n int) (int, error) {
	bad := apiErr("InvalidParameterValue", "Unable to parse pagination token")
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, bad
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[0] != "v1" || parts[2] != strconv.FormatUint(fp, 16) {
		return 0, bad
	}
	i, err := strconv.Atoi(parts[1])
	if err != nil || i < 0 || i > n {
		return 0, bad
	}
	return i, nil
}

// listing describes one kind for the generic Describe paging.
type listing struct {
	set      string // the response list element, e.g. snapshotSet
	idParam  string // the request's id list, e.g. SnapshotId
	prefix   string // id prefix, e.g. snap
	n        int
	live     func(i int) bool // not deleted
	notFound func(id string) error
	emit     func(i int)
}

// list answers a Describe: explicit ids (all must exist, no MaxResults),
// or a page of at most MaxResults matches starting at NextToken. Pages are
// index ranges over the store's slice, so a page costs its own size.
func (c *ec2Call) list(l listing, keep pred) error {
	ids := queryList(c.form, l.idParam)
	_, hasMax := c.form["MaxResults"]
	if len(ids) > 0 {
		if hasMax {
			return apiErr("InvalidParameterCombination", fmt.Sprintf("The parameter %s cannot be used with the parameter maxResults", l.idParam))
		}
		idx := make([]int, 0, len(ids))
		for _, id := range ids {
			i := parseID(l.prefix, id, l.n)
			if i < 0 || !l.live(i) {
				return l.notFound(id)
			}
			idx = append(idx, i)
		}
		c.w.open(l.set)
		for _, i := range idx {
			if keep(i) {
				l.emit(i)
				c.items++
			}
		}
		c.w.close(l.set)
		return nil
	}
	max := l.n + 1
	if hasMax {
		rng, ok := pageRange[c.action]
		if !ok {
			return apiErr("InvalidParameterValue", c.action+" does not take MaxResults")
		}
		v, err := strconv.Atoi(c.form.Get("MaxResults"))
		if err == nil && v > rng.max && rng.clamp {
			v = rng.max
		}
		switch {
		case err != nil:
			return apiErr("InvalidParameterValue", fmt.Sprintf("Value ( %s ) for parameter maxResults is invalid. Expecting an integer.", c.form.Get("MaxResults")))
		case v < rng.min:
			return apiErr("InvalidParameterValue", fmt.Sprintf("Value ( %s ) for parameter maxResults is invalid. Expecting a value greater than %d.", c.form.Get("MaxResults"), rng.min))
		case v > rng.max:
			return apiErr("InvalidParameterValue", fmt.Sprintf("Value ( %s ) for parameter maxResults is invalid. Expecting a value less than or equal to %d.", c.form.Get("MaxResults"), rng.max))
		}
		max = v
	}
	fp := c.fingerprint()
	start := 0
	if tok := c.form.Get("NextToken"); tok != "" {
		var err error
		if start, err = decodeToken(tok, fp, l.n); err != nil {
			return err
		}
	}
	c.w.open(l.set)
	i, got := start, 0
	for ; i < l.n && got < max; i++ {
		if l.live(i) && keep(i) {
			l.emit(i)
			got++
		}
	}
	c.w.close(l.set)
	c.items = got
	// A token only when another match exists, so N matches take exactly
	// ceil(N / MaxResults) pages: the minimum the benchmarks measure against.
	for ; i < l.n; i++ {
		if l.live(i) && keep(i) {
			c.w.el("nextToken", encodeToken(i, fp))
			break
		}
	}
	return nil
}

func (c *ec2Call) tagSet(id tagSetID) {
	tags := c.st.tags.get(id)
	if len(tags) == 0 {
		return // AWS omits an empty tagSet
	}
	c.w.open("tagSet")
	for _, t := range tags {
		c.w.open("item").el("key", t.Key).el("value", t.Value).close("item")
	}
	c.w.close("tagSet")
}

// owners handles OwnerIds/Owners: self or our account match, anyone else
// (amazon, other accounts) owns nothing here.
func (c *ec2Call) owners(param string) bool {
	list := queryList(c.form, param)
	if len(list) == 0 {
		return true
	}
	for _, o := range list {
		if o == "self" || o == c.s.opts.Account {
			return true
		}
	}
	return false
}

func none(int) bool { return false }

func notFound(code, format string) func(string) error {
	return func(id string) error { return apiErr(code, fmt.Sprintf(format, id)) }
}

// --- snapshots

func (c *ec2Call) snapshotPred() (pred, error) {
	st := c.st
	fs, err := queryFilters(c.form)
	if err != nil {
		return nil, err
	}
	p, err := compile(st.tags, fs, func(i int) tagSetID { return st.snapshots[i].tags }, func(name string, vals []string) (pred, bool) {
		switch name {
		case "snapshot-id":
			return refPred(vals, "snap", len(st.snapshots), func(i int) int32 { return int32(i) }), true
		case "volume-id":
			return refPred(vals, "vol", len(st.volumes), func(i int) int32 { return st.snapshots[i].volume }), true
		case "status":
			return strPred(vals, func(i int) string { s, _ := st.snapState(i, c.clock); return stateNames[s] }), true
		case "owner-id":
			return strPred(vals, func(int) string { return c.s.opts.Account }), true
		case "description":
			return strPred(vals, func(i int) string { return st.strs[st.snapshots[i].desc] }), true
		case "encrypted":
			return boolPred(vals, func(i int) bool { return st.snapshots[i].enc }), true
		case "volume-size":
			return intPred(vals, func(i int) int64 { return int64(st.snapshots[i].size) }), true
		case "progress":
			return strPred(vals, func(i int) string { _, p := st.snapState(i, c.clock); return progressText(p) }), true
		case "storage-tier":
			return strPred(vals, func(int) string { return "standard" }), true
		}
		return nil, false
	})
	if err != nil {
		return nil, err
	}
	if !c.owners("Owner") {
		return none, nil
	}
	if len(queryList(c.form, "RestorableBy")) > 0 {
		return none, nil // no snapshot here is shared with anyone
	}
	return p, nil
}

func (c *ec2Call) describeSnapshots() error {
	c.st.mu.RLock()
	defer c.st.mu.RUnlock()
	keep, err := c.snapshotPred()
	if err != nil {
		return err
	}
	return c.list(listing{set: "snapshotSet", idParam: "SnapshotId", prefix: "snap", n: len(c.st.snapshots),
		live:     func(i int) bool { return c.st.snapshots[i].state != stateGone },
		notFound: notFound("InvalidSnapshot.NotFound", "The snapshot '%s' does not exist."),
		emit: func(i int) {
			c.w.open("item")
			c.snapshotFields(i, false)
			c.w.close("item")
		}}, keep)
}

// snapshotFields writes snapshot i. created answers a create call: AWS
// reports a new snapshot as pending (it completes later). Unless
// Options.Pending is set it is stored completed at once, so the next
// Describe finds it completed and a backup run is not slowed by waiting;
// with Options.Pending it stays pending, its progress growing, until its
// time has passed.
func (c *ec2Call) snapshotFields(i int, created bool) {
	sn := &c.st.snapshots[i]
	w := c.w
	w.elID("snapshotId", "snap", i)
	if sn.volume >= 0 {
		w.elID("volumeId", "vol", int(sn.volume))
	} else {
		w.el("volumeId", "vol-ffffffff")
	}
	state, p := c.st.snapState(i, c.clock)
	status, progress := stateNames[state], progressText(p)
	if created {
		status, progress = "pending", ""
	}
	w.el("status", status).elTime("startTime", sn.start).el("progress", progress)
	if state == snapError && !created {
		w.el("statusMessage", failMessage)
	}
	w.el("ownerId", c.s.opts.Account).elInt("volumeSize", int64(sn.size)).el("description", c.st.strs[sn.desc])
	w.elBool("encrypted", sn.enc).el("storageTier", "standard")
	c.tagSet(sn.tags)
}

// --- volumes

func (c *ec2Call) volumePred() (pred, error) {
	st := c.st
	fs, err := queryFilters(c.form)
	if err != nil {
		return nil, err
	}
	return compile(st.tags, fs, func(i int) tagSetID { return st.volumes[i].tags }, func(name string, vals []string) (pred, bool) {
		switch name {
		case "volume-id":
			return refPred(vals, "vol", len(st.volumes), func(i int) int32 { return int32(i) }), true
		case "status":
			return strPred(vals, func(i int) string { return stateNames[st.volumes[i].state] }), true
		case "attachment.instance-id":
			return refPred(vals, "i", len(st.instances), func(i int) int32 { return st.volumes[i].instance }), true
		case "attachment.status":
			return strPred(vals, func(i int) string {
				if st.volumes[i].instance >= 0 {
					return "attached"
				}
				return ""
			}), true
		case "attachment.delete-on-termination":
			return boolPred(vals, func(i int) bool { return st.volumes[i].root }), true
		case "snapshot-id":
			return refPred(vals, "snap", len(st.snapshots), func(i int) int32 { return st.volumes[i].snapshot }), true
		case "size":
			return intPred(vals, func(i int) int64 { return int64(st.volumes[i].size) }), true
		case "volume-type":
			return strPred(vals, func(i int) string { return st.volumes[i].volumeType() }), true
		case "encrypted":
			return boolPred(vals, func(int) bool { return false }), true
		case "availability-zone":
			return strPred(vals, func(i int) string { return c.az(st.volumes[i].az) }), true
		}
		return nil, false
	})
}

func (c *ec2Call) az(z uint8) string {
	return c.region() + zones[int(z)%len(zones)]
}

// region is the region the request was signed for.
func (c *ec2Call) region() string { return c.st.region }

func (c *ec2Call) describeVolumes() error {
	c.st.mu.RLock()
	defer c.st.mu.RUnlock()
	keep, err := c.volumePred()
	if err != nil {
		return err
	}
	region := c.region()
	return c.list(listing{set: "volumeSet", idParam: "VolumeId", prefix: "vol", n: len(c.st.volumes),
		live:     func(i int) bool { return c.st.volumes[i].state != stateGone },
		notFound: notFound("InvalidVolume.NotFound", "The volume '%s' does not exist."),
		emit:     func(i int) { c.volumeItem(i, region) }}, keep)
}

func (c *ec2Call) volumeItem(i int, region string) {
	v := &c.st.volumes[i]
	w := c.w
	w.open("item").elID("volumeId", "vol", i).elInt("size", int64(v.size))
	if v.snapshot >= 0 {
		w.elID("snapshotId", "snap", int(v.snapshot))
	} else {
		w.el("snapshotId", "")
	}
	w.el("availabilityZone", region+zones[int(v.az)%len(zones)]).el("status", stateNames[v.state]).elTime("createTime", v.created)
	w.open("attachmentSet")
	if v.instance >= 0 {
		w.open("item").elID("volumeId", "vol", i).elID("instanceId", "i", int(v.instance)).el("device", devices[v.device])
		w.el("status", "attached").elTime("attachTime", c.st.instances[v.instance].launched).elBool("deleteOnTermination", v.root).close("item")
	}
	w.close("attachmentSet")
	c.tagSet(v.tags)
	// st1 and sc1 have no provisioned IOPS or throughput to report.
	w.el("volumeType", v.volumeType())
	if !v.hdd {
		w.elInt("iops", 3000).elInt("throughput", 125)
	}
	w.elBool("encrypted", false).elBool("multiAttachEnabled", false)
	w.close("item")
}

// --- instances

func (c *ec2Call) instancePred() (pred, error) {
	st := c.st
	fs, err := queryFilters(c.form)
	if err != nil {
		return nil, err
	}
	return compile(st.tags, fs, func(i int) tagSetID { return st.instances[i].tags }, func(name string, vals []string) (pred, bool) {
		switch name {
		case "instance-id":
			return refPred(vals, "i", len(st.instances), func(i int) int32 { return int32(i) }), true
		case "instance-state-name":
			return strPred(vals, func(i int) string { return stateNames[st.instances[i].state] }), true
		case "instance-state-code":
			return intPred(vals, func(i int) int64 { return int64(instCodes[st.instances[i].state]) }), true
		case "instance-type":
			return strPred(vals, func(i int) string { return instanceTypes[st.instances[i].typ] }), true
		case "image-id":
			return refPred(vals, "ami", len(st.images), func(i int) int32 { return st.instances[i].image }), true
		case "availability-zone":
			return strPred(vals, func(i int) string { return c.az(st.instances[i].az) }), true
		case "owner-id":
			return strPred(vals, func(int) string { return c.s.opts.Account }), true
		case "block-device-mapping.volume-id":
			return refsPred(vals, "vol", len(st.volumes), func(i int) []int32 { return st.instances[i].volumes }), true
		}
		return nil, false
	})
}

func (c *ec2Call) describeInstances() error {
	c.st.mu.RLock()
	defer c.st.mu.RUnlock()
	keep, err := c.instancePred()
	if err != nil {
		return err
	}
	region := c.region()
	return c.list(listing{set: "reservationSet", idParam: "InstanceId", prefix: "i", n: len(c.st.instances),
		live:     func(i int) bool { return c.st.instances[i].state != stateGone },
		notFound: notFound("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist"),
		emit: func(i int) {
			// One reservation per instance: MaxResults then counts instances
			// and reservations alike.
			c.w.open("item").elID("reservationId", "r", i).el("ownerId", c.s.opts.Account).raw("<groupSet/>")
			c.w.open("instancesSet")
			c.instanceItem(i, region)
			c.w.close("instancesSet").close("item")
		}}, keep)
}

func (c *ec2Call) instanceItem(i int, region string) {
	in := &c.st.instances[i]
	w := c.w
	w.open("item").elID("instanceId", "i", i)
	if in.image >= 0 {
		w.elID("imageId", "ami", int(in.image))
	} else {
		w.el("imageId", "ami-00000000000000000")
	}
	w.open("instanceState").elInt("code", int64(instCodes[in.state])).el("name", stateNames[in.state]).close("instanceState")
	w.el("privateDnsName", "").el("dnsName", "")
	if in.state == instStopped || in.state == instTerminated {
		w.el("reason", "User initiated ("+time.Unix(in.stopped, 0).UTC().Format("2006-01-02 15:04:05 GMT")+")")
	} else {
		w.el("reason", "")
	}
	w.elInt("amiLaunchIndex", 0).el("instanceType", instanceTypes[in.typ]).elTime("launchTime", in.launched)
	w.open("placement").el("availabilityZone", region+zones[int(in.az)%len(zones)]).el("tenancy", "default").close("placement")
	w.open("monitoring").el("state", "disabled").close("monitoring")
	w.el("architecture", "x86_64").el("rootDeviceType", "ebs").el("rootDeviceName", devices[0])
	w.open("blockDeviceMapping")
	for _, v := range in.volumes {
		vol := &c.st.volumes[v]
		w.open("item").el("deviceName", devices[vol.device]).open("ebs").elID("volumeId", "vol", int(v))
		w.el("status", "attached").elTime("attachTime", in.launched).elBool("deleteOnTermination", vol.root).close("ebs").close("item")
	}
	w.close("blockDeviceMapping")
	w.el("virtualizationType", "hvm").el("hypervisor", "xen")
	c.tagSet(in.tags)
	w.close("item")
}

func (c *ec2Call) describeInstanceAttribute() error {
	c.st.mu.RLock()
	defer c.st.mu.RUnlock()
	id := c.form.Get("InstanceId")
	i := parseID("i", id, len(c.st.instances))
	if id == "" {
		return apiErr("MissingParameter", "The request must contain the parameter InstanceId")
	}
	if i < 0 || c.st.instances[i].state == stateGone {
		return apiErr("InvalidInstanceID.NotFound", fmt.Sprintf("The instance ID '%s' does not exist", id))
	}
	in := &c.st.instances[i]
	c.w.el("instanceId", id)
	c.items = 1
	// Every attribute the API documents (InstanceAttributeName) is
	// answered, with what a plain EBS-backed HVM instance would carry.
	w := c.w
	boolAttr := func(name string, v bool) { w.open(name).elBool("value", v).close(name) }
	strAttr := func(name, v string) { w.open(name).el("value", v).close(name) }
	switch attr := c.form.Get("Attribute"); attr {
	case "disableApiTermination":
		boolAttr(attr, in.noTerm)
	case "disableApiStop", "ebsOptimized":
		boolAttr(attr, false)
	case "enaSupport", "sourceDestCheck":
		boolAttr(attr, true)
	case "instanceType":
		strAttr(attr, instanceTypes[in.typ])
	case "instanceInitiatedShutdownBehavior":
		strAttr(attr, "stop")
	case "rootDeviceName":
		strAttr(attr, devices[0])
	case "kernel", "ramdisk", "userData", "sriovNetSupport", "productCodes", "groupSet":
		w.raw("<" + attr + "/>") // none set
	case "enclaveOptions":
		w.open(attr).elBool("enabled", false).close(attr)
	case "blockDeviceMapping":
		w.open(attr)
		for _, v := range in.volumes {
			vol := &c.st.volumes[v]
			w.open("item").el("deviceName", devices[vol.device]).open("ebs").elID("volumeId", "vol", int(v))
			w.el("status", "attached").elTime("attachTime", in.launched).elBool("deleteOnTermination", vol.root).close("ebs").close("item")
		}
		w.close(attr)
	default:
		return apiErr("InvalidParameterValue", fmt.Sprintf("Value (%s) for parameter attribute is invalid. Unknown attribute.", attr))
	}
	return nil
}

// --- images

func (c *ec2Call) describeImages() error {
	st := c.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	fs, err := queryFilters(c.form)
	if err != nil {
		return err
	}
	keep, err := compile(st.tags, fs, func(i int) tagSetID { return st.images[i].tags }, func(name string, vals []string) (pred, bool) {
		switch name {
		case "image-id":
			return refPred(vals, "ami", len(st.images), func(i int) int32 { return int32(i) }), true
		case "state":
			return strPred(vals, func(i int) string { return stateNames[st.images[i].state] }), true
		case "name":
			return strPred(vals, imageName), true
		case "owner-id":
			return strPred(vals, func(int) string { return c.s.opts.Account }), true
		case "block-device-mapping.snapshot-id":
			return refsPred(vals, "snap", len(st.snapshots), func(i int) []int32 { return st.images[i].snapshots }), true
		}
		return nil, false
	})
	if err != nil {
		return err
	}
	if !c.owners("Owner") {
		keep = none
	}
	return c.list(listing{set: "imagesSet", idParam: "ImageId", prefix: "ami", n: len(st.images),
		live:     func(i int) bool { return st.images[i].state != stateGone },
		notFound: notFound("InvalidAMIID.NotFound", "The image id '[%s]' does not exist"),
		emit:     c.imageItem}, keep)
}

func imageName(i int) string { return fmt.Sprintf("bench-ami-%06d", i) }

func (c *ec2Call) imageItem(i int) {
	im := &c.st.images[i]
	w := c.w
	w.open("item").el("imageId", formatID("ami", i)).el("imageLocation", c.s.opts.Account+"/"+imageName(i))
	w.el("imageState", stateNames[im.state]).el("imageOwnerId", c.s.opts.Account).elTime("creationDate", im.created)
	w.elBool("isPublic", false).el("architecture", "x86_64").el("imageType", "machine").el("name", imageName(i))
	w.el("rootDeviceType", "ebs").el("rootDeviceName", devices[0])
	w.open("blockDeviceMapping")
	for k, s := range im.snapshots {
		w.open("item").el("deviceName", devices[k%len(devices)]).open("ebs").el("snapshotId", formatID("snap", int(s)))
		w.elInt("volumeSize", int64(c.st.snapshots[s].size)).elBool("deleteOnTermination", true).el("volumeType", "gp3").elBool("encrypted", false)
		w.close("ebs").close("item")
	}
	w.close("blockDeviceMapping")
	w.el("virtualizationType", "hvm").el("hypervisor", "xen")
	c.tagSet(im.tags)
	w.close("item")
}

// --- addresses (DescribeAddresses has no pagination in AWS)

func publicIP(i int) string { return fmt.Sprintf("198.18.%d.%d", (i/256)%256, i%256) }

func (c *ec2Call) describeAddresses() error {
	st := c.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	fs, err := queryFilters(c.form)
	if err != nil {
		return err
	}
	keep, err := compile(st.tags, fs, func(i int) tagSetID { return st.addresses[i].tags }, func(name string, vals []string) (pred, bool) {
		switch name {
		case "allocation-id":
			return refPred(vals, "eipalloc", len(st.addresses), func(i int) int32 { return int32(i) }), true
		case "association-id":
			return refPred(vals, "eipassoc", len(st.addresses), func(i int) int32 {
				if st.addresses[i].instance >= 0 {
					return int32(i)
				}
				return -1
			}), true
		case "instance-id":
			return refPred(vals, "i", len(st.instances), func(i int) int32 { return st.addresses[i].instance }), true
		case "public-ip":
			return strPred(vals, publicIP), true
		case "domain":
			return strPred(vals, func(int) string { return "vpc" }), true
		}
		return nil, false
	})
	if err != nil {
		return err
	}
	var idx []int
	for _, id := range queryList(c.form, "AllocationId") {
		i := parseID("eipalloc", id, len(st.addresses))
		if i < 0 || st.addresses[i].gone {
			return apiErr("InvalidAllocationID.NotFound", fmt.Sprintf("The allocation ID '%s' does not exist", id))
		}
		idx = append(idx, i)
	}
	for _, ip := range queryList(c.form, "PublicIp") {
		found := -1
		for i := range st.addresses {
			if !st.addresses[i].gone && publicIP(i) == ip {
				found = i
			}
		}
		if found < 0 {
			return apiErr("InvalidAddress.NotFound", fmt.Sprintf("Address '%s' not found.", ip))
		}
		idx = append(idx, found)
	}
	if len(idx) == 0 {
		for i := range st.addresses {
			if !st.addresses[i].gone {
				idx = append(idx, i)
			}
		}
	}
	w := c.w
	w.open("addressesSet")
	for _, i := range idx {
		if !keep(i) {
			continue
		}
		a := &st.addresses[i]
		w.open("item").el("publicIp", publicIP(i)).el("allocationId", formatID("eipalloc", i)).el("domain", "vpc")
		if a.instance >= 0 {
			w.el("instanceId", formatID("i", int(a.instance))).el("associationId", formatID("eipassoc", i))
		}
		w.el("networkBorderGroup", c.region())
		c.tagSet(a.tags)
		w.close("item")
		c.items++
	}
	w.close("addressesSet")
	return nil
}
