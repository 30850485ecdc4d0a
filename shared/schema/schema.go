// Package schema generates the JSON Schemas (draft 2020-12) of the
// documents users write — the cleanup policy, the backup policies, the
// office-hours schedules and the api's direct payload — from the same
// declarations their validators read (policy.Types and the policy fields,
// the schedule fields, retention.Keys, the api registry's Params), so that
// an editor's check and the function's agree. Where a rule has no JSON
// Schema form (a cross-field rule, a Go matcher, a time zone that must
// load) the schema is looser and its description says the validator checks
// it: a schema never refuses what the validator accepts.
//
// The schemas are committed under docs/schemas/ (Files); a test fails when
// they are stale (go test ./shared/schema -run TestCommittedSchemas -update
// rewrites them).
package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aws-commander/commander/shared/api/catalog"
	"github.com/aws-commander/commander/shared/document"
)

// Draft is the JSON Schema dialect of every schema.
const Draft = "https://json-schema.org/draft/2020-12/schema"

// BaseURL is where the committed schemas are published: each $id is
// BaseURL + its file name, the address a modeline names.
const BaseURL = "https://raw.githubusercontent.com/aws-commander/commander/main/docs/schemas/"

// The schemas' file names under docs/schemas/.
const (
	CleanupPolicyFile  = "cleanup-policy.schema.json"
	BackupPoliciesFile = "backup-policies.schema.json"
	SchedulesFile      = "schedules.schema.json"
	APIDirectFile      = "api-direct.schema.json"
)

// Schema is one JSON Schema; maps marshal with sorted keys, so a schema's
// text depends only on the declarations.
type Schema = map[string]any

// Files are the committed schemas by file name, as written to docs/schemas/:
// indented JSON ending in a newline.
func Files() (map[string][]byte, error) {
	reg, err := catalog.Declared()
	if err != nil {
		return nil, fmt.Errorf("api declarations: %w", err)
	}
	direct, err := APIDirect(reg)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for name, s := range map[string]Schema{
		CleanupPolicyFile:  CleanupPolicy(),
		BackupPoliciesFile: BackupPolicies(),
		SchedulesFile:      Schedules(),
		APIDirectFile:      direct,
	} {
		b, err := Marshal(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = b
	}
	return out, nil
}

// Marshal writes a schema as indented JSON with a final newline, without
// HTML escaping (patterns hold < and &).
func Marshal(s Schema) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("encode schema: %w", err)
	}
	return b.Bytes(), nil
}

// root heads a schema with its dialect, address, title and description.
func root(file, title, description string, body Schema) Schema {
	body["$schema"] = Draft
	body["$id"] = BaseURL + file
	body["title"] = title
	body["description"] = description
	return body
}

// object is a strict mapping of the declared fields: the parsers refuse
// any other key, so does the schema.
func object(fields []document.Field, props map[string]Schema) Schema {
	properties := Schema{}
	var required []string
	for _, f := range fields {
		p, ok := props[f.Name]
		if !ok {
			p = Schema{}
		}
		if f.Doc != "" {
			p = withDoc(p, f.Doc)
		}
		properties[f.Name] = p
		if f.Required {
			required = append(required, f.Name)
		}
	}
	s := Schema{"type": "object", "properties": properties, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// withDoc is s with a description, s's own first.
func withDoc(s Schema, doc string) Schema {
	out := Schema{}
	for k, v := range s {
		out[k] = v
	}
	if d, ok := out["description"].(string); ok && d != "" {
		out["description"] = doc + ". " + d
	} else {
		out["description"] = doc
	}
	return out
}

// ref points at a definition of the same schema.
func ref(name string) Schema { return Schema{"$ref": "#/$defs/" + name} }

// exactlyOne requires exactly one of keys (the parsers' "sets exactly one of").
func exactlyOne(keys []string) []any {
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = Schema{"required": []string{k}}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
