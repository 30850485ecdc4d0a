package inventory

import (
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Tag is one key/value pair on a resource.
type Tag struct{ Key, Value string }

// tagSetID names an interned, key-sorted tag set; 0 is the empty set.
// Resources hold a 4-byte id instead of their own slice: synthetic estates
// share a handful of tag sets, and a CreateTags over 1 000 resources with
// the same change makes one new set, not 1 000.
type tagSetID uint32

type tagTable struct {
	sets  [][]Tag
	index map[string]tagSetID
}

func newTagTable() *tagTable {
	return &tagTable{sets: [][]Tag{nil}, index: map[string]tagSetID{"": 0}}
}

func (t *tagTable) get(id tagSetID) []Tag { return t.sets[id] }

// intern returns the id of tags (any order, later keys win).
func (t *tagTable) intern(tags []Tag) tagSetID {
	if len(tags) == 0 {
		return 0
	}
	s := make([]Tag, 0, len(tags))
	for _, tg := range tags {
		if i := indexOf(s, tg.Key); i >= 0 {
			s[i].Value = tg.Value
			continue
		}
		s = append(s, tg)
	}
	sort.Slice(s, func(i, j int) bool { return s[i].Key < s[j].Key })
	var b strings.Builder
	for _, tg := range s {
		b.WriteString(tg.Key)
		b.WriteByte(0)
		b.WriteString(tg.Value)
		b.WriteByte(1)
	}
	key := b.String()
	if id, ok := t.index[key]; ok {
		return id
	}
	id := tagSetID(len(t.sets))
	t.sets = append(t.sets, s)
	t.index[key] = id
	return id
}

// with is id's set plus add (overwriting equal keys).
func (t *tagTable) with(id tagSetID, add []Tag) tagSetID {
	return t.intern(append(append([]Tag(nil), t.sets[id]...), add...))
}

// without is id's set minus del: a deletion with a value only removes the
// tag when the value matches, as DeleteTags documents.
func (t *tagTable) without(id tagSetID, del []tagDeletion) tagSetID {
	var keep []Tag
	for _, tg := range t.sets[id] {
		drop := len(del) == 0 && !strings.HasPrefix(tg.Key, "aws:")
		for _, d := range del {
			if d.key == tg.Key && (!d.hasValue || d.value == tg.Value) {
				drop = true
			}
		}
		if !drop {
			keep = append(keep, tg)
		}
	}
	return t.intern(keep)
}

type tagDeletion struct {
	key, value string
	hasValue   bool
}

func indexOf(tags []Tag, key string) int {
	for i, tg := range tags {
		if tg.Key == key {
			return i
		}
	}
	return -1
}

func lookup(tags []Tag, key string) (string, bool) {
	if i := indexOf(tags, key); i >= 0 {
		return tags[i].Value, true
	}
	return "", false
}

// Resource ids are "<prefix>-0" + 16 hex digits of (index+1)*idMul, a
// bijection on uint64: ids look like AWS's 17-digit ids, are deterministic,
// and map back to their slice index without a map from id to index.
const idMul uint64 = 0x9E3779B97F4A7C15

var idInv = func() uint64 {
	inv := idMul // Newton's iteration for the inverse of an odd number mod 2^64
	for range 6 {
		inv *= 2 - idMul*inv
	}
	return inv
}()

func formatID(prefix string, index int) string {
	var b [40]byte
	return string(appendID(b[:0], prefix, index))
}

// appendID writes the id without allocating: pages of 1 000 items write
// two or three ids each.
func appendID(out []byte, prefix string, index int) []byte {
	n := (uint64(index)+1)*idMul ^ salt(prefix)
	var hex [16]byte
	h := strconv.AppendUint(hex[:0], n, 16)
	out = append(out, prefix...)
	out = append(out, '-', '0')
	for range 16 - len(h) {
		out = append(out, '0')
	}
	return append(out, h...)
}

// salt keeps a volume's id from repeating its snapshot's digits.
func salt(prefix string) uint64 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(prefix); i++ {
		h = (h ^ uint64(prefix[i])) * 1099511628211
	}
	return h
}

// parseID is the index id names, or -1 when id is not one of prefix's.
func parseID(prefix, id string, n int) int {
	rest, ok := strings.CutPrefix(id, prefix+"-")
	if !ok || len(rest) != 17 {
		return -1
	}
	v, err := strconv.ParseUint(rest, 16, 64)
	if err != nil {
		return -1
	}
	i := (v^salt(prefix))*idInv - 1
	if i >= uint64(n) {
		return -1
	}
	return int(i)
}

// Resource states, one byte each.
const (
	stateGone uint8 = iota // deleted: never listed again
	snapPending
	snapCompleted
	volAvailable
	volInUse
	instPending
	instRunning
	instStopping
	instStopped
	instTerminated
	imgAvailable
	snapError // a pending snapshot that failed (PendingSnapshots.FailEvery)
)

var stateNames = [...]string{stateGone: "deleted", snapPending: "pending", snapCompleted: "completed",
	volAvailable: "available", volInUse: "in-use", instPending: "pending", instRunning: "running",
	instStopping: "stopping", instStopped: "stopped", instTerminated: "terminated", imgAvailable: "available", snapError: "error"}

var instCodes = [...]int{instPending: 0, instRunning: 16, instStopping: 64, instStopped: 80, instTerminated: 48}

// The compact records: times are Unix seconds, references are slice indexes
// (-1 for none), strings come from interned tables.
type snapshot struct {
	start  int64
	volume int32
	size   int32
	tags   tagSetID
	desc   uint32
	state  uint8
	enc    bool
}

type volume struct {
	created  int64
	size     int32
	instance int32 // attached to, or -1
	snapshot int32 // created from, or -1
	tags     tagSetID
	state    uint8
	az       uint8
	device   uint8 // index into devices while attached
	root     bool  // deleted with its instance
	hdd      bool  // st1 (Spec.HDDVolumes), else gp3
}

func (v *volume) volumeType() string {
	if v.hdd {
		return "st1"
	}
	return "gp3"
}

type instance struct {
	launched int64
	stopped  int64 // when it last stopped, for StateTransitionReason
	volumes  []int32
	tags     tagSetID
	image    int32
	state    uint8
	az       uint8
	typ      uint8 // index into instanceTypes
	noTerm   bool  // DisableApiTermination
}

// instanceTypes are the types an instance can have: the estate's instances
// are t2.micro (the tool's default type), scheduled ones t3.micro.
var instanceTypes = [...]string{typeT2Micro: "t2.micro", typeT3Micro: "t3.micro"}

const (
	typeT2Micro uint8 = iota
	typeT3Micro
)

type image struct {
	created   int64
	snapshots []int32
	tags      tagSetID
	state     uint8
}

type address struct {
	instance int32
	tags     tagSetID
	gone     bool
}

var zones = []string{"a", "b", "c"}

var devices = []string{"/dev/xvda", "/dev/sdf", "/dev/sdg", "/dev/sdh", "/dev/sdi", "/dev/sdj"}

// ec2Store is one region's EC2 estate.
type ec2Store struct {
	region    string
	mu        sync.RWMutex
	tags      *tagTable
	strs      []string // interned descriptions
	strIndex  map[string]uint32
	snapshots []snapshot
	volumes   []volume
	instances []instance
	images    []image
	addresses []address
	inUse     map[int32]int32      // snapshot -> image that needs it
	pending   map[int32]inProgress // snapshots in progress (Options.Pending)
	made      map[int32]int        // snapshots created of each volume (PendingSnapshots.FailEvery)
}

func newEC2Store(region string) *ec2Store {
	return &ec2Store{region: region, inUse: map[int32]int32{}, pending: map[int32]inProgress{}, made: map[int32]int{}, tags: newTagTable(),
		strs: []string{""}, strIndex: map[string]uint32{"": 0}}
}

func (s *ec2Store) str(v string) uint32 {
	if i, ok := s.strIndex[v]; ok {
		return i
	}
	i := uint32(len(s.strs))
	s.strs = append(s.strs, v)
	s.strIndex[v] = i
	return i
}
