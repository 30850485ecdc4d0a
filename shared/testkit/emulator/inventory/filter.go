package inventory

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// pred keeps the resource at a slice index.
type pred func(i int) bool

type filter struct {
	name   string
	values []string
}

// queryList is the flattened EC2 query list name.1, name.2, ... in order.
func queryList(form url.Values, name string) []string {
	var out []string
	for n := 1; ; n++ {
		v, ok := form[name+"."+strconv.Itoa(n)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

func queryFilters(form url.Values) ([]filter, error) {
	var out []filter
	for n := 1; ; n++ {
		p := "Filter." + strconv.Itoa(n)
		name, ok := form[p+".Name"]
		if !ok {
			return out, nil
		}
		vals := queryList(form, p+".Value")
		if len(vals) == 0 {
			return nil, apiErr("InvalidParameterValue", fmt.Sprintf("The filter '%s' requires at least one value", name[0]))
		}
		out = append(out, filter{name: name[0], values: vals})
	}
}

// glob matches AWS filter values: * is any run of characters, ? one.
func glob(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	p, x := 0, 0
	star, mark := -1, 0
	for x < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[x]):
			p++
			x++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, x
			p++
		case star >= 0:
			p = star + 1
			mark++
			x = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func anyGlob(vals []string, s string) bool {
	for _, v := range vals {
		if glob(v, s) {
			return true
		}
	}
	return false
}

// tagPred handles tag:KEY, tag-key and tag-value. Tag sets are few, so the
// answer is memoized per set: a tag filter costs a map lookup per resource.
func tagPred(tt *tagTable, name string, vals []string, tagsOf func(int) tagSetID) (pred, bool) {
	var test func([]Tag) bool
	switch {
	case strings.HasPrefix(name, "tag:"):
		key := name[4:]
		test = func(tags []Tag) bool { v, ok := lookup(tags, key); return ok && anyGlob(vals, v) }
	case name == "tag-key":
		test = func(tags []Tag) bool {
			for _, t := range tags {
				if anyGlob(vals, t.Key) {
					return true
				}
			}
			return false
		}
	case name == "tag-value":
		test = func(tags []Tag) bool {
			for _, t := range tags {
				if anyGlob(vals, t.Value) {
					return true
				}
			}
			return false
		}
	default:
		return nil, false
	}
	memo := map[tagSetID]bool{}
	return func(i int) bool {
		id := tagsOf(i)
		r, ok := memo[id]
		if !ok {
			r = test(tt.get(id))
			memo[id] = r
		}
		return r
	}, true
}

func strPred(vals []string, get func(int) string) pred {
	return func(i int) bool { return anyGlob(vals, get(i)) }
}

// refPred matches an id-valued attribute (volume-id on a snapshot, ...)
// by index, so no id is formatted per resource; wildcards fall back to text.
func refPred(vals []string, prefix string, n int, get func(int) int32) pred {
	want := map[int32]bool{}
	for _, v := range vals {
		if strings.ContainsAny(v, "*?") {
			return func(i int) bool {
				r := get(i)
				return r >= 0 && anyGlob(vals, formatID(prefix, int(r)))
			}
		}
		if k := parseID(prefix, v, n); k >= 0 {
			want[int32(k)] = true
		}
	}
	return func(i int) bool { r := get(i); return r >= 0 && want[r] }
}

// refsPred matches an item when any of the ids it refers to (an instance's
// volumes, an image's snapshots) is among vals.
func refsPred(vals []string, prefix string, n int, get func(int) []int32) pred {
	want := map[int32]bool{}
	for _, v := range vals {
		if k := parseID(prefix, v, n); k >= 0 {
			want[int32(k)] = true
		}
	}
	return func(i int) bool {
		for _, r := range get(i) {
			if want[r] {
				return true
			}
		}
		return false
	}
}

func intPred(vals []string, get func(int) int64) pred {
	return func(i int) bool { return anyGlob(vals, strconv.FormatInt(get(i), 10)) }
}

func boolPred(vals []string, get func(int) bool) pred {
	return func(i int) bool { return anyGlob(vals, strconv.FormatBool(get(i))) }
}

func and(ps []pred) pred {
	switch len(ps) {
	case 0:
		return func(int) bool { return true }
	case 1:
		return ps[0]
	}
	return func(i int) bool {
		for _, p := range ps {
			if !p(i) {
				return false
			}
		}
		return true
	}
}

// compile builds the conjunction of filters; attr gives the predicate for a
// non-tag filter name, or false when the name is not one AWS accepts here.
func compile(tt *tagTable, fs []filter, tagsOf func(int) tagSetID, attr func(name string, vals []string) (pred, bool)) (pred, error) {
	var ps []pred
	for _, f := range fs {
		p, ok := tagPred(tt, f.name, f.values, tagsOf)
		if !ok {
			p, ok = attr(f.name, f.values)
		}
		if !ok {
			return nil, apiErr("InvalidParameterValue", fmt.Sprintf("The filter '%s' is invalid", f.name))
		}
		ps = append(ps, p)
	}
	return and(ps), nil
}
