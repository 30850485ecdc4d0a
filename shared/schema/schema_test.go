package schema

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/catalog"
	"github.com/aws-commander/commander/shared/backup/retention"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/document"
	"github.com/aws-commander/commander/shared/schedule"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite docs/schemas/ from the declarations")

const schemaDir = "../../docs/schemas"

// docs/schemas/ holds what Files generates; run with -update to rewrite it.
func TestCommittedSchemas(t *testing.T) {
	const how = "run: go test ./shared/schema -run TestCommittedSchemas -update"
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(schemaDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(schemaDir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	committed, err := filepath.Glob(filepath.Join(schemaDir, "*.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range committed {
		if _, ok := files[filepath.Base(path)]; !ok {
			t.Errorf("%s is no schema Files generates; remove it", path)
		}
	}
	for _, name := range sortedKeys(files) {
		t.Run(name, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(schemaDir, name))
			if err != nil {
				t.Fatalf("%v; %s", err, how)
			}
			if !bytes.Equal(got, files[name]) {
				t.Fatalf("docs/schemas/%s is stale; %s", name, how)
			}
		})
	}
}

// compiled are the generated schemas, compiled by a maintained validator
// (which also checks each against the 2020-12 meta-schema).
func compiled(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	for name, b := range files {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.AddResource(BaseURL+name, doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for name := range files {
		s, err := c.Compile(BaseURL + name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = s
	}
	return out
}

// instance reads a document as the functions do (document.Decode: YAML or
// JSON, numbers kept as json.Number), for the schema validator.
func instance(t *testing.T, data []byte) any {
	t.Helper()
	v, err := document.Decode(data, "document")
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return v
}

type shipped struct {
	name, schema string
	data         []byte
}

// shippedDocuments are every document the repository ships or shows: the
// defaults, the backup built-ins and the docs' examples in the compact
// syntax, and the api's direct samples.
func shippedDocuments(t *testing.T) []shipped {
	t.Helper()
	var builtins []string
	for _, p := range retention.Builtins(30, time.UTC) {
		builtins = append(builtins, p.String())
	}
	sort.Strings(builtins)
	out := []shipped{
		{"cleanup default.yaml", CleanupPolicyFile, policy.Default},
		{"schedules default", SchedulesFile, []byte(schedule.Default)},
		{"backup built-ins", BackupPoliciesFile, []byte(`"` + strings.Join(builtins, ";") + `"`)},
	}
	backup, err := os.ReadFile("../../docs/BACKUP.md")
	if err != nil {
		t.Fatal(err)
	}
	examples := regexp.MustCompile(`(?m)^COMMANDER_BACKUP_POLICIES=("[^"]*")$`).FindAllSubmatch(backup, -1)
	if len(examples) == 0 {
		t.Fatal("docs/BACKUP.md shows no COMMANDER_BACKUP_POLICIES example")
	}
	for _, m := range examples {
		out = append(out, shipped{"docs/BACKUP.md " + string(m[1]), BackupPoliciesFile, m[1]})
	}
	samples, err := filepath.Glob("../../events/samples/api/*-direct.json")
	if err != nil || len(samples) == 0 {
		t.Fatalf("no api direct samples: %v", err)
	}
	for _, path := range samples {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, shipped{filepath.Base(path), APIDirectFile, b})
	}
	return out
}

// Every shipped default and sample validates against its schema, and
// against its function's own validator (so the case is a real one).
func TestShippedDocumentsValidate(t *testing.T) {
	schemas := compiled(t)
	reg, err := catalog.Declared()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range shippedDocuments(t) {
		t.Run(d.name, func(t *testing.T) {
			if err := ownValidator(d.schema, d.data, reg); err != nil {
				t.Fatalf("the validator refuses it: %v", err)
			}
			if err := schemas[d.schema].Validate(instance(t, d.data)); err != nil {
				t.Fatalf("%s refuses it: %v", d.schema, err)
			}
		})
	}
}

// ownValidator runs the function's validator of the schema's document.
func ownValidator(schemaFile string, data []byte, reg *api.Registry) error {
	switch schemaFile {
	case CleanupPolicyFile:
		_, err := policy.Parse(data)
		return err
	case SchedulesFile:
		_, err := schedule.Parse(data)
		return err
	case BackupPoliciesFile:
		v, err := document.Decode(data, "backup policies")
		if err != nil {
			return err
		}
		s, ok := v.(string)
		if !ok {
			return errors.New("not a string")
		}
		_, err = retention.Parse(s, time.UTC)
		return err
	case APIDirectFile:
		req, e := api.DecodeRequest(data, "test")
		if e != nil {
			return e
		}
		if _, _, e := reg.Resolve(req); e != nil {
			return e
		}
		return nil
	}
	return errors.New("no validator for " + schemaFile)
}
