package guard

import (
	"strings"
	"testing"
)

func TestProtected(t *testing.T) {
	cases := []struct {
		name string
		tags map[string]string
		want bool
	}{
		{"true", map[string]string{"commander:protect": "true"}, true},
		{"TRUE padded", map[string]string{"commander:protect": " TRUE "}, true},
		{"false", map[string]string{"commander:protect": "false"}, false},
		{"FALSE", map[string]string{"commander:protect": "FALSE"}, false},
		{"padded false protects: IAM cannot trim", map[string]string{"commander:protect": " false"}, true},
		{"yes protects: only false does not", map[string]string{"commander:protect": "yes"}, true},
		{"empty value protects", map[string]string{"commander:protect": ""}, true},
		{"key in another case", map[string]string{"Commander:Protect": "true"}, true},
		{"key padded", map[string]string{" commander:protect ": "true"}, true},
		{"one variant says false, another true", map[string]string{"commander:protect": "false", "COMMANDER:PROTECT": "true"}, true},
		{"absent", map[string]string{"Name": "web"}, false},
		{"a longer key is another key", map[string]string{"commander:protected": "true"}, false},
		{"nil tags", nil, false},
	}
	for _, c := range cases {
		if got := Protected(c.tags, "commander:protect"); got != c.want {
			t.Errorf("%s: Protected = %v, want %v", c.name, got, c.want)
		}
	}
}

// The IAM conditions state the same rule: present and not "false" (IAM
// compares condition key names without regard to case).
func TestProtectedConditions(t *testing.T) {
	c := ProtectedConditions("commander:protect")
	if c["Null"]["aws:ResourceTag/commander:protect"] != "false" || c["StringNotEqualsIgnoreCase"]["aws:ResourceTag/commander:protect"] != "false" {
		t.Errorf("ProtectedConditions = %v", c)
	}
	ch := ProtectTagChangeConditions("commander:protect")
	if ch["StringNotEqualsIgnoreCase"]["aws:RequestTag/commander:protect"] != "true" {
		t.Errorf("a change to true must stay allowed: %v", ch)
	}
	if keys, _ := ch["ForAnyValue:StringEqualsIgnoreCase"]["aws:TagKeys"].([]string); len(keys) != 1 || keys[0] != "commander:protect" {
		t.Errorf("the change must name the key: %v", ch)
	}
	if _, ok := ProtectedConditions("commander:protect")["StringNotEqualsIgnoreCase"]["aws:RequestTag/commander:protect"]; ok {
		t.Error("ProtectTagChangeConditions must not change ProtectedConditions' maps")
	}
	rm := ProtectTagRemovalConditions("commander:protect")
	if _, ok := rm["StringNotEqualsIgnoreCase"]["aws:RequestTag/commander:protect"]; ok || rm["Null"]["aws:ResourceTag/commander:protect"] != "false" {
		t.Errorf("a removal is refused whatever the request says: %v", rm)
	}
	obj := ObjectProtectTagChangeConditions("commander:protect")
	if obj["Null"]["s3:ExistingObjectTag/commander:protect"] != "false" || obj["StringNotEqualsIgnoreCase"]["s3:ExistingObjectTag/commander:protect"] != "false" ||
		obj["StringNotEqualsIgnoreCase"]["s3:RequestObjectTag/commander:protect"] != "true" {
		t.Errorf("object conditions = %v", obj)
	}
	if _, ok := ObjectProtectedConditions("commander:protect")["StringNotEqualsIgnoreCase"]["s3:RequestObjectTag/commander:protect"]; ok {
		t.Error("ObjectProtectTagChangeConditions must not change ObjectProtectedConditions' maps")
	}
	for _, tc := range []struct {
		k    string
		want bool
	}{{"commander:protect", true}, {" Commander:PROTECT", true}, {"commander:protected", false}} {
		if got := ProtectKey(tc.k, "commander:protect"); got != tc.want {
			t.Errorf("ProtectKey(%q) = %v", tc.k, got)
		}
	}
}

func TestBreaker(t *testing.T) {
	b := Breaker{MaxCount: 25, MaxPercent: 20, MinCount: 5}
	cases := []struct {
		name                string
		planned, candidates int
		wantErr             string
	}{
		{"nothing planned", 0, 100, ""},
		{"within both limits", 10, 100, ""},
		{"at the count limit", 25, 1000, ""},
		{"over the count", 26, 1000, "limit of 25"},
		{"over the percentage", 21, 100, "limit of 20%"},
		{"small inventory below the floor", 3, 4, ""},
		{"floor reached, percentage applies", 6, 10, "60.0%"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := b.Check(c.planned, c.candidates)
			if c.wantErr == "" && err != nil {
				t.Fatalf("tripped: %v", err)
			}
			if c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
		})
	}
	if err := (Breaker{MaxCount: 0}).Check(1, 1); err == nil {
		t.Error("MaxCount 0 must allow nothing")
	}
}
