package metrics

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// emfLine is the EMF specification's shape of one log line.
type emfLine struct {
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
}

func lines(t *testing.T, buf *bytes.Buffer) []map[string]json.RawMessage {
	t.Helper()
	var out []map[string]json.RawMessage
	sc := bufio.NewScanner(buf)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line is not JSON: %s", sc.Text())
		}
		out = append(out, m)
	}
	return out
}

func TestFlushFollowsTheSpecification(t *testing.T) {
	s, err := New("Commander", map[string]string{"Function": "cleanup", "Job": "scheduled"})
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return time.UnixMilli(1700000000123) }
	must(t, s.Put("Runs", 1, Count))
	must(t, s.Put("Deleted", 2, Count))
	must(t, s.Put("Deleted", 3, Count))
	must(t, s.Put("Duration", 1234, Milliseconds))
	s.Property("eventId", "abc")
	var buf bytes.Buffer
	must(t, s.Flush(&buf))

	raw := buf.Bytes()
	ls := lines(t, bytes.NewBuffer(raw))
	if len(ls) != 1 {
		t.Fatalf("%d lines, want 1", len(ls))
	}
	var l emfLine
	must(t, json.Unmarshal(raw, &l))
	if l.AWS.Timestamp != 1700000000123 {
		t.Errorf("Timestamp = %d", l.AWS.Timestamp)
	}
	d := l.AWS.CloudWatchMetrics[0]
	if d.Namespace != "Commander" || fmt.Sprint(d.Dimensions) != "[[Function Job]]" {
		t.Errorf("directive = %+v", d)
	}
	// Every declared metric and dimension must be a top-level member of the line.
	for _, m := range d.Metrics {
		if _, ok := ls[0][m.Name]; !ok {
			t.Errorf("metric %s declared but not a member", m.Name)
		}
	}
	for _, k := range d.Dimensions[0] {
		if _, ok := ls[0][k]; !ok {
			t.Errorf("dimension %s declared but not a member", k)
		}
	}
	if string(ls[0]["Deleted"]) != "5" || string(ls[0]["eventId"]) != `"abc"` {
		t.Errorf("Deleted = %s, eventId = %s", ls[0]["Deleted"], ls[0]["eventId"])
	}
	buf.Reset()
	must(t, s.Flush(&buf))
	if buf.Len() != 0 {
		t.Errorf("second flush wrote %q, want nothing", buf.String())
	}
}

func TestFlushSplitsAtOneHundredMetrics(t *testing.T) {
	s, _ := New("Commander", map[string]string{"Function": "backup"})
	for i := range 250 {
		must(t, s.Put(fmt.Sprintf("M%03d", i), float64(i), Count))
	}
	var buf bytes.Buffer
	must(t, s.Flush(&buf))
	ls := lines(t, &buf)
	if len(ls) != 3 {
		t.Fatalf("%d lines, want 3 (100+100+50)", len(ls))
	}
	seen := 0
	for _, l := range ls {
		var e emfLine
		b, _ := json.Marshal(l)
		must(t, json.Unmarshal(b, &e))
		n := len(e.AWS.CloudWatchMetrics[0].Metrics)
		if n > MaxMetricsPerDirective {
			t.Errorf("directive with %d metrics", n)
		}
		seen += n
	}
	if seen != 250 {
		t.Errorf("%d metrics written, want 250", seen)
	}
}

func TestRejects(t *testing.T) {
	many := map[string]string{}
	for i := range 31 {
		many[fmt.Sprint("d", i)] = "v"
	}
	cases := []struct {
		name      string
		namespace string
		dims      map[string]string
		want      string
	}{
		{"empty namespace", "", nil, "1 to 255"},
		{"reserved namespace", "AWS/Lambda", nil, "reserved"},
		{"too long namespace", strings.Repeat("n", 256), nil, "1 to 255"},
		{"too many dimensions", "Commander", many, "at most 30"},
		{"empty dimension value", "Commander", map[string]string{"Function": ""}, "non-empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.namespace, c.dims)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
	s, _ := New("Commander", nil)
	if err := s.Put("X", 1, "Furlongs"); err == nil {
		t.Error("unknown unit accepted")
	}
	if err := s.Put("", 1, Count); err == nil {
		t.Error("empty name accepted")
	}
	must(t, s.Put("X", 1, Count))
	if err := s.Put("X", 1, Seconds); err == nil {
		t.Error("unit change accepted")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
