package catalog_test

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/api/catalog"
)

var update = flag.Bool("update", false, "rewrite docs/COMMANDS.md from the command declarations")

const commandsDoc = "../../../docs/COMMANDS.md"

// docs/COMMANDS.md is what Reference generates from the declarations and
// the samples, so the reference a caller reads is the one the function
// serves. Needs no AWS: Declared has no clients behind it.
func TestCommandReference(t *testing.T) {
	got, err := catalog.Reference("../../../events/samples/api")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(commandsDoc, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(commandsDoc)
	if err != nil {
		t.Fatalf("%v; run: go test ./shared/api/catalog -run TestCommandReference -update", err)
	}
	if !bytes.Equal(got, want) {
		line, was, gen := firstDiff(want, got)
		t.Fatalf("docs/COMMANDS.md is stale (first difference at line %d: %q, generated %q); run: go test ./shared/api/catalog -run TestCommandReference -update",
			line, was, gen)
	}
}

// firstDiff is the first line where a and b differ, with both versions of it.
func firstDiff(a, b []byte) (int, string, string) {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < max(len(al), len(bl)); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y || i >= len(al) || i >= len(bl) {
			return i + 1, x, y
		}
	}
	return 0, "", ""
}

// Every command appears with its route and every parameter with its row:
// the generator cannot silently drop one.
func TestCommandReferenceCoversEveryCommand(t *testing.T) {
	ref, err := catalog.Reference("../../../events/samples/api")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := catalog.Declared()
	if err != nil {
		t.Fatal(err)
	}
	sections := strings.Split(string(ref), "\n#### ")
	if len(sections)-1 != len(reg.Docs()) {
		t.Fatalf("%d command sections for %d commands", len(sections)-1, len(reg.Docs()))
	}
	for i, d := range reg.Docs() {
		s := sections[i+1]
		if !strings.HasPrefix(s, "`"+d.Action+"` — `"+d.Route+"`\n") {
			t.Errorf("section %d is %q, want %s (%s)", i+1, strings.SplitN(s, "\n", 2)[0], d.Action, d.Route)
			continue
		}
		for _, p := range d.Params {
			if !strings.Contains(s, "\n| `"+p.Name+"` | "+string(p.Type)+" |") {
				t.Errorf("%s: no row for parameter %s", d.Action, p.Name)
			}
		}
		if d.Mutates != strings.Contains(s, "Honours `dryRun`.") {
			t.Errorf("%s: mutates=%v but the section says otherwise", d.Action, d.Mutates)
		}
	}
	// The intro names it too: look only at the commands.
	if body := strings.Join(sections[1:], ""); !strings.Contains(body, "`"+catalog.PlaceholderRolePath+"`") {
		t.Errorf("no parameter shows the placeholder role path %s as code", catalog.PlaceholderRolePath)
	}
}
