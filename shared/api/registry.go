// Package api is the command registry behind the api function: every
// command declares its route, action and parameters once, and both entry
// points (the HTTP API, payload 2.0, and a direct invocation
// {"action","params","dryRun"}) validate and answer from that declaration.
// The commands themselves live in sub-packages, one per service.
package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/tags"
)

// Command is one operation, reachable as Method Path over HTTP and as
// Action in a direct invocation.
type Command struct {
	Action  string  // service.verb, e.g. ec2.launch
	Method  string  // GET, POST, PUT, DELETE
	Path    string  // e.g. /ec2/instances/{id}; {name+} takes the rest of the path
	Summary string  // one line for commands.list and docs/COMMANDS.md
	Params  []Param // path parameters are declared here too, by their template name
	Mutates bool    // changes something: honours dryRun and is audited
	Run     func(ctx context.Context, c *Call) (any, error)
}

// Route is the command's HTTP route, e.g. "POST /ec2/instances".
func (c Command) Route() string { return c.Method + " " + c.Path }

// Call is one validated invocation of a command.
type Call struct {
	Action    string
	Params    Params
	DryRun    bool
	Direct    bool      // a direct invocation (may wait longer than API Gateway's 30 s)
	Caller    string    // IAM ARN of the HTTP caller, or lambda-request:<id>
	RequestID string    // API Gateway or Lambda request id
	Token     string    // idempotency token: Idempotency-Key header, else the request id
	Now       time.Time // when the call started
}

// Tags are the tags everything this call creates carries, plus extra
// (user tags under aws: are dropped: AWS refuses them).
func (c *Call) Tags(extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range extra {
		if tags.UserTag(k) {
			out[k] = v
		}
	}
	for k, v := range tags.Managed(truncate(c.Caller, 256), c.Now) { // 256: the tag value limit
		out[k] = v
	}
	return out
}

// Registry holds the commands, by action and by route.
type Registry struct {
	cmds     []Command
	byAction map[string]*Command
}

// NewRegistry checks the declarations (unique actions and routes, path
// parameters declared) and adds commands.list.
func NewRegistry(groups ...[]Command) (*Registry, error) {
	r := &Registry{byAction: map[string]*Command{}}
	routes, actions := map[string]bool{}, map[string]bool{}
	add := func(c Command) error {
		if c.Action == "" || c.Run == nil || !strings.HasPrefix(c.Path, "/") {
			return fmt.Errorf("command %q: action, path and run are required", c.Action)
		}
		if actions[c.Action] {
			return fmt.Errorf("command %q declared twice", c.Action)
		}
		if routes[c.Route()] {
			return fmt.Errorf("route %q declared twice", c.Route())
		}
		for _, name := range pathNames(c.Path) {
			if !slices.ContainsFunc(c.Params, func(p Param) bool { return p.Name == name }) {
				return fmt.Errorf("command %q: path parameter %q is not declared", c.Action, name)
			}
		}
		routes[c.Route()], actions[c.Action] = true, true
		r.cmds = append(r.cmds, c)
		return nil
	}
	for _, g := range groups {
		for _, c := range g {
			if err := add(c); err != nil {
				return nil, err
			}
		}
	}
	if err := add(Command{Action: "commands.list", Method: http.MethodGet, Path: "/commands",
		Summary: "List every command with its route and parameters.",
		Run:     func(context.Context, *Call) (any, error) { return r.Docs(), nil }}); err != nil {
		return nil, err
	}
	sort.SliceStable(r.cmds, func(i, j int) bool { return r.cmds[i].Action < r.cmds[j].Action })
	for i := range r.cmds {
		r.byAction[r.cmds[i].Action] = &r.cmds[i]
	}
	return r, nil
}

// Actions are every action name, sorted.
func (r *Registry) Actions() []string {
	out := make([]string, len(r.cmds))
	for i, c := range r.cmds {
		out[i] = c.Action
	}
	return out
}

// Commands are the declarations, sorted by action (commands.list among
// them): what a generator such as shared/schema reads. Run is left out, so
// a reader cannot call a command past Resolve.
func (r *Registry) Commands() []Command {
	out := make([]Command, len(r.cmds))
	for i, c := range r.cmds {
		c.Run = nil
		c.Params = slices.Clone(c.Params)
		out[i] = c
	}
	return out
}

// Routes are every HTTP route, sorted by path.
func (r *Registry) Routes() []string {
	out := make([]string, len(r.cmds))
	for i, c := range r.cmds {
		out[i] = c.Route()
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := strings.SplitN(out[i], " ", 2), strings.SplitN(out[j], " ", 2)
		return a[1] < b[1] || a[1] == b[1] && a[0] < b[0]
	})
	return out
}

// Lookup finds a command by action.
func (r *Registry) Lookup(action string) (*Command, bool) {
	c, ok := r.byAction[action]
	return c, ok
}

// Match finds the command for an HTTP method and path, with the path's parameters.
func (r *Registry) Match(method, path string) (*Command, map[string]string, bool) {
	for i := range r.cmds {
		c := &r.cmds[i]
		if c.Method != method {
			continue
		}
		if vals, ok := matchPath(c.Path, path); ok {
			return c, vals, true
		}
	}
	return nil, nil, false
}

// RouteFor is the route key API Gateway matches for method and path (what
// a local server or a test puts in the event's routeKey).
func (r *Registry) RouteFor(method, path string) (string, bool) {
	c, _, ok := r.Match(method, path)
	if !ok {
		return "", false
	}
	return c.Route(), true
}

// Doc describes a command for commands.list.
type Doc struct {
	Action  string `json:"action"`
	Route   string `json:"route"`
	Summary string `json:"summary"`
	Mutates bool   `json:"mutates"`
	Params  []PDoc `json:"params"`
}

// PDoc describes a parameter.
type PDoc struct {
	Name     string `json:"name"`
	Type     Type   `json:"type"`
	Required bool   `json:"required"`
	Default  any    `json:"default,omitempty"`
	Rule     string `json:"rule"`
	Doc      string `json:"doc,omitempty"`
}

// Docs describe every command.
func (r *Registry) Docs() []Doc {
	out := make([]Doc, 0, len(r.cmds))
	for _, c := range r.cmds {
		d := Doc{Action: c.Action, Route: c.Route(), Summary: c.Summary, Mutates: c.Mutates, Params: []PDoc{}}
		for _, p := range c.Params {
			d.Params = append(d.Params, PDoc{Name: p.Name, Type: p.Type, Required: p.Required, Default: p.Default, Rule: p.Rule(), Doc: p.Doc})
		}
		out = append(out, d)
	}
	return out
}

func pathNames(tmpl string) []string {
	var out []string
	for _, seg := range strings.Split(tmpl, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, strings.TrimSuffix(strings.Trim(seg, "{}"), "+"))
		}
	}
	return out
}

// matchPath matches "/a/{x}/b/{rest+}" against a concrete path.
func matchPath(tmpl, path string) (map[string]string, bool) {
	ts := strings.Split(strings.Trim(tmpl, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range ps {
		u, err := url.PathUnescape(p)
		if err != nil {
			return nil, false
		}
		ps[i] = u
	}
	vals := map[string]string{}
	for i, t := range ts {
		if i >= len(ps) {
			return nil, false
		}
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "+}") {
			rest := strings.Join(ps[i:], "/")
			if rest == "" {
				return nil, false
			}
			vals[strings.TrimSuffix(t[1:], "+}")] = rest
			return vals, true
		}
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if ps[i] == "" {
				return nil, false
			}
			vals[t[1:len(t)-1]] = ps[i]
			continue
		}
		if t != ps[i] {
			return nil, false
		}
	}
	return vals, len(ts) == len(ps)
}

// IntegrationAlias is the api function's alias that only the HTTP API
// integration invokes: an HTTP-shaped event, and the caller identity in it,
// is trusted only on an invocation of this alias.
const IntegrationAlias = "http"
