// The repository-level layering test: every import of every fbctl package
// must be allowed by docs/layers.txt.
package fbctl_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/flakebench/fbctl"

// rules maps a package (relative to the module) to the import patterns it
// may use, with the line that declares it.
type rules map[string]rule

type rule struct {
	allowed []string
	line    int
}

func readRules(path string) (rules, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rs := rules{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pkg, allowed, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want `package: allowed imports`, got %q", path, n, line)
		}
		pkg = strings.TrimSpace(pkg)
		if prev, dup := rs[pkg]; dup {
			return nil, fmt.Errorf("%s:%d: %s is already declared on line %d", path, n, pkg, prev.line)
		}
		rs[pkg] = rule{allowed: strings.Fields(allowed), line: n}
	}
	return rs, sc.Err()
}

// allows reports whether the rule permits importing path (a full import path).
func (r rule) allows(path string) bool {
	for _, p := range r.allowed {
		full := p
		if !strings.Contains(strings.SplitN(p, "/", 2)[0], ".") && p != "testing" {
			full = module + "/" + p
		}
		if base, ok := strings.CutSuffix(full, "/..."); ok {
			if path == base || strings.HasPrefix(path, base+"/") {
				return true
			}
		} else if path == full {
			return true
		}
	}
	return false
}

type listed struct {
	ImportPath string
	Imports    []string
	Standard   bool
}

func TestLayers(t *testing.T) {
	rs, err := readRules("docs/layers.txt")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,Standard", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listed
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	std, err := standardPackages()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range pkgs {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if rel == "" {
			continue // this test's own package has no non-test files
		}
		seen[rel] = true
		r, ok := rs[rel]
		if !ok {
			t.Errorf("package %s has no line in docs/layers.txt: add one naming what it may import", rel)
			continue
		}
		for _, imp := range p.Imports {
			if std[imp] && imp != "testing" {
				continue
			}
			if !r.allows(imp) {
				t.Errorf("%s imports %s, which docs/layers.txt:%d does not allow: move the code to a layer that may, or change the allow-list and docs/architecture.md together", rel, imp, r.line)
			}
		}
	}
	var stale []string
	for pkg := range rs {
		if !seen[pkg] {
			stale = append(stale, pkg)
		}
	}
	slices.Sort(stale)
	for _, pkg := range stale {
		t.Errorf("docs/layers.txt:%d declares %s, which is not a package of the module", rs[pkg].line, pkg)
	}
}

func standardPackages() (map[string]bool, error) {
	out, err := exec.Command("go", "list", "std").Output()
	if err != nil {
		return nil, fmt.Errorf("go list std: %w", err)
	}
	std := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		std[p] = true
	}
	return std, nil
}

// TestLayersRejectsAForbiddenImport shows the test is not vacuous: a rule
// that does not list an import refuses it, and a wildcard allows only its
// own subtree.
func TestLayersRejectsAForbiddenImport(t *testing.T) {
	r := rule{allowed: []string{"engine/dag", "github.com/hashicorp/hcl/v2/..."}}
	for path, want := range map[string]bool{
		module + "/engine/dag":                  true,
		module + "/engine/store":                false,
		"github.com/hashicorp/hcl/v2/hclsyntax": true,
		"github.com/hashicorp/hcl/v2":           true,
		"github.com/hashicorp/hcl":              false,
		"github.com/jackc/pgx/v5":               false,
		"testing":                               false,
	} {
		if got := r.allows(path); got != want {
			t.Errorf("allows(%s) = %v, want %v", path, got, want)
		}
	}
}
