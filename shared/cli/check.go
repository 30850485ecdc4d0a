package cli

import (
	"fmt"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/cli/cliname"
)

// Check validates the line's parameters with the registry's own Resolve,
// the function the server runs on every request, so nothing the server
// would refuse is sent. The error names the flag (or argument) and says what
// it accepts, in the server's words.
func Check(reg *api.Registry, l Line) error {
	_, _, verr := reg.Resolve(api.Request{Action: l.Command.Action, Body: l.Params})
	if verr == nil {
		return nil
	}
	return badInputf("%s", describe(*l.Command, verr))
}

// describe says what went wrong in the CLI's words: a parameter's field
// becomes its flag or argument.
func describe(c api.Command, e *api.Error) string {
	where := Spelling(c, e.Field)
	switch {
	case e.Field == "":
		return e.Message
	case e.Code == "MissingParameter":
		return fmt.Sprintf("%s is required: %s", where, e.Rule)
	case e.Rule != "":
		return fmt.Sprintf("%s: accepts %s", where, e.Rule)
	}
	return fmt.Sprintf("%s: %s", where, e.Message)
}

// Spelling is how the CLI spells a parameter of c: its flag, its positional
// argument, or the name itself for a field that is not a parameter.
func Spelling(c api.Command, field string) string {
	for _, p := range c.Params {
		if p.Name != field {
			continue
		}
		if cliname.IsPositional(c, p.Name) {
			return "argument " + cliname.Metavar(p)
		}
		return "--" + cliname.Flag(p)
	}
	if field == "dryRun" {
		return "--dry-run"
	}
	return field
}
