package backup

import (
	"iter"
	"math"
	"slices"
	"strings"
	"time"
)

// managedSet is one region's snapshots made by this system under a policy,
// by source volume. A region may hold 150 000 of them and the job holds
// them all from listing to planning, so each is a 24-byte record: its id
// as the 68 bits of its 17 hex digits, its volume and policy as indexes of
// strings kept once, its time as Unix milliseconds (EC2's precision), its
// booleans as bits. No record points into the SDK's pages, which go as
// soon as they are read.
type managedSet struct {
	snaps    []managedSnap
	odd      map[int32]string // ids not of the form snap-<17 hex digits>, by record
	vols     []string         // source volumes, by index
	head     []int32          // per volume: its last added snapshot, -1 for none
	volIndex map[string]int32 // source volume -> index
	policies []string         // policies, by index (a handful: the configured ones and their copies')
	polIndex map[string]uint16
	// tags of the snapshots a cross-region copy may copy (its copy carries
	// them), by record; the others keep none.
	tags map[int32]map[string]string
	// msgs are AWS's state messages of the snapshots in state error, by
	// record: a handful at most, so not a field of every record.
	msgs map[int32]string
}

// managedSnap is one snapshot of a managedSet.
type managedSnap struct {
	at     int64  // backup time, Unix milliseconds; noTime for none
	idLo   uint64 // the id's last 16 hex digits
	prev   int32  // the volume's snapshot added before this one, -1 for none
	policy uint16
	flags  uint8
	idHi   uint8 // the id's first hex digit
}

const noTime = math.MinInt64

// Flags of a managedSnap.
const (
	fCompleted uint8 = 1 << iota
	fProtected
	fAWSBackup
	fThisRun
	fFailed
)

func newManagedSet() *managedSet {
	return &managedSet{volIndex: map[string]int32{}, polIndex: map[string]uint16{}}
}

// add records e as a snapshot of vol. Strings are copied, so e may point
// into an SDK page.
func (m *managedSet) add(vol string, e existing) {
	v, ok := m.volIndex[vol]
	if !ok {
		v = int32(len(m.vols))
		vol = strings.Clone(vol) // vol may be part of a page
		m.vols = append(m.vols, vol)
		m.head = append(m.head, -1)
		m.volIndex[vol] = v
	}
	p, ok := m.polIndex[e.Policy]
	if !ok {
		p = uint16(len(m.policies))
		pol := strings.Clone(e.Policy)
		m.policies = append(m.policies, pol)
		m.polIndex[pol] = p
	}
	s := managedSnap{at: noTime, prev: m.head[v], policy: p}
	i := int32(len(m.snaps))
	var packed bool
	if s.idHi, s.idLo, packed = packID(e.ID); !packed {
		if m.odd == nil {
			m.odd = map[int32]string{}
		}
		m.odd[i] = strings.Clone(e.ID)
	}
	if !e.Time.IsZero() {
		s.at = e.Time.UnixMilli()
	}
	for _, f := range []struct {
		on  bool
		bit uint8
	}{{e.Completed, fCompleted}, {e.Protected, fProtected}, {e.AWSBackup, fAWSBackup}, {e.ThisRun, fThisRun}, {e.Failed, fFailed}} {
		if f.on {
			s.flags |= f.bit
		}
	}
	m.snaps = append(m.snaps, s)
	m.head[v] = i
	if e.Message != "" {
		if m.msgs == nil {
			m.msgs = map[int32]string{}
		}
		m.msgs[i] = strings.Clone(e.Message)
	}
	if e.Tags != nil {
		if m.tags == nil {
			m.tags = map[int32]map[string]string{}
		}
		m.tags[i] = e.Tags
	}
}

// len is how many snapshots the set holds.
func (m *managedSet) len() int { return len(m.snaps) }

// volumes are the source volumes, sorted.
func (m *managedSet) volumes() []string {
	return slices.Sorted(slices.Values(m.vols))
}

// of yields vol's snapshots, newest added first.
func (m *managedSet) of(vol string) iter.Seq[existing] {
	return func(yield func(existing) bool) {
		v, ok := m.volIndex[vol]
		if !ok {
			return
		}
		for i := m.head[v]; i >= 0; i = m.snaps[i].prev {
			if !yield(m.get(i)) {
				return
			}
		}
	}
}

// get expands record i.
func (m *managedSet) get(i int32) existing {
	s := m.snaps[i]
	id, odd := m.odd[i]
	if !odd {
		id = unpackID(s.idHi, s.idLo)
	}
	e := existing{ID: id, Policy: m.policies[s.policy], Tags: m.tags[i], Message: m.msgs[i],
		Completed: s.flags&fCompleted != 0, Protected: s.flags&fProtected != 0, AWSBackup: s.flags&fAWSBackup != 0, ThisRun: s.flags&fThisRun != 0,
		Failed: s.flags&fFailed != 0}
	if s.at != noTime {
		e.Time = time.UnixMilli(s.at).UTC()
	}
	return e
}

const (
	idPrefix = "snap-"
	idDigits = 17
	hexDigit = "0123456789abcdef"
)

// packID reads an id of the form snap-<17 lowercase hex digits>.
func packID(id string) (hi uint8, lo uint64, ok bool) {
	if len(id) != len(idPrefix)+idDigits || id[:len(idPrefix)] != idPrefix {
		return 0, 0, false
	}
	for k, c := range []byte(id[len(idPrefix):]) {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		default:
			return 0, 0, false
		}
		if k == 0 {
			hi = d
			continue
		}
		lo = lo<<4 | uint64(d)
	}
	return hi, lo, true
}

func unpackID(hi uint8, lo uint64) string {
	var b [len(idPrefix) + idDigits]byte
	copy(b[:], idPrefix)
	b[len(idPrefix)] = hexDigit[hi]
	for k := len(b) - 1; k > len(idPrefix); k-- {
		b[k] = hexDigit[lo&0xf]
		lo >>= 4
	}
	return string(b[:])
}
