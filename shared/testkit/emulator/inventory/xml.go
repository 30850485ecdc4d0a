package inventory

import (
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// xw writes XML straight into a byte slice: a page of 1 000 snapshots is
// written without reflection and without a per-item allocation.
type xw struct{ b []byte }

var xwPool = sync.Pool{New: func() any { return &xw{b: make([]byte, 0, 64<<10)} }}

func newXW() *xw {
	w := xwPool.Get().(*xw)
	w.b = w.b[:0]
	return w
}

func (w *xw) release() {
	if cap(w.b) <= 4<<20 { // don't keep one unpaginated 200 000-item answer alive
		xwPool.Put(w)
	}
}

func (w *xw) raw(s string) *xw { w.b = append(w.b, s...); return w }

func (w *xw) open(name string) *xw {
	w.b = append(w.b, '<')
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
	return w
}

func (w *xw) close(name string) *xw {
	w.b = append(w.b, '<', '/')
	w.b = append(w.b, name...)
	w.b = append(w.b, '>')
	return w
}

func (w *xw) el(name, v string) *xw {
	w.open(name)
	w.text(v)
	return w.close(name)
}

func (w *xw) elID(name, prefix string, index int) *xw {
	w.open(name)
	w.b = appendID(w.b, prefix, index)
	return w.close(name)
}

func (w *xw) elInt(name string, v int64) *xw {
	w.open(name)
	w.b = strconv.AppendInt(w.b, v, 10)
	return w.close(name)
}

func (w *xw) elBool(name string, v bool) *xw {
	w.open(name)
	w.b = strconv.AppendBool(w.b, v)
	return w.close(name)
}

func (w *xw) elTime(name string, unix int64) *xw {
	w.open(name)
	w.b = time.Unix(unix, 0).UTC().AppendFormat(w.b, "2006-01-02T15:04:05.000Z")
	return w.close(name)
}

// text escapes what XML requires; synthetic values rarely need it.
func (w *xw) text(s string) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '<':
				w.b = append(w.b, "&lt;"...)
			case '>':
				w.b = append(w.b, "&gt;"...)
			case '&':
				w.b = append(w.b, "&amp;"...)
			case '"':
				w.b = append(w.b, "&quot;"...)
			case '\'':
				w.b = append(w.b, "&apos;"...)
			case '\r':
				w.b = append(w.b, "&#xD;"...)
			default:
				w.b = append(w.b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			w.b = append(w.b, "\uFFFD"...)
		} else {
			w.b = append(w.b, s[i:i+size]...)
		}
		i += size
	}
}
