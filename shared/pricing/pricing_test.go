package pricing

import (
	"math"
	"sort"
	"strings"
	"testing"
)

// A small table with round numbers, so each case's arithmetic can be read.
func testTable() *Table {
	return &Table{
		Date:   "2026-12-01",
		Source: "https://example.test/pricing",
		Regions: map[string]Region{
			"us-east-1": {
				Volumes: map[string]VolumePrice{
					"gp3":      {GiBMonth: 0.08, IOPS: []Tier{{3000, 0.005}}, Throughput: []Tier{{125, 0.04}}},
					"io2":      {GiBMonth: 0.125, IOPS: []Tier{{0, 0.065}, {32000, 0.0455}, {64000, 0.03185}}},
					"gp2":      {GiBMonth: 0.10},
					"standard": {GiBMonth: 0.05},
				},
				SnapshotGiBMonth: 0.05,
				PublicIPv4Hour:   0.005,
				InstanceHour:     map[string]float64{"t2.micro": 0.0116, "m5.large": 0.096},
			},
		},
	}
}

func TestEstimates(t *testing.T) {
	tb := testTable()
	cases := []struct {
		name  string
		got   func() (Estimate, bool)
		usd   float64
		basis []string // fragments the basis must contain
	}{
		{"gp3 at its free baseline", func() (Estimate, bool) { return tb.Volume("us-east-1", "gp3", 100, 3000, 125) }, 8,
			[]string{"gp3 100 GiB in us-east-1 at $0.08/GiB-month = $8.00/month (price table 2026-12-01)"}},
		{"gp3 with extra IOPS and throughput", func() (Estimate, bool) { return tb.Volume("us-east-1", "gp3", 100, 6000, 250) }, 8 + 15 + 5,
			[]string{"3000 IOPS beyond the first 3000 at $0.005/IOPS-month", "125 MiB/s beyond the first 125 at $0.04/MiB/s-month", "= $28.00/month"}},
		{"gp3 reported below the baseline bills no IOPS", func() (Estimate, bool) { return tb.Volume("us-east-1", "gp3", 8, 0, 0) }, 0.64,
			[]string{"gp3 8 GiB in us-east-1 at $0.08/GiB-month = $0.64/month"}},
		{"io2 across its three IOPS tiers", func() (Estimate, bool) { return tb.Volume("us-east-1", "io2", 100, 70000, 0) }, 12.5 + 32000*0.065 + 32000*0.0455 + 6000*0.03185,
			[]string{"32000 IOPS at $0.065/IOPS-month", "32000 IOPS beyond the first 32000 at $0.0455", "6000 IOPS beyond the first 64000 at $0.03185", "= $3739.60/month"}},
		{"gp2 ignores the IOPS AWS reports for it", func() (Estimate, bool) { return tb.Volume("us-east-1", "gp2", 50, 150, 0) }, 5,
			[]string{"gp2 50 GiB in us-east-1 at $0.1/GiB-month = $5.00/month"}},
		{"magnetic says its I/O is not counted", func() (Estimate, bool) { return tb.Volume("us-east-1", "standard", 10, 0, 0) }, 0.5,
			[]string{"I/O requests not counted"}},
		{"snapshot is an upper bound", func() (Estimate, bool) { return tb.Snapshot("us-east-1", 100) }, 5,
			[]string{"snapshot of a 100 GiB volume in us-east-1 at $0.05/GiB-month", "= $5.00/month at most", "the size AWS reports is the source volume's size; incremental snapshots are billed for changed blocks only, so this is an upper bound"}},
		{"public IPv4", func() (Estimate, bool) { return tb.PublicIPv4("us-east-1") }, 3.65,
			[]string{"public IPv4 address in us-east-1 at $0.005/hour x 730 h = $3.65/month"}},
		{"a month of an instance", func() (Estimate, bool) { return tb.Instance("us-east-1", "t2.micro") }, 8.47,
			[]string{"t2.micro in us-east-1 at $0.0116/hour x 730 h = $8.47/month", "a stopped instance still pays for its volumes"}},
		{"hours stopped by a schedule", func() (Estimate, bool) { return tb.InstanceHours("us-east-1", "m5.large", 412.5) }, 39.6,
			[]string{"m5.large in us-east-1 at $0.096/hour x 412.5 h stopped = $39.60/month", "avoided"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, ok := c.got()
			if !ok {
				t.Fatal("no estimate")
			}
			if e.MonthlyUSD != Round(c.usd) {
				t.Errorf("MonthlyUSD = %v, want %v", e.MonthlyUSD, Round(c.usd))
			}
			for _, f := range c.basis {
				if !strings.Contains(e.Basis, f) {
					t.Errorf("basis %q lacks %q", e.Basis, f)
				}
			}
		})
	}
}

func TestNoEstimate(t *testing.T) {
	tb := testTable()
	cases := map[string]func() (Estimate, bool){
		"unknown volume type":      func() (Estimate, bool) { return tb.Volume("us-east-1", "gp9", 100, 0, 0) },
		"volume, unknown region":   func() (Estimate, bool) { return tb.Volume("mars-north-1", "gp3", 100, 3000, 125) },
		"volume of no size":        func() (Estimate, bool) { return tb.Volume("us-east-1", "gp3", 0, 3000, 125) },
		"volume, negative IOPS":    func() (Estimate, bool) { return tb.Volume("us-east-1", "gp3", 10, -1, 125) },
		"snapshot, unknown region": func() (Estimate, bool) { return tb.Snapshot("mars-north-1", 8) },
		"snapshot of no size":      func() (Estimate, bool) { return tb.Snapshot("us-east-1", -8) },
		"IPv4, unknown region":     func() (Estimate, bool) { return tb.PublicIPv4("mars-north-1") },
		"unknown instance type":    func() (Estimate, bool) { return tb.Instance("us-east-1", "x9.mega") },
		"instance, unknown region": func() (Estimate, bool) { return tb.Instance("eu-west-1", "t2.micro") },
		"no hours stopped":         func() (Estimate, bool) { return tb.InstanceHours("us-east-1", "t2.micro", 0) },
		"more hours than a month":  func() (Estimate, bool) { return tb.InstanceHours("us-east-1", "t2.micro", 731) },
		"NaN hours":                func() (Estimate, bool) { return tb.InstanceHours("us-east-1", "t2.micro", math.NaN()) },
		"hours, unknown type":      func() (Estimate, bool) { return tb.InstanceHours("us-east-1", "x9.mega", 10) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			if e, ok := f(); ok || e != (Estimate{}) {
				t.Errorf("= %+v, %v; want no estimate", e, ok)
			}
		})
	}
}

// The shipped table, item by item: one known price per kind of estimate.
func TestDefault(t *testing.T) {
	tb := Default()
	cases := []struct {
		name string
		got  func() (Estimate, bool)
		usd  float64
	}{
		{"gp3 100 GiB us-east-1", func() (Estimate, bool) { return tb.Volume("us-east-1", "gp3", 100, 3000, 125) }, 8},
		{"gp3 100 GiB 4000 IOPS 250 MiB/s us-east-1", func() (Estimate, bool) { return tb.Volume("us-east-1", "gp3", 100, 4000, 250) }, 8 + 5 + 5},
		{"gp2 8 GiB eu-west-1", func() (Estimate, bool) { return tb.Volume("eu-west-1", "gp2", 8, 100, 0) }, 0.88},
		{"io1 100 GiB 1000 IOPS us-east-1", func() (Estimate, bool) { return tb.Volume("us-east-1", "io1", 100, 1000, 0) }, 12.5 + 65},
		{"io2 100 GiB 1000 IOPS eu-central-1", func() (Estimate, bool) { return tb.Volume("eu-central-1", "io2", 100, 1000, 0) }, 14.9 + 78},
		{"st1 500 GiB us-west-2", func() (Estimate, bool) { return tb.Volume("us-west-2", "st1", 500, 0, 0) }, 22.5},
		{"sc1 500 GiB eu-west-3", func() (Estimate, bool) { return tb.Volume("eu-west-3", "sc1", 500, 0, 0) }, 8.7},
		{"standard 10 GiB us-east-2", func() (Estimate, bool) { return tb.Volume("us-east-2", "standard", 10, 0, 0) }, 0.5},
		{"snapshot 8 GiB us-east-1", func() (Estimate, bool) { return tb.Snapshot("us-east-1", 8) }, 0.4},
		{"snapshot 100 GiB eu-central-1", func() (Estimate, bool) { return tb.Snapshot("eu-central-1", 100) }, 5.4},
		{"public IPv4 eu-west-3", func() (Estimate, bool) { return tb.PublicIPv4("eu-west-3") }, 3.65},
		{"t2.micro, the project default, us-east-1", func() (Estimate, bool) { return tb.Instance("us-east-1", "t2.micro") }, 8.47},
		{"t2.micro eu-west-1", func() (Estimate, bool) { return tb.Instance("eu-west-1", "t2.micro") }, 9.2},
		{"m7g.large us-east-1", func() (Estimate, bool) { return tb.Instance("us-east-1", "m7g.large") }, 59.57},
		{"t3.micro 400 h stopped eu-west-3", func() (Estimate, bool) { return tb.InstanceHours("eu-west-3", "t3.micro", 400) }, 4.72},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, ok := c.got()
			if !ok || e.MonthlyUSD != Round(c.usd) {
				t.Errorf("= %v (%v), want %v: %s", e.MonthlyUSD, ok, Round(c.usd), e.Basis)
			}
			if !strings.HasSuffix(e.Basis, "(price table "+tb.Date+")") {
				t.Errorf("basis %q does not date its prices", e.Basis)
			}
		})
	}
	// A type the table does not carry in a region is no estimate, not zero.
	if _, ok := tb.Instance("eu-central-1", "m7g.large"); ok {
		t.Error("eu-central-1 m7g.large has an estimate; the table leaves it out")
	}
	for _, want := range []string{"price table " + tb.Date, "https://aws.amazon.com/ebs/pricing/", "https://aws.amazon.com/ec2/pricing/on-demand/", "https://aws.amazon.com/vpc/pricing/"} {
		if !strings.Contains(tb.Label(), want) {
			t.Errorf("label %q lacks %q", tb.Label(), want)
		}
	}
}

// Every region of the shipped table prices every volume type, snapshots and
// public IPv4, with positive prices and tiers in order, so a half-filled
// region is caught here rather than read as "no estimate" in a report.
func TestEveryRegionIsComplete(t *testing.T) {
	tb := Default()
	volumeTypes := []string{"gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"}
	required := []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "eu-west-3"}
	for _, r := range required {
		if _, ok := tb.Regions[r]; !ok {
			t.Errorf("region %s missing", r)
		}
	}
	regions := make([]string, 0, len(tb.Regions))
	for r := range tb.Regions {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	for _, name := range regions {
		r := tb.Regions[name]
		for _, vt := range volumeTypes {
			p, ok := r.Volumes[vt]
			if !ok || p.GiBMonth <= 0 {
				t.Errorf("%s: volume type %s has no storage price", name, vt)
				continue
			}
			for what, tiers := range map[string][]Tier{"IOPS": p.IOPS, "throughput": p.Throughput} {
				for i, tr := range tiers {
					if tr.Price <= 0 || tr.Above < 0 || (i > 0 && tr.Above <= tiers[i-1].Above) {
						t.Errorf("%s: %s %s tier %d = %+v: prices positive, tiers ascending", name, vt, what, i, tr)
					}
				}
			}
		}
		if len(r.Volumes["gp3"].IOPS) == 0 || len(r.Volumes["gp3"].Throughput) == 0 || len(r.Volumes["io1"].IOPS) == 0 || len(r.Volumes["io2"].IOPS) == 0 {
			t.Errorf("%s: gp3 IOPS and throughput, io1 and io2 IOPS must be priced", name)
		}
		if r.SnapshotGiBMonth <= 0 {
			t.Errorf("%s: no snapshot price", name)
		}
		if r.PublicIPv4Hour != 0.005 {
			t.Errorf("%s: public IPv4 = %v, AWS charges $0.005/h in every region", name, r.PublicIPv4Hour)
		}
		if _, ok := r.InstanceHour["t2.micro"]; !ok {
			t.Errorf("%s: no price for t2.micro, the project's default instance type", name)
		}
		for it, p := range r.InstanceHour {
			if p <= 0 {
				t.Errorf("%s: %s = %v", name, it, p)
			}
		}
	}
	// us-east-1 and eu-west-1 carry the whole set of instance types.
	for _, name := range []string{"us-east-1", "eu-west-1"} {
		for _, it := range []string{"t2.micro", "t2.small", "t2.medium", "t3.micro", "t3.small", "t3.medium", "t3.large", "m5.large", "m5.xlarge", "m6i.large", "c5.large", "r5.large", "t4g.micro", "t4g.small", "m7g.large"} {
			if _, ok := tb.Regions[name].InstanceHour[it]; !ok {
				t.Errorf("%s: no price for %s", name, it)
			}
		}
	}
}

// Default hands out a copy: changing one caller's table leaves the next alone.
func TestDefaultIsACopy(t *testing.T) {
	a := Default()
	a.Regions["us-east-1"].InstanceHour["t2.micro"] = 99
	if p := Default().Regions["us-east-1"].InstanceHour["t2.micro"]; p != 0.0116 {
		t.Errorf("t2.micro = %v after another caller changed its copy", p)
	}
}
