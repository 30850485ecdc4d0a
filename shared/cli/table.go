package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/aws-commander/commander/shared/cli/cliname"
)

// node is a JSON value that keeps its object members in the server's order,
// so a table's columns come in the order the api declares its fields
// (instanceId before state before tags).
type node struct {
	obj    []member // an object (isObj)
	isObj  bool
	arr    []node // an array (isArr)
	isArr  bool
	scalar any // string, json.Number, bool or nil
}

type member struct {
	key string
	val node
}

func decodeNode(raw []byte) (node, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return readNode(dec)
}

func readNode(dec *json.Decoder) (node, error) {
	tok, err := dec.Token()
	if err != nil {
		return node{}, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := node{isObj: true}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return node{}, err
				}
				v, err := readNode(dec)
				if err != nil {
					return node{}, err
				}
				n.obj = append(n.obj, member{key: fmt.Sprint(k), val: v})
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := node{isArr: true}
			for dec.More() {
				v, err := readNode(dec)
				if err != nil {
					return node{}, err
				}
				n.arr = append(n.arr, v)
			}
			_, err := dec.Token()
			return n, err
		}
	}
	return node{scalar: tok}, nil
}

// isRecords reports whether n is a non-empty array of objects: a table.
func (n node) isRecords() bool {
	if !n.isArr || len(n.arr) == 0 {
		return false
	}
	for _, e := range n.arr {
		if !e.isObj {
			return false
		}
	}
	return true
}

// cell is a value in one table cell or after a "key:": scalars as written,
// a list of scalars comma-separated, a map of scalars as k=v sorted by key,
// anything deeper as compact JSON.
func (n node) cell(limit int) string {
	var s string
	switch {
	case n.isArr:
		parts := make([]string, 0, len(n.arr))
		for _, e := range n.arr {
			if e.isArr || e.isObj {
				return clip(n.json(), limit)
			}
			parts = append(parts, e.cell(limit))
		}
		s = strings.Join(parts, ",")
	case n.isObj:
		parts := make([]string, 0, len(n.obj))
		for _, m := range n.obj {
			if m.val.isArr || m.val.isObj {
				return clip(n.json(), limit)
			}
			parts = append(parts, m.key+"="+m.val.cell(limit))
		}
		sort.Strings(parts)
		s = strings.Join(parts, ",")
	case n.scalar == nil:
		s = ""
	default:
		s = fmt.Sprint(n.scalar)
	}
	return clip(strings.Join(strings.Fields(s), " "), limit)
}

func (n node) json() string {
	var b strings.Builder
	n.writeJSON(&b)
	return b.String()
}

func (n node) writeJSON(b *strings.Builder) {
	switch {
	case n.isObj:
		b.WriteByte('{')
		for i, m := range n.obj {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(m.key)
			b.Write(k)
			b.WriteByte(':')
			m.val.writeJSON(b)
		}
		b.WriteByte('}')
	case n.isArr:
		b.WriteByte('[')
		for i, e := range n.arr {
			if i > 0 {
				b.WriteByte(',')
			}
			e.writeJSON(b)
		}
		b.WriteByte(']')
	default:
		v, _ := json.Marshal(n.scalar)
		b.Write(v)
	}
}

func clip(s string, n int) string {
	if n > 0 && len([]rune(s)) > n {
		return string([]rune(s)[:n-1]) + "…"
	}
	return s
}

// render prints a result readably: a list of records as a table, an
// object's plain members as aligned "key: value" lines followed by a table
// per list of records it holds, a scalar as is.
func render(w io.Writer, n node) {
	switch {
	case n.isRecords():
		table(w, n.arr)
	case n.isArr:
		for _, e := range n.arr {
			fmt.Fprintln(w, e.cell(0))
		}
	case n.isObj:
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		var nested []member
		lines := 0
		for _, m := range n.obj {
			if m.val.isRecords() || m.val.isObj && len(m.val.obj) > 0 && hasDeep(m.val) {
				nested = append(nested, m)
				continue
			}
			if v := m.val.cell(200); v != "" {
				fmt.Fprintf(tw, "%s:\t%s\n", m.key, v)
				lines++
			}
		}
		tw.Flush()
		for i, m := range nested {
			if lines > 0 || i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "%s:\n", strings.ToUpper(cliname.Kebab(m.key)))
			render(&indent{w: w}, m.val)
		}
	default:
		fmt.Fprintln(w, n.cell(0))
	}
}

// hasDeep reports whether an object holds an array or object, so it reads
// better as its own block than as one k=v cell.
func hasDeep(n node) bool {
	for _, m := range n.obj {
		if m.val.isArr && len(m.val.arr) > 0 && (m.val.arr[0].isObj || m.val.arr[0].isArr) || m.val.isObj {
			return true
		}
	}
	return false
}

// table prints records with one column per key, in order of first
// appearance across the records.
func table(w io.Writer, rows []node) {
	var cols []string
	seen := map[string]bool{}
	for _, r := range rows {
		for _, m := range r.obj {
			if !seen[m.key] {
				seen[m.key] = true
				cols = append(cols, m.key)
			}
		}
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	head := make([]string, len(cols))
	for i, c := range cols {
		head[i] = strings.ToUpper(cliname.Kebab(c))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range rows {
		vals := map[string]string{}
		for _, m := range r.obj {
			vals[m.key] = m.val.cell(60)
		}
		line := make([]string, len(cols))
		for i, c := range cols {
			line[i] = vals[c]
			if line[i] == "" {
				line[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(line, "\t"))
	}
	tw.Flush()
}

// indent prefixes every line written through it with two spaces; it
// tracks line starts across writes (tabwriter writes a cell at a time).
type indent struct {
	w       io.Writer
	midLine bool
}

func (i *indent) Write(p []byte) (int, error) {
	var b strings.Builder
	for _, c := range string(p) {
		if !i.midLine && c != '\n' {
			b.WriteString("  ")
		}
		b.WriteRune(c)
		i.midLine = c != '\n'
	}
	if _, err := io.WriteString(i.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}
