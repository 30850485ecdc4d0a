package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/aws-commander/commander/events"
	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/cli/cliname"
)

func overview(w io.Writer, reg *api.Registry) {
	fmt.Fprintf(w, `%[1]s: AWS Commander's api from the command line.

usage: %[1]s [flags] GROUP COMMAND [ARGUMENTS] [flags]
       %[1]s GROUP --help | %[1]s GROUP COMMAND --help
       %[1]s validate FILE
       %[1]s version

Commands:
`, cliname.Binary)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, action := range reg.Actions() {
		c, _ := reg.Lookup(action)
		group, verb := cliname.Words(action)
		fmt.Fprintf(tw, "  %s %s\t%s\n", group, verb, firstSentence(c.Summary))
	}
	fmt.Fprintf(tw, "  validate FILE\tcheck a document you write (policy, schedules, payload), offline\n")
	tw.Flush()
	fmt.Fprintln(w, "\nFlags (any command):")
	globalHelp(w, false)
	fmt.Fprint(w, exitHelp)
}

const exitHelp = `
Exit status: 0 ok, 1 other failure (credentials, network, stack not found,
not confirmed), 2 usage, 3 bad input (refused locally or 400/413), 4 not
found (404), 5 conflict (409), 6 throttled (429), 7 denied (401/403),
8 server error (5xx). See docs/CLI.md.
`

func globalHelp(w io.Writer, mutates bool) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, g := range globalFlags {
		if g.mutates && !mutates {
			continue
		}
		f := "--" + g.name
		if !g.isBool {
			f += " " + g.hint
		}
		fmt.Fprintf(tw, "  %s\t%s\n", f, g.doc)
	}
	tw.Flush()
}

func groupHelp(w io.Writer, reg *api.Registry, group string) {
	fmt.Fprintf(w, "%s %s: its commands (%s %s COMMAND --help for one)\n\n", cliname.Binary, group, cliname.Binary, group)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, action := range groups(reg)[group] {
		c, _ := reg.Lookup(action)
		fmt.Fprintf(tw, "  %s\t%s\n", cliname.Synopsis(*c), firstSentence(c.Summary))
	}
	tw.Flush()
}

// help is one command's page: summary, synopsis, route, each argument and
// flag with the rule the server checks, and an example.
func help(w io.Writer, reg *api.Registry, c api.Command) {
	fmt.Fprintf(w, "%s\n\nusage: %s\n\n", c.Summary, cliname.Synopsis(c))
	kind := "reads only"
	if c.Mutates {
		kind = "changes AWS resources: asks first on a terminal; --dry-run shows what it would do, --yes skips the question"
	}
	fmt.Fprintf(w, "api: %s (%s); %s\n", c.Action, c.Route(), kind)
	if pos := cliname.Positionals(c); len(pos) > 0 {
		fmt.Fprintln(w, "\nArguments:")
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		for _, p := range pos {
			fmt.Fprintf(tw, "  %s\t%s\n", cliname.Metavar(p), paramText(p))
		}
		tw.Flush()
	}
	if flags := cliname.Flags(c); len(flags) > 0 {
		fmt.Fprintln(w, "\nFlags:")
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		for _, p := range flags {
			f := "--" + cliname.Flag(p)
			if p.Type != api.Bool {
				f += " " + hint(p)
			}
			fmt.Fprintf(tw, "  %s\t%s\n", f, paramText(p))
		}
		for _, s := range Shorthands(c) {
			fmt.Fprintf(tw, "  --%s\tthe same as --%s %s\n", s.Flag, cliname.Flag(s.Param), s.Value)
		}
		tw.Flush()
	}
	fmt.Fprintln(w, "\nGlobal flags:")
	globalHelp(w, c.Mutates)
	if ex, err := Example(c); err == nil {
		fmt.Fprintf(w, "\nExample:\n  %s\n", Shell(ex))
	}
}

func hint(p api.Param) string {
	s := cliname.Synopsis(api.Command{Action: "x.y", Path: "/", Params: []api.Param{{Name: p.Name, Type: p.Type, Required: true}}})
	_, h, _ := strings.Cut(s, "--"+cliname.Flag(p)+" ")
	return h
}

func paramText(p api.Param) string {
	var parts []string
	if p.Required {
		parts = append(parts, "required;")
	}
	parts = append(parts, p.Rule())
	switch p.Type {
	case api.List:
		parts = append(parts, "— comma-separated or the flag repeated")
	case api.Map:
		parts = append(parts, "— KEY=VALUE, the flag repeated, or a JSON object (or @FILE)")
	case api.Object:
		parts = append(parts, "— inline JSON or @FILE")
	}
	if p.Default != nil && fmt.Sprint(p.Default) != "" {
		parts = append(parts, fmt.Sprintf("(default %v)", p.Default))
	}
	if p.Doc != "" {
		parts = append(parts, "— "+p.Doc)
	}
	return strings.Join(parts, " ")
}

// firstSentence ends at a full stop followed by a capital ("e.g. an" goes on).
func firstSentence(s string) string {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '.' && s[i+1] == ' ' && s[i+2] >= 'A' && s[i+2] <= 'Z' {
			return s[:i+1]
		}
	}
	return s
}

// Example is a command line that runs c: its positionals and required
// flags, with the values of the api's own direct sample of the command
// (events/samples/api) where there is one, else example values the
// parameter's rule accepts. Every command's example parses and validates
// (the tests say so), so a reader can copy it.
func Example(c api.Command) ([]string, error) {
	group, verb := cliname.Words(c.Action)
	args := []string{cliname.Binary, group, verb}
	sample := directSamples()[c.Action]
	for _, p := range cliname.Positionals(c) {
		v, err := exampleText(p, sample[p.Name])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Action, err)
		}
		args = append(args, v...)
	}
	for _, p := range cliname.Flags(c) {
		raw, inSample := sample[p.Name]
		if !p.Required && !inSample {
			continue
		}
		v, err := exampleText(p, raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Action, err)
		}
		if p.Type == api.Bool {
			if v[0] == "true" {
				args = append(args, "--"+cliname.Flag(p))
			} else {
				args = append(args, "--"+cliname.Flag(p)+"=false")
			}
			continue
		}
		if p.Type == api.Map {
			for _, kv := range v {
				args = append(args, "--"+cliname.Flag(p), kv)
			}
			continue
		}
		args = append(args, "--"+cliname.Flag(p), v[0])
	}
	if c.Mutates {
		args = append(args, "--dry-run")
	}
	return args, nil
}

// exampleText is a parameter's value on the command line: from the sample's
// JSON when given, else made up from the declaration.
func exampleText(p api.Param, raw json.RawMessage) ([]string, error) {
	if raw != nil {
		switch p.Type {
		case api.Object:
			return []string{string(raw)}, nil
		case api.Map:
			var m map[string]string
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, err
			}
			var out []string
			for k, v := range m {
				out = append(out, k+"="+v)
			}
			sort.Strings(out)
			return out, nil
		}
		t, err := queryText(raw)
		return []string{t}, err
	}
	switch p.Type {
	case api.Bool:
		return []string{"true"}, nil
	case api.Int, api.Number:
		if p.Default != nil {
			return []string{fmt.Sprint(p.Default)}, nil
		}
		return []string{strconv.FormatInt(max(p.Min, 1), 10)}, nil
	case api.Object:
		return []string{"{}"}, nil
	case api.Map:
		return []string{"team=platform"}, nil
	}
	if len(p.Enum) > 0 {
		return []string{p.Enum[0]}, nil
	}
	for _, v := range append([]string{"my-" + cliname.Kebab(p.Name)}, candidates...) {
		if (p.Pattern == nil || p.Pattern.MatchString(v)) && (p.Max == 0 || int64(len(v)) <= p.Max) {
			return []string{v}, nil
		}
	}
	return nil, fmt.Errorf("no example value for %s (%s): add one to cli's candidates", p.Name, p.Rule())
}

// candidates are example values tried, in order, for a string parameter
// that has no sample: the shapes the api's identifiers take.
var candidates = []string{
	"i-0123456789abcdef0", "sg-0123456789abcdef0", "vpc-0123456789abcdef0", "subnet-0123456789abcdef0",
	"ec2.amazonaws.com", "aGVsbG8=", "reports/2026/summary.txt",
}

var (
	samplesOnce sync.Once
	samples     map[string]map[string]json.RawMessage
)

// directSamples are the api's direct samples' params, by action (the first
// sample of an action wins, as the reference lists them).
func directSamples() map[string]map[string]json.RawMessage {
	samplesOnce.Do(func() {
		samples = map[string]map[string]json.RawMessage{}
		all, err := events.Samples("api")
		if err != nil {
			return // no examples from samples: made-up values still work
		}
		for _, s := range all {
			if !strings.HasSuffix(s.Name, "-direct.json") {
				continue
			}
			var d struct {
				Action string                     `json:"action"`
				Params map[string]json.RawMessage `json:"params"`
			}
			if json.Unmarshal(s.Body, &d) != nil || d.Action == "" {
				continue
			}
			if _, ok := samples[d.Action]; !ok {
				samples[d.Action] = d.Params
			}
		}
	})
	return samples
}

// Shell quotes args for a POSIX shell, for printing a command line.
func Shell(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && utf8.ValidString(a) && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=,:@+%", r))
		}) < 0 {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}
