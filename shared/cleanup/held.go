package cleanup

import (
	"sort"

	"github.com/aws-commander/commander/shared/cleanup/plan"
)

// held is a resource kept until its type's listing ends, to act on it or
// to remove its marks: its id, the reason a report line would show, and,
// for kinds that read more than the id, the rest of its identity: under
// 100 bytes with the id, where a listed resource with its tag map and
// decision takes close to a kilobyte, so 200 000 acts fit a small Lambda.
type held struct {
	id     string
	reason string         // empty when no report line can show it any more
	more   *plan.Resource // the resource, when the kind reads more than its id
	cost   *float64       // the saving of acting on it (nil: no estimate)
}

// heldChunk is how many held resources a chunk of a heldList holds, and how
// many items an act gets at once: a multiple of every batch an act makes
// (terminate 1000, stop and alarms 100), so acting a chunk at a time makes the calls
// acting on the whole list would.
const heldChunk = 1000

// heldList keeps the held resources of one type and region in fixed
// chunks: it grows without copying what it holds, and hands out items a
// batch at a time.
type heldList struct {
	typ, region string
	chunks      [][]held
	n           int
}

// add keeps it until the listing ends. Its reason is dropped once the
// report lists no more resources: no line would show it.
func (l *heldList) add(r *run, k kind, it item) {
	h := held{id: it.res.ID, cost: it.cost}
	if !r.reportFull() {
		h.reason = it.dec.Reason
	}
	if k.ref || it.res.Type != l.typ || it.res.Region != l.region {
		res := slim(it.res)
		h.more = &res
	}
	if l.n%heldChunk == 0 {
		l.chunks = append(l.chunks, make([]held, 0, heldChunk))
	}
	last := len(l.chunks) - 1
	l.chunks[last] = append(l.chunks[last], h)
	l.n++
}

// each calls fn with the held resources as items (decision dec, with each
// one's reason), size at a time, in the order they were kept.
func (l *heldList) each(dec plan.Decision, size int, fn func([]item)) {
	batch := make([]item, 0, min(size, l.n))
	for _, chunk := range l.chunks {
		for _, h := range chunk {
			it := item{dec: dec, cost: h.cost}
			if h.more != nil {
				it.res = *h.more
			} else {
				it.res = plan.Resource{Type: l.typ, ID: h.id, Region: l.region}
			}
			it.dec.Reason = h.reason
			batch = append(batch, it)
			if len(batch) == size {
				fn(batch)
				clear(batch)
				batch = batch[:0]
			}
		}
	}
	if len(batch) > 0 {
		fn(batch)
	}
}

// bySaving orders the held resources by the saving of acting on them,
// largest first, those without an estimate last, listing order among
// equals: a run cut short by its deadline or a failure has freed the most
// money it could. It sorts in place, across chunks, with no copy.
func (l *heldList) bySaving() { sort.Stable(savingOrder{l}) }

type savingOrder struct{ l *heldList }

func (s savingOrder) at(i int) *held { return &s.l.chunks[i/heldChunk][i%heldChunk] }
func (s savingOrder) Len() int       { return s.l.n }
func (s savingOrder) Swap(i, j int)  { *s.at(i), *s.at(j) = *s.at(j), *s.at(i) }
func (s savingOrder) Less(i, j int) bool {
	a, b := s.at(i).cost, s.at(j).cost
	return a != nil && (b == nil || *a > *b)
}
