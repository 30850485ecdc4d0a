package tags

import (
	"reflect"
	"testing"
	"time"
)

type tag struct{ K, V *string }

func TestListAndMap(t *testing.T) {
	m := map[string]string{"b": "2", "a": "1", "empty": ""}
	list := List(m, func(k, v *string) tag { return tag{k, v} })
	var keys []string
	for _, tg := range list {
		keys = append(keys, *tg.K)
	}
	if !reflect.DeepEqual(keys, []string{"a", "b", "empty"}) {
		t.Errorf("keys = %v, want sorted", keys)
	}
	back := Map(list, func(t tag) *string { return t.K }, func(t tag) *string { return t.V })
	if !reflect.DeepEqual(back, m) {
		t.Errorf("round trip = %v, want %v", back, m)
	}
	withNil := Map([]tag{{K: ptr("k")}, {V: ptr("orphan value")}}, func(t tag) *string { return t.K }, func(t tag) *string { return t.V })
	if !reflect.DeepEqual(withNil, map[string]string{"k": ""}) {
		t.Errorf("nil value or key: %v", withNil)
	}
}

func TestManagedAndHelpers(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	got := Managed("alice", now)
	if got[ManagedBy] != ManagedByValue || got[CreatedBy] != "alice" || got[CreatedAt] != "2026-01-02T02:04:05Z" {
		t.Errorf("Managed = %v", got)
	}
	for v, want := range map[string]bool{"true": true, " TRUE ": true, "yes": false, "": false} {
		if IsTrue(v) != want {
			t.Errorf("IsTrue(%q) = %v", v, !want)
		}
	}
	if UserTag("aws:cloudformation:stack-name") || !UserTag("team") {
		t.Error("UserTag must refuse aws: keys only")
	}
	if v, ok := Lookup([]tag{{ptr("a"), ptr("1")}}, "a", func(t tag) *string { return t.K }, func(t tag) *string { return t.V }); !ok || v != "1" {
		t.Errorf("Lookup = %q, %v", v, ok)
	}
}

func ptr(s string) *string { return &s }
