// Package validate checks a document users write, offline, with the very
// validator its function runs at start (and the stack at synth): what
// `commander validate FILE` calls. It recognises the document's kind by its
// top-level shape and rewrites no rule.
//
// The kinds, stable strings:
//
//	cleanup-policy   a mapping with "policies": the cleanup policy document (COMMANDER_CLEANUP_POLICY, cleanupPolicyFile); policy.Parse
//	schedules        a mapping with "schedules": the office-hours schedules (COMMANDER_SCHEDULES, schedulesFile); schedule.Parse
//	api-direct       a JSON object with "action": a direct invocation of the api function; api.DecodeRequest and Registry.Resolve over catalog.Declared
//	backup-policies  one string: the value of COMMANDER_BACKUP_POLICIES; retention.Parse
//
// Each has a JSON Schema under docs/schemas/ (shared/schema).
package validate

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/catalog"
	"github.com/aws-commander/commander/shared/backup/retention"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/document"
	"github.com/aws-commander/commander/shared/schedule"
)

// The kinds Document recognises.
const (
	CleanupPolicy  = "cleanup-policy"
	Schedules      = "schedules"
	APIDirect      = "api-direct"
	BackupPolicies = "backup-policies"
)

// Kinds are the kinds, each with how Document recognises it.
var Kinds = []struct{ Kind, Shape string }{
	{CleanupPolicy, `a mapping with the key "policies"`},
	{Schedules, `a mapping with the key "schedules"`},
	{APIDirect, `a JSON object with the key "action"`},
	{BackupPolicies, "one string in the syntax of COMMANDER_BACKUP_POLICIES, e.g. critical=every:run,last:14"},
}

// Error is a document its validator refuses. Its text is the validator's
// problems, one per line, each starting with its path in the document
// (e.g. policies[0].filters[1].age: ...); Name and Kind say which file.
type Error struct {
	Name string // the file name given to Document
	Kind string
	Err  error // the validator's own error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// declared is the api's registry, built once: its declarations need no AWS client.
var declared = sync.OnceValues(catalog.Declared)

// Document detects data's kind and runs that kind's own validator. name
// is the file name, for messages. kind is "" when data is no document
// Document recognises; err is then why, listing the kinds it knows.
// Otherwise err is nil or an *Error listing every problem the validator
// reports (the api's Resolve stops at its first).
func Document(name string, data []byte) (kind string, err error) {
	// The strict reader every document's parser uses; its error names the file.
	raw, err := document.Decode(data, name)
	if err != nil {
		return "", err
	}
	kind, err = detect(name, raw)
	if err != nil {
		return "", err
	}
	var verr error
	switch kind {
	case CleanupPolicy:
		_, verr = policy.Parse(data)
	case Schedules:
		_, verr = schedule.Parse(data)
	case BackupPolicies:
		// The zone of a policy without tz is the deployment's
		// (COMMANDER_BACKUP_TIME_ZONE); it changes no validity.
		_, verr = retention.Parse(raw.(string), time.UTC)
	case APIDirect:
		verr, err = direct(data)
		if err != nil {
			return kind, err
		}
	}
	if verr != nil {
		return kind, &Error{Name: name, Kind: kind, Err: verr}
	}
	return kind, nil
}

// detect tells the kind by the top-level shape.
func detect(name string, raw any) (string, error) {
	switch v := raw.(type) {
	case string:
		return BackupPolicies, nil
	case map[string]any:
		var found []string
		for key, kind := range map[string]string{"policies": CleanupPolicy, "schedules": Schedules} {
			if _, ok := v[key]; ok {
				found = append(found, kind)
			}
		}
		for key := range v {
			// The api reads its keys without regard to case (encoding/json).
			if strings.EqualFold(key, "action") {
				found = append(found, APIDirect)
				break
			}
		}
		slices.Sort(found)
		switch len(found) {
		case 1:
			return found[0], nil
		case 0:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, fmt.Sprintf("%q", k))
			}
			slices.Sort(keys)
			return "", fmt.Errorf("%s: cannot tell which document this is: a mapping with the keys %s; %s", name, orNothing(keys), known())
		default:
			return "", fmt.Errorf("%s: cannot tell which document this is: it has the shape of %s at once; %s", name, strings.Join(found, " and "), known())
		}
	}
	return "", fmt.Errorf("%s: cannot tell which document this is: %s at the top level; %s", name, shape(raw), known())
}

// direct validates an api direct invocation as the api function does:
// decode, then resolve the command and its parameters. verr is the
// payload's problem; err a failure to build the declarations.
func direct(data []byte) (verr, err error) {
	reg, err := declared()
	if err != nil {
		return nil, fmt.Errorf("the api's declarations: %w", err)
	}
	req, e := api.DecodeRequest(data, "validate")
	if e == nil {
		_, _, e = reg.Resolve(req)
	}
	if e == nil {
		return nil, nil
	}
	return errors.New(apiPath(e) + ": " + e.Message), nil
}

// apiPath names where in the payload an api error is: the action, a
// parameter under params, or the document itself.
func apiPath(e *api.Error) string {
	switch {
	case e.Code == "UnknownAction" || e.Field == "action":
		return "action"
	case e.Field != "":
		return "params." + e.Field
	}
	return "document"
}

func known() string {
	parts := make([]string, len(Kinds))
	for i, k := range Kinds {
		parts[i] = k.Kind + " (" + k.Shape + ")"
	}
	return "the kinds are " + strings.Join(parts, ", ")
}

func shape(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case []any:
		return "a list"
	case bool:
		return "a boolean"
	case map[any]any:
		return "a mapping with keys that are not strings"
	}
	return "a number"
}

func orNothing(keys []string) string {
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, ", ")
}
