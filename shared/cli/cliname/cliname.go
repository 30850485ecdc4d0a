// Package cliname derives the commander CLI's words from the api's command
// declarations: the group and verb of an action, a parameter's flag, the
// positional arguments and the synopsis. It is its own package so that the
// command reference generator (shared/api/catalog) can print the CLI line of
// every command without importing the CLI.
package cliname

import (
	"strings"
	"unicode"

	"github.com/aws-commander/commander/shared/api"
)

// Binary is the CLI's name, as users type it.
const Binary = "commander"

// Words are the CLI words of an action: "ec2.createSecurityGroup" is
// ("ec2", "create-security-group").
func Words(action string) (group, verb string) {
	group, verb, _ = strings.Cut(action, ".")
	return Kebab(group), Kebab(verb)
}

// Kebab turns camelCase into kebab-case: "maxResults" is "max-results",
// "memoryMB" is "memory-mb", "zipBase64" is "zip-base64".
func Kebab(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			// A word starts at an upper-case letter after a lower-case one or
			// a digit, or at the last capital of a run followed by lower case
			// ("HTTPServer" is "http-server").
			prevLower := i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]))
			endOfRun := i > 0 && unicode.IsUpper(rs[i-1]) && i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if prevLower || endOfRun {
				b.WriteByte('-')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Flag is the flag of a parameter, without its dashes: "maxResults" is
// "max-results".
func Flag(p api.Param) string { return Kebab(p.Name) }

// Positionals are the CLI's positional arguments: the command's path
// parameters in the order its path template names them. A command without
// path parameters whose one required parameter is a string takes that one
// as its argument too ("commander s3 create-bucket my-bucket"); it may also
// be given by its flag.
func Positionals(c api.Command) []api.Param {
	var out []api.Param
	for _, seg := range strings.Split(c.Path, "/") {
		if !strings.HasPrefix(seg, "{") || !strings.HasSuffix(seg, "}") {
			continue
		}
		name := strings.TrimSuffix(strings.Trim(seg, "{}"), "+")
		for _, p := range c.Params {
			if p.Name == name {
				out = append(out, p)
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	if s, ok := Subject(c); ok {
		return []api.Param{s}
	}
	return nil
}

// Subject is the one required string parameter of a command without path
// parameters: what the command is about, given as its argument.
func Subject(c api.Command) (api.Param, bool) {
	if strings.Contains(c.Path, "{") {
		return api.Param{}, false
	}
	var found []api.Param
	for _, p := range c.Params {
		if p.Required {
			found = append(found, p)
		}
	}
	if len(found) != 1 || found[0].Type != api.String {
		return api.Param{}, false
	}
	return found[0], true
}

// IsPositional reports whether name is one of the command's path parameters.
func IsPositional(c api.Command, name string) bool {
	for _, p := range Positionals(c) {
		if p.Name == name {
			return true
		}
	}
	return false
}

// Flags are the command's other parameters, in declaration order.
func Flags(c api.Command) []api.Param {
	var out []api.Param
	for _, p := range c.Params {
		if !IsPositional(c, p.Name) {
			out = append(out, p)
		}
	}
	return out
}

// Metavar is how a synopsis names a positional argument: "id" is "ID",
// "instanceId" is "INSTANCE-ID".
func Metavar(p api.Param) string { return strings.ToUpper(Kebab(p.Name)) }

// Synopsis is the command's usage line: positionals, required flags, then
// the optional flags in brackets, e.g.
// "commander ec2 stop ID [--force]".
func Synopsis(c api.Command) string {
	group, verb := Words(c.Action)
	parts := []string{Binary, group, verb}
	for _, p := range Positionals(c) {
		parts = append(parts, Metavar(p))
	}
	var optional []string
	for _, p := range Flags(c) {
		f := "--" + Flag(p)
		if p.Type != api.Bool {
			f += " " + valueHint(p)
		}
		if p.Required {
			parts = append(parts, f)
		} else {
			optional = append(optional, "["+f+"]")
		}
	}
	if c.Mutates {
		optional = append(optional, "[--dry-run]", "[--yes]")
	}
	return strings.Join(append(parts, optional...), " ")
}

// valueHint names what a flag's value looks like, by the parameter's type.
func valueHint(p api.Param) string {
	switch p.Type {
	case api.Int:
		return "N"
	case api.Number:
		return "X"
	case api.List:
		return "A,B"
	case api.Map:
		return "K=V"
	case api.Object:
		return "JSON"
	}
	return strings.ToUpper(Kebab(p.Name))
}
