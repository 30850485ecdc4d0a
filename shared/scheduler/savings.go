package scheduler

import (
	"fmt"
	"time"

	"github.com/aws-commander/commander/shared/pricing"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/schedule"
)

// savings prices office-hours stops: the compute hours a month that the
// instance's schedule keeps it stopped (its volumes are still billed).
type savings struct {
	prices *pricing.Table
	hours  map[string]float64 // schedule -> stopped hours a month
}

func newSavings(prices *pricing.Table, doc schedule.Document, now time.Time) *savings {
	s := &savings{prices: prices, hours: map[string]float64{}}
	for _, name := range doc.Names() {
		sch, _ := doc.Find(name)
		s.hours[name] = stoppedHoursPerMonth(sch, now)
	}
	return s
}

// decision is st as the report shows it, with the saving of a stop.
func (s *savings) decision(st Step) report.Decision {
	d := decision(st, "", st.Reason)
	if st.Action != Stop || s.prices == nil {
		return d
	}
	if st.Override {
		d.Reason += "; no saving estimated: an override, not a schedule, holds it stopped"
		return d
	}
	hours := s.hours[st.Schedule]
	if hours <= 0 {
		d.Reason += "; no saving estimated: " + st.Schedule + " keeps nothing stopped for long (a stop-at-night net)"
		return d
	}
	e, ok := s.prices.InstanceHours(st.Region, st.Type, hours)
	if !ok {
		d.Reason += fmt.Sprintf("; no saving estimated: no price for %s in %s", st.Type, st.Region)
		return d
	}
	v := e.MonthlyUSD
	d.Saving = &v
	d.Reason += fmt.Sprintf("; saves about $%.2f a month while %s keeps it stopped: %s", v, st.Schedule, e.Basis)
	return d
}
