package cli

import (
	"regexp"
	"slices"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/cli/cliname"
)

// Shorthand is a flag that stands for one value of a parameter with a few
// named values: `commander jobs start cleanup --plan` is `--mode plan`.
type Shorthand struct {
	Flag  string
	Param api.Param
	Value string
}

var shorthandWord = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// Shorthands are the command's enum shorthands: each lower-case value of a
// String parameter's Enum, unless it is ambiguous (two parameters have it)
// or would hide a parameter's or a global flag.
func Shorthands(c api.Command) []Shorthand {
	count := map[string]int{}
	var out []Shorthand
	for _, p := range c.Params {
		if p.Type != api.String || cliname.IsPositional(c, p.Name) {
			continue
		}
		for _, v := range p.Enum {
			if shorthandWord.MatchString(v) {
				count[v]++
				out = append(out, Shorthand{Flag: v, Param: p, Value: v})
			}
		}
	}
	return slices.DeleteFunc(out, func(s Shorthand) bool {
		_, global := lookupGlobal(s.Flag)
		_, param := paramByFlag(c, s.Flag)
		return count[s.Flag] > 1 || global || param
	})
}

func paramByFlag(c api.Command, flag string) (api.Param, bool) {
	flags := cliname.Flags(c)
	if s, ok := cliname.Subject(c); ok {
		flags = append(flags, s) // also by its flag
	}
	for _, p := range flags {
		if cliname.Flag(p) == flag {
			return p, true
		}
	}
	return api.Param{}, false
}

func shorthand(c api.Command, flag string) (Shorthand, bool) {
	for _, s := range Shorthands(c) {
		if s.Flag == flag {
			return s, true
		}
	}
	return Shorthand{}, false
}
