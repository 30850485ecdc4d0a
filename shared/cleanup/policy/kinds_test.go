package policy

import (
	"bytes"
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated sections of docs/CLEANUP.md from the declarations")

const cleanupDoc = "../../../docs/CLEANUP.md"

// Each declaration is complete and names only what exists: the validator,
// the engine, the stack and the docs all read it.
func TestDeclarationsAreComplete(t *testing.T) {
	action := regexp.MustCompile(`^(ec2|cloudwatch|iam|s3|lambda):[A-Z][A-Za-z0-9]+$`)
	for _, name := range TypeNames() {
		typ := Types[name]
		t.Run(name, func(t *testing.T) {
			if typ.Doc == "" || strings.Contains(typ.Doc, "\n") {
				t.Errorf("Doc must be one line: %q", typ.Doc)
			}
			if len(typ.Actions) == 0 || len(typ.Filters) == 0 {
				t.Errorf("no actions (%v) or filters (%v)", typ.Actions, typ.Filters)
			}
			for _, a := range typ.After {
				if _, ok := Types[a]; !ok || a == name {
					t.Errorf("After names %q, which is no other declared type", a)
				}
			}
			if len(typ.IAM) == 0 {
				t.Error("no IAM grants: the engine cannot list a type without a call")
			}
			var listing bool
			for _, g := range typ.IAM {
				if !slices.Contains(Resources, g.Resource) {
					t.Errorf("grant %v: resource %q is none of %v", g.Actions, g.Resource, Resources)
				}
				if len(g.Actions) == 0 {
					t.Errorf("grant on %s has no action", g.Resource)
				}
				for _, a := range g.Actions {
					if !action.MatchString(a) || strings.Contains(a, "*") {
						t.Errorf("grant on %s: %q is not one service:Action (no wildcards)", g.Resource, a)
					}
				}
				listing = listing || g.Resource == AnyResource
			}
			if !listing {
				t.Error("no grant on *: every type is listed with a Describe or List call")
			}
		})
	}
}

// docs/CLEANUP.md's type and IAM tables are what Reference generates from
// the declarations; run with -update to rewrite them.
func TestKindsReference(t *testing.T) {
	const how = "run: go test ./shared/cleanup/policy -run TestKindsReference -update"
	doc, err := os.ReadFile(cleanupDoc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UpdateSections(doc, Reference())
	if err != nil {
		t.Fatalf("docs/CLEANUP.md: %v", err)
	}
	if *update {
		if err := os.WriteFile(cleanupDoc, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, doc) {
		al, bl := strings.Split(string(doc), "\n"), strings.Split(string(got), "\n")
		for i := range min(len(al), len(bl)) {
			if al[i] != bl[i] {
				t.Fatalf("docs/CLEANUP.md is stale (line %d: %q, generated %q); %s", i+1, al[i], bl[i], how)
			}
		}
		t.Fatalf("docs/CLEANUP.md is stale (its length differs); %s", how)
	}
}

// Every type, its scope, vocabulary and grants appear in the generated
// sections: the generator cannot silently drop one.
func TestReferenceCoversEveryType(t *testing.T) {
	ref := Reference()
	for _, name := range TypeNames() {
		typ := Types[name]
		row := line(ref[SectionKinds], "| `"+name+"` |")
		scope := "| regional |"
		if typ.Global {
			scope = "| global |"
		}
		if row == "" || !strings.Contains(row, scope) {
			t.Errorf("%s: row %q lacks the type or its scope", name, row)
		}
		for _, w := range slices.Concat(typ.Actions, typ.Filters, typ.States, typ.Options, typ.After) {
			if !strings.Contains(row, w) {
				t.Errorf("%s: row lacks %q", name, w)
			}
		}
		iam := line(ref[SectionIAM], "| `"+name+"` |")
		for _, g := range typ.IAM {
			for _, a := range g.Actions {
				if !strings.Contains(iam, "`"+a+"`") {
					t.Errorf("%s: IAM row lacks %s", name, a)
				}
			}
			for _, kv := range g.Conditions {
				for k := range kv {
					if !strings.Contains(iam, k) {
						t.Errorf("%s: IAM row lacks the condition %s", name, k)
					}
				}
			}
		}
	}
}

func line(text, prefix string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// UpdateSections replaces only between the markers, and refuses a file
// without them.
func TestUpdateSections(t *testing.T) {
	doc := []byte("a\n<!-- x:begin -->\nold\n<!-- x:end -->\nb\n")
	got, err := UpdateSections(doc, map[string]string{"x": "new\n"})
	if err != nil || string(got) != "a\n<!-- x:begin -->\nnew\n<!-- x:end -->\nb\n" {
		t.Errorf("got %q, %v", got, err)
	}
	if string(doc) != "a\n<!-- x:begin -->\nold\n<!-- x:end -->\nb\n" {
		t.Errorf("the input changed: %q", doc)
	}
	for _, bad := range []string{"a\n", "<!-- x:end -->\n<!-- x:begin -->\n", "<!-- x:begin -->\n<!-- x:end -->\n<!-- x:begin -->\n<!-- x:end -->\n"} {
		if _, err := UpdateSections([]byte(bad), map[string]string{"x": ""}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
