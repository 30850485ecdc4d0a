// Package pricing estimates what an action saves each month, from a table of
// AWS on-demand list prices shipped with the code (prices.go), with the day
// it was read and its sources. It never calls the Price List Query API: moto
// has no pricing backend, so that path could not be tested end to end, and a
// Lambda that prices a deletion should not need another AWS permission.
//
// An unknown region or type, or a size that means nothing, is "no estimate"
// (false), never zero: a report must not claim a resource costs nothing
// because the table does not know it.
package pricing

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// HoursPerMonth is AWS's convention for a month of hourly charges
// (24 × 365 / 12, as its pricing pages and calculator use).
const HoursPerMonth = 730

// Estimate is one action's estimated monthly saving in USD and how it was
// reckoned, for the decision's reason.
type Estimate struct {
	MonthlyUSD float64 // rounded to cents
	Basis      string  // e.g. "gp3 100 GiB in us-east-1 at $0.08/GiB-month = $8.00/month (price table 2026-12-03)"
}

// Table is a dated set of on-demand list prices, by region.
type Table struct {
	Date    string // the day the prices were read, YYYY-MM-DD
	Source  string // the public pages they come from
	Regions map[string]Region
}

// Region is one region's prices.
type Region struct {
	Volumes          map[string]VolumePrice // by EBS volume type (gp2, gp3, io1, io2, st1, sc1, standard)
	SnapshotGiBMonth float64                // EBS snapshot, standard tier
	PublicIPv4Hour   float64                // per public IPv4 address, in use or idle
	InstanceHour     map[string]float64     // on-demand Linux, shared tenancy, by instance type
}

// VolumePrice is what an EBS volume type costs per month: its storage, and
// the provisioned IOPS and throughput it bills for, in tiers.
type VolumePrice struct {
	GiBMonth   float64
	IOPS       []Tier // per provisioned IOPS-month
	Throughput []Tier // per provisioned MiB/s-month
}

// Tier prices the units beyond the first Above (a free baseline such as
// gp3's 3,000 IOPS, or the end of the previous tier) up to the next tier's
// Above. Tiers are in ascending order of Above.
type Tier struct {
	Above float64
	Price float64
}

// Label names the table for a report: its date and sources.
func (t *Table) Label() string {
	return "price table " + t.Date + " (" + t.Source + ")"
}

// Volume is the monthly cost of an EBS volume, which deleting it saves.
// iops and throughput are the volume's provisioned values as AWS reports
// them; types that do not bill for them ignore them.
func (t *Table) Volume(region, volumeType string, sizeGiB int32, iops, throughput int32) (Estimate, bool) {
	r, ok := t.Regions[region]
	if !ok || sizeGiB <= 0 || iops < 0 || throughput < 0 {
		return Estimate{}, false
	}
	p, ok := r.Volumes[volumeType]
	if !ok || p.GiBMonth <= 0 {
		return Estimate{}, false
	}
	total := float64(sizeGiB) * p.GiBMonth
	parts := []string{fmt.Sprintf("%s %d GiB in %s at $%s/GiB-month", volumeType, sizeGiB, region, price(p.GiBMonth))}
	for _, d := range []struct {
		tiers []Tier
		n     int32
		unit  string
	}{{p.IOPS, iops, "IOPS"}, {p.Throughput, throughput, "MiB/s"}} {
		for i, tr := range d.tiers {
			upper := math.Inf(1)
			if i+1 < len(d.tiers) {
				upper = d.tiers[i+1].Above
			}
			units := math.Min(float64(d.n), upper) - tr.Above
			if units <= 0 {
				continue
			}
			total += units * tr.Price
			beyond := ""
			if tr.Above > 0 {
				beyond = " beyond the first " + num(tr.Above)
			}
			parts = append(parts, fmt.Sprintf("%s %s%s at $%s/%s-month", num(units), d.unit, beyond, price(tr.Price), d.unit))
		}
	}
	basis := strings.Join(parts, " + ")
	if volumeType == "standard" {
		basis += " (its I/O requests not counted)"
	}
	return t.estimate(total, basis, ""), true
}

// Snapshot is the monthly cost of an EBS snapshot in the standard tier,
// which deleting it saves at most.
func (t *Table) Snapshot(region string, sizeGiB int32) (Estimate, bool) {
	r, ok := t.Regions[region]
	if !ok || sizeGiB <= 0 || r.SnapshotGiBMonth <= 0 {
		return Estimate{}, false
	}
	total := float64(sizeGiB) * r.SnapshotGiBMonth
	return t.estimate(total, fmt.Sprintf("snapshot of a %d GiB volume in %s at $%s/GiB-month (standard tier)", sizeGiB, region, price(r.SnapshotGiBMonth)),
		" at most: the size AWS reports is the source volume's size; incremental snapshots are billed for changed blocks only, so this is an upper bound"), true
}

// PublicIPv4 is the monthly charge for one public IPv4 address (an Elastic
// IP, attached or not), which releasing it saves.
func (t *Table) PublicIPv4(region string) (Estimate, bool) {
	r, ok := t.Regions[region]
	if !ok || r.PublicIPv4Hour <= 0 {
		return Estimate{}, false
	}
	total := r.PublicIPv4Hour * HoursPerMonth
	return t.estimate(total, fmt.Sprintf("public IPv4 address in %s at $%s/hour x %d h", region, price(r.PublicIPv4Hour), HoursPerMonth), ""), true
}

// InstanceHours is the compute that hours of a stopped instance avoid each
// month (an office-hours schedule's nights and weekends). hours must be in
// (0, HoursPerMonth]: more than a month's hours cannot be avoided in a month.
func (t *Table) InstanceHours(region, instanceType string, hours float64) (Estimate, bool) {
	hourly, ok := t.instanceHour(region, instanceType)
	if !ok || !(hours > 0 && hours <= HoursPerMonth) {
		return Estimate{}, false
	}
	return t.estimate(hourly*hours, fmt.Sprintf("%s in %s at $%s/hour x %s h stopped", instanceType, region, price(hourly), strconv.FormatFloat(hours, 'f', 1, 64)),
		" of on-demand Linux compute avoided; its volumes are still billed"), true
}

// Instance is a full month of an instance's compute, which stopping or
// terminating it saves. Its volumes are not in it: a stopped instance still
// pays for them, and a terminated one's are priced on their own.
func (t *Table) Instance(region, instanceType string) (Estimate, bool) {
	hourly, ok := t.instanceHour(region, instanceType)
	if !ok {
		return Estimate{}, false
	}
	return t.estimate(hourly*HoursPerMonth, fmt.Sprintf("%s in %s at $%s/hour x %d h", instanceType, region, price(hourly), HoursPerMonth),
		" of on-demand Linux compute; a stopped instance still pays for its volumes"), true
}

func (t *Table) instanceHour(region, instanceType string) (float64, bool) {
	r, ok := t.Regions[region]
	if !ok {
		return 0, false
	}
	p, ok := r.InstanceHour[instanceType]
	return p, ok && p > 0
}

// estimate rounds total to cents and writes the rounded amount into the
// basis, so the text and the number always agree: "<how> = $X.XX/month<note>
// (price table <date>)".
func (t *Table) estimate(total float64, how, note string) Estimate {
	usd := Round(total)
	return Estimate{MonthlyUSD: usd, Basis: fmt.Sprintf("%s = $%.2f/month%s (price table %s)", how, usd, note, t.Date)}
}

// Round rounds a USD amount to cents.
func Round(usd float64) float64 { return math.Round(usd*100) / 100 }

// price prints a unit price with the digits the table has ($0.0104, not $0.01).
func price(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) }

func num(n float64) string { return strconv.FormatFloat(n, 'f', -1, 64) }
