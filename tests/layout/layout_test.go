package layout

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/larder-council/larder/"

// pkg is what `go list -json` says of one package.
type pkg struct {
	ImportPath string
	Imports    []string
}

// list is every package of the module with the imports of its non-test files.
func list(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", module+"...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		p.ImportPath = strings.TrimPrefix(p.ImportPath, module)
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// larder is the module's own imports of p, without the module prefix.
func (p pkg) larder() []string {
	var out []string
	for _, imp := range p.Imports {
		if rest, ok := strings.CutPrefix(imp, module); ok {
			out = append(out, rest)
		}
	}
	return out
}

// may says which of the module's packages each part may import; a package
// not named here (cmd/..., tests/..., test kits) may import anything.
var may = map[string][]string{
	"workflows/recipe":          {"internal/positioned"},
	"internal/positioned":       {},
	"workflows/bpmn":            {"workflows/recipe"},
	"connectors":                {},
	"connectors/http":           {"connectors"},
	"connectors/open311":        {"connectors"},
	"connectors/registry":       {"connectors", "connectors/http", "connectors/open311", "internal/positioned"},
	"connectors/mail":           {},
	"workflows/calendar":        {},
	"activities/inbox":          {},
	"activities":                {"connectors", "connectors/mail", "activities/inbox", "workflows/calendar", "workflows/recipe"},
	"workflows":                 {"workflows/recipe", "workflows/calendar", "activities", "activities/inbox", "connectors", "connectors/mail"},
	"workflows/cases":           {"workflows", "workflows/recipe", "activities/inbox"},
	"workflows/cases/intake":    {"workflows", "workflows/cases", "workflows/recipe"},
	"forms":                     {"workflows/recipe", "connectors"},
	"forms/web":                 {"forms"},
	"forms/resident":            {"forms", "forms/web", "workflows", "workflows/cases", "workflows/recipe", "connectors", "connectors/mail"},
	"forms/api":                 {"forms", "forms/web", "workflows", "workflows/cases", "workflows/recipe", "connectors"},
	"forms/staff/access":        {},
	"forms/staff":               {"forms", "forms/web", "forms/staff/access", "activities/inbox", "workflows", "workflows/cases", "workflows/recipe", "workflows/calendar", "workflows/bpmn"},
	"forms/ops":                 {},
	"forms/designer":            {"forms/web", "workflows/recipe", "workflows/bpmn"},
	"connectors/hooks":          {"forms/web", "workflows", "workflows/cases", "workflows/recipe"},
	"internal/wastesim":         {},
	"internal/embeddedredis":    {},
	"internal/embeddedtemporal": {},
}

func TestImportsRunDownhill(t *testing.T) {
	for _, p := range list(t) {
		allowed, ruled := may[p.ImportPath]
		if !ruled {
			continue
		}
		for _, imp := range p.larder() {
			if !slices.Contains(allowed, imp) {
				t.Errorf("%s imports %s: it may import only %v", p.ImportPath, imp, allowed)
			}
		}
	}
}

// TestOnlyTheCaseClientTalksToTemporalAboutCases: no web handler holds a
// Temporal client, and only the embedded server links Temporal's server.
func TestOnlyTheCaseClientTalksToTemporalAboutCases(t *testing.T) {
	for _, p := range list(t) {
		for _, imp := range p.Imports {
			web := strings.HasPrefix(p.ImportPath, "forms") || p.ImportPath == "connectors/hooks"
			if web && strings.HasPrefix(imp, "go.temporal.io/") {
				t.Errorf("%s imports %s: web code asks the case client (workflows/cases)", p.ImportPath, imp)
			}
			if strings.HasPrefix(imp, "go.temporal.io/server") && p.ImportPath != "internal/embeddedtemporal" {
				t.Errorf("%s imports %s: only internal/embeddedtemporal links the Temporal server", p.ImportPath, imp)
			}
			if (strings.HasSuffix(imp, "internal/casetest") || strings.HasSuffix(imp, "internal/redistest")) && !strings.HasPrefix(p.ImportPath, "internal/") {
				t.Errorf("%s imports the test kit %s outside its tests", p.ImportPath, imp)
			}
		}
	}
}
