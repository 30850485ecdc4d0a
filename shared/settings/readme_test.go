package settings

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Every COMMANDER_* variable the code reads must appear in
// docs/CONFIGURATION.md, so the configuration page stays true as variables
// are added.
func TestConfigurationListsEveryVariable(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "CONFIGURATION.md"))
	if err != nil {
		t.Fatalf("read docs/CONFIGURATION.md: %v", err)
	}
	name := regexp.MustCompile(`"(COMMANDER_[A-Z0-9_]+)"`)
	found := map[string]string{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "node_modules" || d.Name() == "cdk.out") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range name.FindAllStringSubmatch(string(b), -1) {
			found[m[1]] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 10 {
		t.Fatalf("found only %d variables; the scan is broken", len(found))
	}
	var missing []string
	for v, path := range found {
		if !strings.Contains(string(doc), "`"+v+"`") {
			missing = append(missing, v+" (read in "+path+")")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("docs/CONFIGURATION.md does not document:\n  %s", strings.Join(missing, "\n  "))
	}
}
