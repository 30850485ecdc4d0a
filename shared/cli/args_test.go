package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/catalog"
	"github.com/aws-commander/commander/shared/cli/cliname"
)

func declared(t *testing.T) *api.Registry {
	t.Helper()
	reg, err := catalog.Declared()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// Every command of the registry parses from its generated example and
// passes the registry's own validation: the help never shows a line that
// does not work.
func TestEveryCommandParsesFromItsExample(t *testing.T) {
	reg := declared(t)
	for _, action := range reg.Actions() {
		c, _ := reg.Lookup(action)
		t.Run(action, func(t *testing.T) {
			ex, err := Example(*c)
			if err != nil {
				t.Fatal(err)
			}
			l, err := Parse(reg, ex[1:])
			if err != nil {
				t.Fatalf("%s: %v", Shell(ex), err)
			}
			if l.Command == nil || l.Command.Action != action {
				t.Fatalf("%s: parsed as %+v", Shell(ex), l.Command)
			}
			if err := Check(reg, l); err != nil {
				t.Fatalf("%s: %v", Shell(ex), err)
			}
			if c.Mutates != l.Globals.DryRun {
				t.Fatalf("%s: a changing command's example is a dry run, a reading one has none", Shell(ex))
			}
		})
	}
}

// No parameter's flag, and no shorthand, hides one of the CLI's own flags.
func TestNoFlagHidesAGlobalOne(t *testing.T) {
	reg := declared(t)
	for _, action := range reg.Actions() {
		c, _ := reg.Lookup(action)
		t.Run(action, func(t *testing.T) {
			for _, p := range cliname.Flags(*c) {
				if _, global := lookupGlobal(cliname.Flag(p)); global {
					t.Errorf("parameter %s's flag --%s is a global flag", p.Name, cliname.Flag(p))
				}
			}
		})
	}
}

// badValue is a command-line value the parameter's type refuses, or ""
// when every text is a valid value of it.
func badValue(p api.Param) string {
	switch p.Type {
	case api.Int, api.Number:
		return "ten"
	case api.Bool:
		return "maybe"
	case api.Object:
		return "{not json"
	case api.Map:
		return "no-equals-sign"
	}
	if len(p.Enum) > 0 {
		return "not-one-of-them"
	}
	if p.Pattern != nil && !p.Pattern.MatchString("bad value!") {
		return "bad value!"
	}
	return ""
}

// For every parameter of every command, a bad value is refused before
// anything is sent, with an error naming its flag or argument and the
// server's own rule text (Param.Rule).
func TestBadValuesGiveTheServersRule(t *testing.T) {
	reg := declared(t)
	for _, action := range reg.Actions() {
		c, _ := reg.Lookup(action)
		ex, err := Example(*c)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range c.Params {
			bad := badValue(p)
			if bad == "" {
				continue
			}
			t.Run(action+"/"+p.Name, func(t *testing.T) {
				args := withValue(*c, ex[1:], p, bad)
				l, err := Parse(reg, args)
				if err == nil {
					err = Check(reg, l)
				}
				if err == nil {
					t.Fatalf("%s: accepted", Shell(args))
				}
				if codeOf(err) != ExitBadInput {
					t.Fatalf("%s: exit %d (%v), want %d", Shell(args), codeOf(err), err, ExitBadInput)
				}
				if !strings.Contains(err.Error(), Spelling(*c, p.Name)) || !strings.Contains(err.Error(), p.Rule()) {
					t.Fatalf("%s: %q names neither %s nor its rule %q", Shell(args), err, Spelling(*c, p.Name), p.Rule())
				}
			})
		}
	}
}

// withValue is args with parameter p set to v (replacing the example's).
func withValue(c api.Command, args []string, p api.Param, v string) []string {
	if cliname.IsPositional(c, p.Name) {
		out := append([]string{}, args...)
		for i, q := range cliname.Positionals(c) {
			if q.Name == p.Name {
				out[2+i] = v
			}
		}
		return out
	}
	flag := "--" + cliname.Flag(p)
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == flag || strings.HasPrefix(args[i], flag+"=") {
			if p.Type != api.Bool && !strings.Contains(args[i], "=") {
				i++
			}
			continue
		}
		out = append(out, args[i])
	}
	return append(out, flag+"="+v)
}

func TestParse(t *testing.T) {
	reg := declared(t)
	cases := []struct {
		name   string
		args   []string
		action string
		params map[string]string // parameter: its JSON
		global func(Globals) bool
		code   int    // 0: parses
		errHas string // in the error
	}{
		{name: "a path parameter is positional", args: []string{"ec2", "stop", "i-0123456789abcdef0", "--force"},
			action: "ec2.stop", params: map[string]string{"id": `"i-0123456789abcdef0"`, "force": "true"}},
		{name: "global flags before and after the words", args: []string{"--json", "ec2", "list", "--stage", "prod", "--max-results", "10"},
			action: "ec2.list", params: map[string]string{"maxResults": "10"}, global: func(g Globals) bool { return g.JSON && g.Stage == "prod" }},
		{name: "a list comma-separated and repeated", args: []string{"ec2", "list", "--state", "running,stopped", "--state=pending"},
			action: "ec2.list", params: map[string]string{"state": `["running","stopped","pending"]`}},
		{name: "a map as key=value repeated", args: []string{"s3", "create-bucket", "b-1", "--tags", "team=web", "--tags", "env=prod"},
			action: "s3.createBucket", params: map[string]string{"bucket": `"b-1"`, "tags": `{"env":"prod","team":"web"}`}},
		{name: "a map as JSON", args: []string{"s3", "create-bucket", "b-1", "--tags", `{"team":"web"}`},
			action: "s3.createBucket", params: map[string]string{"bucket": `"b-1"`, "tags": `{"team":"web"}`}},
		{name: "an object as JSON", args: []string{"s3", "create-bucket", "b-1", "--cors", `[{"allowedOrigins":["*"]}]`},
			action: "s3.createBucket", params: map[string]string{"bucket": `"b-1"`, "cors": `[{"allowedOrigins":["*"]}]`}},
		{name: "the subject by its flag", args: []string{"s3", "create-bucket", "--bucket", "b-1"},
			action: "s3.createBucket", params: map[string]string{"bucket": `"b-1"`}},
		{name: "a greedy path parameter", args: []string{"s3", "get-object", "b-1", "a/b/c.txt"},
			action: "s3.getObject", params: map[string]string{"bucket": `"b-1"`, "key": `"a/b/c.txt"`}},
		{name: "an enum shorthand", args: []string{"jobs", "start", "cleanup", "--plan"},
			action: "jobs.start", params: map[string]string{"job": `"cleanup"`, "mode": `"plan"`}},
		{name: "a bool flag =false", args: []string{"ec2", "stop", "i-0123456789abcdef0", "--force=false"},
			action: "ec2.stop", params: map[string]string{"id": `"i-0123456789abcdef0"`, "force": "false"}},
		{name: "dry run and yes", args: []string{"ec2", "terminate", "i-0123456789abcdef0", "--dry-run", "--yes"},
			action: "ec2.terminate", global: func(g Globals) bool { return g.DryRun && g.Yes }},
		{name: "-- ends the flags", args: []string{"s3", "delete-object", "b-1", "--", "--odd-key"},
			action: "s3.deleteObject", params: map[string]string{"key": `"--odd-key"`}},
		{name: "help for a command", args: []string{"ec2", "stop", "--help"}, action: "ec2.stop", global: func(g Globals) bool { return g.Help }},

		{name: "an unknown group", args: []string{"ecs", "list"}, code: ExitUsage, errHas: `unknown command group "ecs"`},
		{name: "an unknown verb", args: []string{"ec2", "explode"}, code: ExitUsage, errHas: "its commands are"},
		{name: "an unknown flag", args: []string{"ec2", "list", "--colour"}, code: ExitUsage, errHas: "unknown flag --colour"},
		{name: "a command flag before the words", args: []string{"--max-results", "5", "ec2", "list"}, code: ExitUsage, errHas: "come after"},
		{name: "a missing argument", args: []string{"ec2", "stop"}, code: ExitUsage, errHas: "missing ID"},
		{name: "too many arguments", args: []string{"ec2", "stop", "i-0123456789abcdef0", "extra"}, code: ExitUsage, errHas: "too many arguments"},
		{name: "a flag without its value", args: []string{"ec2", "list", "--max-results"}, code: ExitUsage, errHas: "needs a value"},
		{name: "a scalar flag twice", args: []string{"ec2", "list", "--max-results", "5", "--max-results", "6"}, code: ExitUsage, errHas: "given twice"},
		{name: "--dry-run on a reading command", args: []string{"ec2", "list", "--dry-run"}, code: ExitUsage, errHas: "changes nothing"},
		{name: "a map value without =", args: []string{"s3", "create-bucket", "b-1", "--tags", "team"}, code: ExitBadInput, errHas: "KEY=VALUE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := Parse(reg, c.args)
			if c.code != 0 {
				if err == nil || codeOf(err) != c.code || !strings.Contains(err.Error(), c.errHas) {
					t.Fatalf("want exit %d with %q, got %v (exit %d)", c.code, c.errHas, err, codeOf(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.Command == nil || l.Command.Action != c.action {
				t.Fatalf("command %+v, want %s", l.Command, c.action)
			}
			for k, want := range c.params {
				var a, b any
				_ = json.Unmarshal(l.Params[k], &a)
				_ = json.Unmarshal([]byte(want), &b)
				if ja, _ := json.Marshal(a); string(ja) != mustJSON(b) {
					t.Errorf("param %s = %s, want %s", k, l.Params[k], want)
				}
			}
			if c.global != nil && !c.global(l.Globals) {
				t.Errorf("globals %+v", l.Globals)
			}
		})
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestExitFor(t *testing.T) {
	cases := []struct {
		name   string
		status int
		want   int
	}{
		{"ok", 200, ExitOK}, {"accepted", 202, ExitOK}, {"bad request", 400, ExitBadInput}, {"too large", 413, ExitBadInput},
		{"not found", 404, ExitNotFound}, {"conflict", 409, ExitConflict}, {"throttled", 429, ExitThrottled},
		{"unauthorized", 401, ExitDenied}, {"forbidden", 403, ExitDenied}, {"not implemented", 501, ExitServer},
		{"bad gateway", 502, ExitServer}, {"timeout", 504, ExitServer},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ExitFor(c.status); got != c.want {
				t.Fatalf("ExitFor(%d) = %d, want %d", c.status, got, c.want)
			}
		})
	}
}
