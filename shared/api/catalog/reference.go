package catalog

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/cli/cliname"
)

// referenceIntro heads docs/COMMANDS.md.
const referenceIntro = "# Command reference\n\n" +
	"Generated from the api's command declarations (`catalog.Declared`) and the samples in\n" +
	"[events/samples/api/](../events/samples/api/); do not edit it by hand, run\n" +
	"`go test ./shared/api/catalog -run TestCommandReference -update`. `GET /commands` (`commands.list`)\n" +
	"answers the same declarations. Defaults are the built-in ones (the stack may set others, see\n" +
	"[CONFIGURATION.md](CONFIGURATION.md)); `" + PlaceholderRolePath + "` is the role path the stack sets for a stage.\n" +
	"Entry points, errors and the behaviour every command shares: [API.md](API.md), which also holds the notes\n" +
	"per command that go beyond a declaration.\n"

// Reference is the api's command reference in Markdown (docs/COMMANDS.md):
// each command of Declared with its route, summary, the samples of the
// directory samples (events/samples/api) that call it, and its parameters.
// Generated, so it cannot drift from what the function serves; a sample
// naming a route or action no command declares is an error, not skipped.
func Reference(samples string) ([]byte, error) {
	reg, err := Declared()
	if err != nil {
		return nil, err
	}
	byAction, err := loadSamples(reg, samples)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(referenceIntro)
	for _, d := range reg.Docs() {
		fmt.Fprintf(&b, "\n#### `%s` — `%s`\n", d.Action, d.Route)
		summary := text(d.Summary)
		if d.Mutates {
			summary += " Honours `dryRun`."
		}
		b.WriteString(summary + "\n\n")
		if c, ok := reg.Lookup(d.Action); ok {
			b.WriteString("- CLI ([CLI.md](CLI.md)): `" + cliname.Synopsis(*c) + "`\n")
		}
		if s := byAction[d.Action]; len(s) > 0 {
			for _, l := range s {
				b.WriteString(l + "\n")
			}
		} else {
			b.WriteString("- No static sample (see [Samples](API.md#samples) and [Notes per command](API.md#notes-per-command)).\n")
		}
		if len(d.Params) == 0 {
			continue
		}
		b.WriteString("\n| parameter | type | required | default | accepts |\n|---|---|---|---|---|\n")
		for _, p := range d.Params {
			req, def := "", ""
			if p.Required {
				req = "yes"
			}
			if p.Default != nil && fmt.Sprint(p.Default) != "" {
				def = "`" + fmt.Sprint(p.Default) + "`"
			}
			accepts := p.Rule
			if p.Doc != "" {
				accepts += " — " + p.Doc
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", p.Name, p.Type, req, def, text(accepts))
		}
	}
	return b.Bytes(), nil
}

// loadSamples renders each sample of dir as its reference line, by the
// action it calls, in file name order (a number's HTTP sample before its
// direct one).
func loadSamples(reg *api.Registry, dir string) (map[string][]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no samples in %s", dir)
	}
	byRoute := map[string]string{}
	for _, d := range reg.Docs() {
		byRoute[d.Route] = d.Action
	}
	stem := func(f string) string {
		f = filepath.Base(f)
		return strings.TrimSuffix(strings.TrimSuffix(f, "-http.json"), "-direct.json")
	}
	sort.SliceStable(files, func(i, j int) bool {
		a, b := stem(files[i]), stem(files[j])
		return a < b || a == b && strings.HasSuffix(files[i], "-http.json")
	})
	out := map[string][]string{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		name := filepath.Base(f)
		var action, line string
		switch {
		case strings.HasSuffix(name, "-http.json"):
			action, line, err = httpSample(reg, byRoute, raw)
			line = "- HTTP (`" + name + "`): " + line
		case strings.HasSuffix(name, "-direct.json"):
			action, line, err = directSample(reg, raw)
			line = "- Direct (`" + name + "`): " + line
		default:
			err = fmt.Errorf("neither an HTTP (-http.json) nor a direct (-direct.json) sample")
		}
		if err != nil {
			return nil, fmt.Errorf("sample %s: %w", f, err)
		}
		out[action] = append(out[action], line)
	}
	return out, nil
}

// httpSample is an HTTP API event's request as a caller writes it: method,
// path, query and body.
func httpSample(reg *api.Registry, byRoute map[string]string, raw []byte) (action, line string, err error) {
	var ev struct {
		RouteKey        string  `json:"routeKey"`
		RawPath         string  `json:"rawPath"`
		RawQueryString  string  `json:"rawQueryString"`
		Body            *string `json:"body"`
		IsBase64Encoded bool    `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		return "", "", err
	}
	action, ok := byRoute[ev.RouteKey]
	if !ok {
		return "", "", fmt.Errorf("route key %q is no command's route", ev.RouteKey)
	}
	method, _, _ := strings.Cut(ev.RouteKey, " ")
	// The path must be one the route matches, as API Gateway would have matched it.
	if c, _, ok := reg.Match(method, ev.RawPath); !ok || c.Action != action {
		return "", "", fmt.Errorf("path %s does not match its route key %q", ev.RawPath, ev.RouteKey)
	}
	req := method + " " + ev.RawPath
	if ev.RawQueryString != "" {
		req += "?" + ev.RawQueryString
	}
	line = "`" + req + "`"
	if ev.Body != nil && *ev.Body != "" {
		body := *ev.Body
		if ev.IsBase64Encoded {
			dec, err := base64.StdEncoding.DecodeString(body)
			if err != nil {
				return "", "", fmt.Errorf("body: %w", err)
			}
			body = string(dec)
		}
		line += " with body `" + body + "`"
	}
	return action, line, nil
}

// directSample is a direct invocation's payload on one line.
func directSample(reg *api.Registry, raw []byte) (action, line string, err error) {
	var ev struct {
		Action string `json:"action"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		return "", "", err
	}
	if _, ok := reg.Lookup(ev.Action); !ok {
		return "", "", fmt.Errorf("action %q is no command's", ev.Action)
	}
	var c bytes.Buffer
	if err := json.Compact(&c, raw); err != nil {
		return "", "", err
	}
	return ev.Action, "`" + spaced(c.String()) + "`", nil
}

// spaced puts a space after each comma and colon between JSON tokens (the
// way the samples' bodies are written), keeping the members' order.
func spaced(compact string) string {
	var b strings.Builder
	inString, escaped := false, false
	for _, r := range compact {
		b.WriteRune(r)
		switch {
		case escaped:
			escaped = false
		case inString && r == '\\':
			escaped = true
		case r == '"':
			inString = !inString
		case !inString && (r == ',' || r == ':'):
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// text makes declaration prose safe in Markdown (a table cell too): a word
// holding a placeholder such as <name>-role or /commander/<stage>/ in code,
// since a bare < would open an HTML tag, and | escaped.
func text(s string) string {
	words := strings.Split(strings.ReplaceAll(s, "|", `\|`), " ")
	for i, w := range words {
		if !strings.Contains(w, "<") || strings.Contains(w, "`") {
			continue
		}
		core := strings.TrimLeft(w, "(")
		lead := w[:len(w)-len(core)]
		core = strings.TrimRight(core, ").,;:")
		words[i] = lead + "`" + core + "`" + w[len(lead)+len(core):]
	}
	return strings.Join(words, " ")
}
