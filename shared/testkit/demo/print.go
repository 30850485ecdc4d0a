package demo

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// PrintEstate prints the seeded estate by role, as the demo does (and make
// serve with ESTATE=true).
func PrintEstate(w io.Writer, e Estate) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ROLE\tRESOURCE")
	rows := [][2]string{
		{"running web server, CPU alarm → stop", e.Web},
		{"its CPU alarm", e.WebAlarm},
		{"stopped long ago", e.OldBatch},
		{"protected (commander:protect=true)", e.Protected},
		{"temporary (commander:expires-at)", e.Temporary},
		{"dev box on office hours (commander:schedule)", e.DevBox},
		{"unattached volume", e.Scratch},
		{"volume tagged commander:backup=daily", e.BackedUp},
		{"old manual snapshot", e.OldSnapshot},
		{"bucket for backups, versioning off", e.BackupBucket},
		{"role created by the system, never used", e.UnusedRole},
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\t%s\n", r[0], r[1])
	}
	tw.Flush()
}

// answer is the union of what the functions return: a job report, or an
// API response (statusCode and body).
type answer struct {
	Status        string         `json:"status"`
	Reason        string         `json:"reason"`
	DryRun        bool           `json:"dryRun"`
	Counts        map[string]int `json:"counts"`
	APICallsTotal int64          `json:"apiCallsTotal"`
	DurationMs    int64          `json:"durationMs"`
	Truncated     int            `json:"truncatedResources"`
	Savings       float64        `json:"estimatedMonthlySavingUSD"`
	Prices        string         `json:"prices"`
	Resources     []struct {
		Resource, Type, Action, Outcome, Reason, Error string
		Saving                                         *float64 `json:"monthlySavingUSD"`
	} `json:"resources"`
	StatusCode int    `json:"statusCode"`
	Body       string `json:"body"`
}

func printOutcome(w io.Writer, o Outcome) {
	var a answer
	if len(o.Answer) > 0 && json.Unmarshal(o.Answer, &a) == nil {
		switch {
		case a.StatusCode != 0:
			body := a.Body
			if body == "" { // a direct invocation answers the object itself
				body = string(o.Answer)
			}
			fmt.Fprintf(w, "   HTTP %d  %s\n", a.StatusCode, short(body, 240))
		case a.Counts != nil:
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "   RESOURCE\tTYPE\tDECISION\tSAVES\tREASON")
			for _, r := range a.Resources {
				reason := r.Reason
				if r.Error != "" {
					reason += " (error: " + r.Error + ")"
				}
				saves := ""
				if r.Saving != nil {
					saves = fmt.Sprintf("$%.2f/mo", *r.Saving)
				}
				fmt.Fprintf(tw, "   %s\t%s\t%s %s\t%s\t%s\n", r.Resource, r.Type, r.Action, r.Outcome, saves, short(reason, 100))
			}
			tw.Flush()
			if a.Truncated > 0 {
				fmt.Fprintf(w, "   … and %d more\n", a.Truncated)
			}
			mode := "for real"
			if a.DryRun {
				mode = "dry-run"
			}
			fmt.Fprintf(w, "   totals (%s, %s): %s | %d API calls | %d ms\n", mode, a.Status, counts(a.Counts), a.APICallsTotal, a.DurationMs)
			if a.Reason != "" {
				fmt.Fprintf(w, "   reason: %s\n", a.Reason)
			}
			if a.Savings > 0 {
				// A mark's saving comes when its action is due; a dry run's never comes by itself.
				fmt.Fprintf(w, "   estimated monthly saving of these decisions: $%.2f (%s)\n", a.Savings, short(a.Prices, 60))
			}
		}
	}
	if o.File != "" {
		fmt.Fprintf(w, "   report: %s\n", o.File)
	}
	if o.Err != nil {
		fmt.Fprintf(w, "   ✗ FAILED: %s\n", short(o.Err.Error(), 400))
	} else {
		fmt.Fprintln(w, "   ✓ ok")
	}
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "nothing to do"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

func short(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
