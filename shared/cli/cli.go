// Package cli is the commander command line: its commands are the api's
// command registry (catalog.Declared), so a command, its arguments, flags,
// help and validation cannot drift from what the server runs. It parses and
// validates locally with the registry's own rules, then sends the command
// over the HTTP API (SigV4-signed) or by invoking the api function, and
// prints the answer as tables or as the server's JSON.
package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/cli/cliname"
	"github.com/aws-commander/commander/shared/validate"
	"golang.org/x/term"
)

// App is one run of the CLI with its surroundings, so tests drive it whole.
type App struct {
	Registry *api.Registry
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
	// Terminal reports whether stdin is a terminal a person answers on.
	Terminal func() bool
	// Connect builds the transport the globals ask for; nil is Connect.
	Connect func(ctx context.Context, g Globals) (Transport, error)
	// NewKey makes a changing call's idempotency key; nil is a random one.
	NewKey func() string
	// Version is printed by `commander version`.
	Version string
}

// Run runs the command line args (without the program name) and returns the
// exit status.
func (a App) Run(ctx context.Context, args []string) int {
	err := a.run(ctx, args)
	if err == nil {
		return ExitOK
	}
	var e *exitError
	if !errors.As(err, &e) || !e.printed {
		fmt.Fprintf(a.Stderr, "%s: %v\n", cliname.Binary, err)
	}
	return codeOf(err)
}

func (a App) run(ctx context.Context, args []string) error {
	l, err := Parse(a.Registry, args)
	if err != nil {
		return err
	}
	if l.Command == nil {
		return a.builtin(l)
	}
	if l.Globals.Help {
		help(a.Stdout, a.Registry, *l.Command)
		return nil
	}
	if err := Check(a.Registry, l); err != nil {
		return err
	}
	c := *l.Command
	call := Call{Command: l.Command, Params: l.Params, DryRun: l.Globals.DryRun}
	if c.Mutates {
		if err := a.confirm(l); err != nil {
			return err
		}
		call.IdempotencyKey = l.Globals.IdempotencyKey
		if call.IdempotencyKey == "" {
			call.IdempotencyKey = a.newKey()
		}
	}
	connect := a.Connect
	if connect == nil {
		connect = Connect
	}
	t, err := connect(ctx, l.Globals)
	if err != nil {
		return err
	}
	ans, err := t.Send(ctx, call)
	if err != nil {
		return err
	}
	return a.print(l, ans)
}

func (a App) builtin(l Line) error {
	words := l.Words
	if len(words) == 0 {
		overview(a.Stdout, a.Registry)
		return nil
	}
	switch words[0] {
	case "help":
		return a.helpFor(words[1:])
	case "version":
		fmt.Fprintln(a.Stdout, cliname.Binary, a.Version)
		return nil
	case "validate":
		if l.Globals.Help {
			fmt.Fprintln(a.Stdout, validateHelp)
			return nil
		}
		if len(words) != 2 {
			return usagef("usage: %s validate FILE", cliname.Binary)
		}
		return a.validate(words[1])
	}
	// A group alone (or with --help): its commands.
	return a.helpFor(words)
}

func (a App) helpFor(words []string) error {
	switch len(words) {
	case 0:
		overview(a.Stdout, a.Registry)
	case 1:
		if isBuiltin(words[0]) {
			overview(a.Stdout, a.Registry)
			return nil
		}
		if _, ok := groups(a.Registry)[words[0]]; !ok {
			return usagef("unknown command group %q; the groups are %s", words[0], strings.Join(groupNames(a.Registry), ", "))
		}
		groupHelp(a.Stdout, a.Registry, words[0])
	default:
		c, err := find(a.Registry, words[0], words[1])
		if err != nil {
			return err
		}
		help(a.Stdout, a.Registry, *c)
	}
	return nil
}

const validateHelp = `usage: commander validate FILE

Checks a document you write (a cleanup policy, backup policies, schedules,
an api direct payload) with the validator its function runs, without AWS:
prints its kind and "valid", or every error by its path (exit status 3).`

func (a App) validate(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return badInputf("validate: %w", err)
	}
	kind, err := validate.Document(file, data)
	if err != nil {
		if kind != "" {
			return badInputf("%s (%s) is not valid:\n%w", file, kind, err)
		}
		return badInputf("%s is not valid:\n%w", file, err)
	}
	fmt.Fprintf(a.Stdout, "%s: %s, valid\n", file, kind)
	return nil
}

// confirm asks before a changing command runs for real. A dry run, --yes,
// or a "y" on the terminal lets it through; without a terminal there is no
// one to ask, so the CLI refuses rather than act unasked.
func (a App) confirm(l Line) error {
	if l.Globals.DryRun || l.Globals.Yes {
		return nil
	}
	group, verb := cliname.Words(l.Command.Action)
	if a.Terminal == nil || !a.Terminal() {
		return usagef("`%s %s` changes AWS resources: pass --yes to run it (or --dry-run to see what it would do); stdin is not a terminal, so commander cannot ask", group, verb)
	}
	fmt.Fprintf(a.Stderr, "%s %s (%s) changes AWS resources%s. Run it? [y/N] ", group, verb, l.Command.Route(), describeParams(*l.Command, l.Params))
	line, err := bufio.NewReader(a.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return &exitError{code: ExitFailure, err: errors.New("not confirmed: nothing was sent")}
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return &exitError{code: ExitFailure, err: errors.New("not confirmed: nothing was sent")}
}

func describeParams(c api.Command, params map[string]json.RawMessage) string {
	var parts []string
	for _, p := range c.Params {
		if raw, ok := params[p.Name]; ok {
			parts = append(parts, Spelling(c, p.Name)+" "+clip(string(raw), 80))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " with " + strings.Join(parts, ", ")
}

func (a App) newKey() string {
	if a.NewKey != nil {
		return a.NewKey()
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return "commander-cli-" + hex.EncodeToString(b)
}

// answered is the api's Response (or API Gateway's own {"message": ...}).
type answered struct {
	StatusCode int             `json:"statusCode"`
	Action     string          `json:"action"`
	RequestID  string          `json:"requestId"`
	DryRun     bool            `json:"dryRun"`
	Result     json.RawMessage `json:"result"`
	Error      *api.Error      `json:"error"`
	APICalls   int64           `json:"apiCalls"`
	Message    string          `json:"message"`
}

func (a App) print(l Line, ans Answer) error {
	var r answered
	decodeErr := json.Unmarshal(ans.Body, &r)
	code := ExitFor(ans.Status)
	if l.Globals.JSON {
		body := strings.TrimSpace(string(ans.Body))
		fmt.Fprintln(a.Stdout, body)
		if code == ExitOK {
			return nil
		}
	}
	if code != ExitOK {
		msg := failure(*l.Command, ans, r, decodeErr)
		fmt.Fprintf(a.Stderr, "%s: %s\n", cliname.Binary, msg)
		return &exitError{code: code, err: errors.New(msg), printed: true}
	}
	if decodeErr != nil {
		return fmt.Errorf("the answer (HTTP %d) is not JSON: %.200s", ans.Status, ans.Body)
	}
	if r.DryRun {
		fmt.Fprintln(a.Stdout, "DRY RUN: nothing was changed; this is what the command would do.")
	}
	if len(r.Result) > 0 && string(r.Result) != "null" {
		n, err := decodeNode(r.Result)
		if err != nil {
			return fmt.Errorf("the result is not JSON: %w", err)
		}
		render(a.Stdout, n)
	} else {
		fmt.Fprintln(a.Stdout, "done")
	}
	return nil
}

// failure is one line about a failed answer: status, code, the server's
// message, and the field it names as the CLI spells it.
func failure(c api.Command, ans Answer, r answered, decodeErr error) string {
	switch {
	case decodeErr != nil:
		return fmt.Sprintf("HTTP %d: %.300s", ans.Status, strings.TrimSpace(string(ans.Body)))
	case r.Error == nil && r.Message != "":
		// API Gateway answered itself (no route, a refused signature).
		return fmt.Sprintf("HTTP %d from API Gateway: %s", ans.Status, r.Message)
	case r.Error == nil:
		return fmt.Sprintf("HTTP %d: %.300s", ans.Status, strings.TrimSpace(string(ans.Body)))
	}
	e := r.Error
	msg := fmt.Sprintf("%d %s: %s", ans.Status, e.Code, e.Message)
	if e.Field != "" {
		msg += " [" + Spelling(c, e.Field) + "]"
	}
	if e.AWSAction != "" && e.AWSAction != ":" {
		msg += " (AWS " + e.AWSAction
		if e.AWSCode != "" {
			msg += " " + e.AWSCode
		}
		msg += ")"
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf("; retry after %d s", e.RetryAfter)
	}
	if r.RequestID != "" {
		msg += "; request " + r.RequestID
	}
	return msg
}

// StdinIsTerminal reports whether stdin is a terminal a person can answer
// the confirmation on (a terminal ioctl: /dev/null is a character device
// too, and must not count).
func StdinIsTerminal() bool { return term.IsTerminal(int(os.Stdin.Fd())) }
