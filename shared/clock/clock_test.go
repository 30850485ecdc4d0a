package clock

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestResolve(t *testing.T) {
	real := Fixed(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC))
	cases := []struct {
		name      string
		simulated string
		allow     bool
		want      time.Time
		wantErr   string
	}{
		{"no simulated time", "", false, time.Time(real), ""},
		{"allowed", "2027-03-01T10:00:00+01:00", true, time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC), ""},
		{"refused", "2027-03-01T10:00:00Z", false, time.Time{}, "COMMANDER_ALLOW_SIMULATED_TIME"},
		{"malformed", "next tuesday", true, time.Time{}, "RFC 3339"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Resolve(c.simulated, c.allow, real)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Now().Equal(c.want) {
				t.Errorf("Now = %v, want %v", got.Now(), c.want)
			}
		})
	}
	if _, err := Resolve("2027-03-01T10:00:00Z", false, real); !errors.Is(err, ErrSimulatedTimeRefused) {
		t.Errorf("refusal must be ErrSimulatedTimeRefused, got %v", err)
	}
}
