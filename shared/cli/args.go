package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/cli/cliname"
)

// Globals are the CLI's own options, the same for every command.
type Globals struct {
	JSON           bool
	DryRun         bool
	Yes            bool
	Help           bool
	Invoke         bool
	Profile        string
	Region         string
	Stage          string
	Endpoint       string
	Function       string
	IdempotencyKey string
}

// globalFlag is one of the CLI's own flags.
type globalFlag struct {
	name    string
	isBool  bool
	hint    string
	doc     string
	set     func(g *Globals, v string)
	mutates bool // only for changing commands
}

var globalFlags = []globalFlag{
	{name: "json", isBool: true, doc: "print the server's JSON answer as is (for scripts)", set: func(g *Globals, _ string) { g.JSON = true }},
	{name: "dry-run", isBool: true, mutates: true, doc: "ask the api what the command would do; nothing changes", set: func(g *Globals, _ string) { g.DryRun = true }},
	{name: "yes", isBool: true, mutates: true, doc: "run a changing command without asking (required when stdin is not a terminal)", set: func(g *Globals, _ string) { g.Yes = true }},
	{name: "stage", hint: "STAGE", doc: "the deployed stage: its stack is commander-STAGE (default dev)", set: func(g *Globals, v string) { g.Stage = v }},
	{name: "profile", hint: "NAME", doc: "the AWS profile (default: AWS_PROFILE, then default)", set: func(g *Globals, v string) { g.Profile = v }},
	{name: "region", hint: "REGION", doc: "the AWS region (default: AWS_REGION, then the profile's)", set: func(g *Globals, v string) { g.Region = v }},
	{name: "endpoint", hint: "URL", doc: "the HTTP API's URL instead of the stack's ApiUrl output (e.g. make serve's)", set: func(g *Globals, v string) { g.Endpoint = v }},
	{name: "invoke", isBool: true, doc: "invoke the api function directly (lambda:InvokeFunction) instead of the HTTP API", set: func(g *Globals, _ string) { g.Invoke = true }},
	{name: "function", hint: "NAME", doc: "with --invoke: the function instead of the stack's ApiFunctionName output", set: func(g *Globals, v string) { g.Function = v }},
	{name: "idempotency-key", hint: "KEY", mutates: true, doc: "name this call so that repeating it does not act twice (default: random per call)", set: func(g *Globals, v string) { g.IdempotencyKey = v }},
	{name: "help", isBool: true, doc: "show help", set: func(g *Globals, _ string) { g.Help = true }},
}

func lookupGlobal(name string) (globalFlag, bool) {
	if name == "h" {
		name = "help"
	}
	for _, f := range globalFlags {
		if f.name == name {
			return f, true
		}
	}
	return globalFlag{}, false
}

// Line is a parsed command line.
type Line struct {
	Globals Globals
	Words   []string     // what came before a command was found (help, a group)
	Command *api.Command // nil: help, a group's help, or validate
	// Params are what the user gave (not the defaults), as the JSON values
	// a direct invocation's params would carry, by parameter name.
	Params map[string]json.RawMessage
}

// Parse reads the command line against the registry. Flags may come before
// or after the command's words; before them only the global flags are known.
func Parse(reg *api.Registry, args []string) (Line, error) {
	l := Line{Params: map[string]json.RawMessage{}}
	var positional []string
	given := map[string]string{} // parameter name: the flag that gave it, for "given twice"
	flagsDone := false
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if flagsDone || arg == "-" || !strings.HasPrefix(arg, "-") {
			if l.Command == nil && !flagsDone {
				l.Words = append(l.Words, arg)
				if len(l.Words) == 2 && !isBuiltin(l.Words[0]) {
					c, err := find(reg, l.Words[0], l.Words[1])
					if err != nil {
						return l, err
					}
					l.Command = c
				}
				continue
			}
			positional = append(positional, arg)
			continue
		}
		if arg == "--" {
			flagsDone = true
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		next := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if i+1 >= len(args) {
				return "", usagef("flag --%s needs a value", name)
			}
			i++
			return args[i], nil
		}
		if l.Command != nil {
			if p, ok := paramByFlag(*l.Command, name); ok {
				text := "true"
				if p.Type != api.Bool || hasValue {
					var err error
					if text, err = next(); err != nil {
						return l, err
					}
				}
				if err := l.addParam(p, "--"+name, text, given); err != nil {
					return l, err
				}
				continue
			}
			if s, ok := shorthand(*l.Command, name); ok {
				if hasValue {
					return l, usagef("flag --%s takes no value: it stands for --%s %s", name, cliname.Flag(s.Param), s.Value)
				}
				if err := l.addParam(s.Param, "--"+name, s.Value, given); err != nil {
					return l, err
				}
				continue
			}
		}
		g, ok := lookupGlobal(name)
		if !ok {
			if l.Command == nil {
				return l, usagef("unknown flag --%s (a command's flags come after `%s <group> <command>`; see `%s help`)", name, cliname.Binary, cliname.Binary)
			}
			group, verb := cliname.Words(l.Command.Action)
			return l, usagef("unknown flag --%s for `%s %s %s` (see `%s %s %s --help`)", name, cliname.Binary, group, verb, cliname.Binary, group, verb)
		}
		v := ""
		if !g.isBool {
			var err error
			if v, err = next(); err != nil {
				return l, err
			}
		} else if hasValue {
			b, err := strconv.ParseBool(value)
			if err != nil {
				return l, usagef("flag --%s is true or false, not %q", name, value)
			}
			if !b {
				continue
			}
		}
		g.set(&l.Globals, v)
	}
	if l.Command == nil {
		if len(l.Words) == 1 && !isBuiltin(l.Words[0]) {
			if _, ok := groups(reg)[l.Words[0]]; !ok {
				return l, usagef("unknown command group %q; the groups are %s", l.Words[0], strings.Join(groupNames(reg), ", "))
			}
		}
		l.Words = append(l.Words, positional...)
		return l, nil
	}
	if l.Globals.Help {
		return l, nil
	}
	return l, l.positionals(positional, given)
}

func (l *Line) positionals(args []string, given map[string]string) error {
	c := *l.Command
	pos := slices.DeleteFunc(cliname.Positionals(c), func(p api.Param) bool { _, byFlag := given[p.Name]; return byFlag })
	if len(args) > len(pos) {
		return usagef("too many arguments: %q; usage: %s", args[len(pos):], cliname.Synopsis(c))
	}
	if len(args) < len(pos) {
		missing := make([]string, 0, len(pos)-len(args))
		for _, p := range pos[len(args):] {
			missing = append(missing, cliname.Metavar(p))
		}
		return usagef("missing %s; usage: %s", strings.Join(missing, " "), cliname.Synopsis(c))
	}
	for i, p := range pos {
		if err := l.addParam(p, cliname.Metavar(p), args[i], given); err != nil {
			return err
		}
	}
	if !c.Mutates {
		for _, g := range globalFlags {
			if g.mutates && l.Globals.flagSet(g.name) {
				group, verb := cliname.Words(c.Action)
				return usagef("--%s: `%s %s` changes nothing, the flag is for changing commands", g.name, group, verb)
			}
		}
	}
	return nil
}

func (g Globals) flagSet(name string) bool {
	switch name {
	case "dry-run":
		return g.DryRun
	case "yes":
		return g.Yes
	case "idempotency-key":
		return g.IdempotencyKey != ""
	}
	return false
}

// addParam converts one command-line value to the JSON a direct invocation
// carries. Only the syntax of the command line is read here; whether the
// value is acceptable is the registry's call (Resolve), so the CLI cannot
// accept what the server refuses or the other way round.
func (l *Line) addParam(p api.Param, flag, text string, given map[string]string) error {
	prev, repeated := given[p.Name]
	if repeated && (p.Type != api.List && p.Type != api.Map || prev != flag) {
		return usagef("%s: given twice (also as %s)", flag, prev)
	}
	given[p.Name] = flag
	var v any
	switch p.Type {
	case api.String:
		v = text
	case api.Int, api.Number:
		// A JSON number as typed; anything else goes as a string, which the
		// registry refuses with the parameter's rule.
		if t := strings.TrimSpace(text); t != "" && (t[0] == '-' || t[0] >= '0' && t[0] <= '9') && json.Valid([]byte(t)) {
			l.Params[p.Name] = json.RawMessage(t)
			return nil
		}
		v = text
	case api.Bool:
		if b, err := strconv.ParseBool(strings.TrimSpace(text)); err == nil {
			v = b
		} else {
			v = text
		}
	case api.List:
		var items []string
		if repeated {
			if err := json.Unmarshal(l.Params[p.Name], &items); err != nil {
				return fmt.Errorf("%s: %w", flag, err)
			}
		}
		for _, it := range strings.Split(text, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		if items == nil {
			items = []string{}
		}
		v = items
	case api.Map:
		m := map[string]string{}
		if repeated {
			if err := json.Unmarshal(l.Params[p.Name], &m); err != nil {
				return fmt.Errorf("%s: %w", flag, err)
			}
		}
		raw, err := fileOr(flag, text)
		if err != nil {
			return err
		}
		if t := strings.TrimSpace(raw); strings.HasPrefix(t, "{") {
			var obj map[string]string
			if json.Unmarshal([]byte(t), &obj) != nil {
				return badInputf("%s: accepts %s; on the command line KEY=VALUE (repeat the flag) or a JSON object", flag, p.Rule())
			}
			for k, val := range obj {
				m[k] = val
			}
		} else {
			k, val, ok := strings.Cut(raw, "=")
			if !ok {
				return badInputf("%s %q: accepts %s; on the command line KEY=VALUE (repeat the flag) or a JSON object", flag, text, p.Rule())
			}
			m[k] = val
		}
		v = m
	case api.Object:
		raw, err := fileOr(flag, text)
		if err != nil {
			return err
		}
		if !json.Valid([]byte(raw)) {
			return badInputf("%s: accepts %s (inline, or @FILE)", flag, p.Rule())
		}
		l.Params[p.Name] = json.RawMessage(strings.TrimSpace(raw))
		return nil
	default:
		v = text
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	l.Params[p.Name] = b
	return nil
}

// fileOr reads @FILE, so that a JSON document need not be quoted on the
// command line.
func fileOr(flag, text string) (string, error) {
	name, ok := strings.CutPrefix(text, "@")
	if !ok {
		return text, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return "", badInputf("%s: %w", flag, err)
	}
	return string(b), nil
}

func isBuiltin(word string) bool { return word == "help" || word == "validate" || word == "version" }

// find is the command for the CLI words group and verb.
func find(reg *api.Registry, group, verb string) (*api.Command, error) {
	verbs, ok := groups(reg)[group]
	if !ok {
		return nil, usagef("unknown command group %q; the groups are %s", group, strings.Join(groupNames(reg), ", "))
	}
	for _, action := range verbs {
		if _, v := cliname.Words(action); v == verb {
			c, _ := reg.Lookup(action)
			return c, nil
		}
	}
	names := make([]string, 0, len(verbs))
	for _, a := range verbs {
		_, v := cliname.Words(a)
		names = append(names, v)
	}
	return nil, usagef("unknown command %q in %s; its commands are %s", verb, group, strings.Join(names, ", "))
}

// groups are the registry's actions by CLI group.
func groups(reg *api.Registry) map[string][]string {
	out := map[string][]string{}
	for _, a := range reg.Actions() {
		g, _ := cliname.Words(a)
		out[g] = append(out[g], a)
	}
	return out
}

func groupNames(reg *api.Registry) []string {
	var out []string
	for g := range groups(reg) {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}
