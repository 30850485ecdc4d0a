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
		{"TRUE", map[string]string{"commander:protect": " TRUE "}, true},
		{"false", map[string]string{"commander:protect": "false"}, false},
		{"yes is not true", map[string]string{"commander:protect": "yes"}, false},
		{"absent", map[string]string{"Name": "web"}, false},
		{"nil tags", nil, false},
	}
	for _, c := range cases {
		if got := Protected(c.tags, "commander:protect"); got != c.want {
			t.Errorf("%s: Protected = %v, want %v", c.name, got, c.want)
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
