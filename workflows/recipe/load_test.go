package recipe_test

import (
	"errors"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/larder-council/larder/connectors/registry"
	"github.com/larder-council/larder/workflows/recipe"
)

var update = flag.Bool("update", false, "rewrite testdata/recipes/*.golden from the loader's output")

// fakeConnectors is a connectors.yaml with one connector, waste.
type fakeConnectors map[string][]string

func (f fakeConnectors) Operations(name string) ([]string, bool) {
	ops, ok := f[name]
	return ops, ok
}

var testConnectors = fakeConnectors{"waste": {"book_collection", "find_properties"}}

// problemText is what a designer sees for a recipe: one problem per line,
// or nothing when it loads.
func problemText(t *testing.T, path string) string {
	t.Helper()
	_, err := recipe.LoadFile(path, testConnectors)
	return problemLines(t, path, err)
}

// folderProblemText is problemText for a folder of recipes loaded together.
func folderProblemText(t *testing.T, dir string) string {
	t.Helper()
	_, err := recipe.LoadDir(dir, testConnectors)
	return problemLines(t, dir, err)
}

func problemLines(t *testing.T, path string, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ps recipe.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("loading %s: %v, want recipe.Problems", path, err)
	}
	return ps.Error() + "\n"
}

// goldenCases lists testdata/recipes: each <case>.yaml is a recipe loaded
// alone; each <case>/ folder is loaded as a whole, for what only a folder
// can get wrong (shared ids, subrecipes, emails.yaml).
func goldenCases(t *testing.T) map[string]string {
	t.Helper()
	dir := filepath.Join("testdata", "recipes")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{}
	for _, e := range entries {
		name, isCase := strings.CutSuffix(e.Name(), ".yaml")
		if e.IsDir() {
			name, isCase = e.Name(), true
		}
		if isCase {
			cases[name] = filepath.ToSlash(filepath.Join(dir, e.Name()))
		}
	}
	return cases
}

// TestLoadGolden loads each case in testdata/recipes and compares the
// problems with <case>.golden. Run with -update to rewrite the goldens,
// then read the diff: a golden is only as right as its review.
func TestLoadGolden(t *testing.T) {
	cases := goldenCases(t)
	if len(cases) < 40 {
		t.Fatalf("found %d golden cases, want at least 40", len(cases))
	}
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		path := cases[name]
		t.Run(name, func(t *testing.T) {
			var got string
			if info, err := os.Stat(path); err == nil && info.IsDir() {
				got = folderProblemText(t, path)
			} else {
				got = problemText(t, path)
			}
			golden := filepath.Join("testdata", "recipes", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("problems differ from %s\n--- got ---\n%s--- want ---\n%s", golden, got, want)
			}
		})
	}
	goldens, _ := filepath.Glob(filepath.Join("testdata", "recipes", "*.golden"))
	for _, g := range goldens {
		if _, ok := cases[strings.TrimSuffix(filepath.Base(g), ".golden")]; !ok {
			t.Errorf("%s has no case beside it: delete it or restore its recipe", g)
		}
	}
}

// TestLoadProblemsArePositioned checks every problem points into its file,
// so an editor can jump to it.
func TestLoadProblemsArePositioned(t *testing.T) {
	_, err := recipe.LoadFile("testdata/recipes/several_mistakes.yaml", testConnectors)
	var ps recipe.Problems
	if !errors.As(err, &ps) || len(ps) < 5 {
		t.Fatalf("LoadFile = %v, want several problems", err)
	}
	for _, p := range ps {
		if p.File != "testdata/recipes/several_mistakes.yaml" || p.Line < 2 || p.Col < 1 || p.Path == "" {
			t.Errorf("problem %q is not positioned in the file with a path", p.Error())
		}
	}
}

func TestLoadShippedRecipes(t *testing.T) {
	conns, err := registry.LoadFile("../../recipes/connectors.yaml")
	if err != nil {
		t.Fatalf("load connectors: %v", err)
	}
	files, err := recipe.RecipeFiles("../../recipes")
	if err != nil {
		t.Fatal(err)
	}
	recipes, err := recipe.LoadDir("../../recipes", conns)
	if err != nil {
		t.Fatalf("shipped recipes have problems:\n%v", err)
	}
	if len(recipes) == 0 || len(recipes) != len(files) {
		t.Fatalf("loaded %d recipes from %d files", len(recipes), len(files))
	}
	for _, r := range recipes {
		if r.Hash == "" || r.File == "" {
			t.Errorf("recipe %s: loader did not set Hash and File", r.ID)
		}
		for _, f := range r.Fields() {
			if f.Required() && f.Example == "" {
				t.Errorf("recipe %s: required field %s has no example for previews and tests", r.ID, f.ID)
			}
		}
	}
}

func TestLoadDirRefusesDuplicateRecipeIDs(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/recipes/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.yaml", "b.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// connectors.yaml is not a recipe and must be skipped, even if invalid.
	if err := os.WriteFile(filepath.Join(dir, "connectors.yaml"), []byte("connectors: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = recipe.LoadDir(dir, testConnectors)
	want := filepath.Join(dir, "b.yaml") + `:2:5: id: recipe id "bulky-waste" is also used by ` + filepath.Join(dir, "a.yaml")
	if err == nil || err.Error() != want {
		t.Errorf("LoadDir = %v\nwant %s", err, want)
	}
}

func TestLoadDirRefusesSharedReferencePrefix(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/recipes/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(string(src), "id: bulky-waste", "id: bulky-waste-quote", 1)
	_ = os.WriteFile(filepath.Join(dir, "a.yaml"), src, 0o644)
	_ = os.WriteFile(filepath.Join(dir, "b.yaml"), []byte(other), 0o644)
	_, err = recipe.LoadDir(dir, testConnectors)
	want := filepath.Join(dir, "b.yaml") + `:5:19: reference_prefix: reference prefix "BW" is also used by ` + filepath.Join(dir, "a.yaml")
	if err == nil || err.Error() != want {
		t.Errorf("LoadDir = %v\nwant %s", err, want)
	}
}

func TestParseSetsHashFromContent(t *testing.T) {
	src, err := os.ReadFile("testdata/recipes/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, err := recipe.Parse("a.yaml", src, testConnectors)
	if err != nil {
		t.Fatal(err)
	}
	b, err := recipe.Parse("b.yaml", append(src, "# edited\n"...), testConnectors)
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash == "" || a.Hash == b.Hash {
		t.Errorf("hashes %q and %q: an edited recipe must get a new hash", a.Hash, b.Hash)
	}
}

func TestLoadDirResolvesSubrecipes(t *testing.T) {
	write := func(dir, name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	caller := func(id, calls string) string {
		return "id: " + id + "\nversion: \"1\"\ntitle: T\nreference_prefix: " + strings.ToUpper(id) + "\nform:\n  pages:\n    - id: p\n      title: P\n      fields:\n" +
			"        - { id: f, type: text, label: F }\nsteps:\n  - id: child\n    subrecipe:\n      recipe: " + calls +
			"\n    next: done\n  - id: done\n    end:\n      outcome: Done\n"
	}

	dir := t.TempDir()
	write(dir, "a.yaml", caller("a", "missing"))
	_, err := recipe.LoadDir(dir, nil)
	if err == nil || !strings.Contains(err.Error(), `a.yaml:14:15: steps.child.subrecipe.recipe: unknown recipe "missing"`) {
		t.Errorf("unknown subrecipe: got %v", err)
	}

	dir = t.TempDir()
	write(dir, "a.yaml", caller("a", "b"))
	write(dir, "b.yaml", caller("b", "a"))
	if _, err := recipe.LoadDir(dir, nil); err == nil || !strings.Contains(err.Error(), "recipes call each other in a circle") {
		t.Errorf("circle of subrecipes: got %v", err)
	}

	dir = t.TempDir()
	write(dir, "a.yaml", caller("a", "b"))
	write(dir, "b.yaml", strings.Replace(caller("b", "x"), "  - id: child\n    subrecipe:\n      recipe: x\n    next: done\n", "", 1))
	rs, err := recipe.LoadDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.ID == "a" && (r.Subrecipes["b"] == nil || r.Subrecipes["b"].ID != "b") {
			t.Errorf("a's snapshot does not carry b: %+v", r.Subrecipes)
		}
	}
}

func TestEmailTemplates(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(recipe.EmailsFile, "templates:\n  thanks:\n    subject: \"Thanks {{ form.name }}\"\n    text: \"Reference {{ case.reference }}\"\n")
	src := func(template string) string {
		return "id: a\nversion: \"1\"\ntitle: T\nreference_prefix: T\nform:\n  pages:\n    - id: p\n      title: P\n      fields:\n" +
			"        - { id: email, type: email, label: Email }\nsteps:\n  - id: tell\n    email:\n      template: " + template +
			"\n      to: \"{{ form.email }}\"\n    next: done\n  - id: done\n    end:\n      outcome: Done\n"
	}

	write("a.yaml", src("thanks"))
	_, err := recipe.LoadFile(filepath.Join(dir, "a.yaml"), nil)
	if err == nil || !strings.Contains(err.Error(), `steps.tell.email.subject: unknown form field "name"`) {
		t.Errorf("a template's expressions are checked against the recipe using it; got %v", err)
	}

	write("a.yaml", src("thank"))
	_, err = recipe.LoadFile(filepath.Join(dir, "a.yaml"), nil)
	if err == nil || !strings.Contains(err.Error(), `a.yaml:14:17: steps.tell.email.template: unknown email template "thank" (define it in emails.yaml; it has thanks)`) {
		t.Errorf("unknown template: got %v", err)
	}

	write(recipe.EmailsFile, "templates:\n  thanks:\n    subject: \"Thanks\"\n    text: \"Reference {{ case.reference }}\"\n")
	write("a.yaml", src("thanks"))
	r, err := recipe.LoadFile(filepath.Join(dir, "a.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := r.StepByID("tell"); s.Email.Subject != "Thanks" || s.Email.Text != "Reference {{ case.reference }}" {
		t.Errorf("the snapshot does not carry the template: %+v", s.Email)
	}
}

// TestLoadReadErrors checks that what cannot be read is an error to fix on
// the machine, not a problem in a recipe.
func TestLoadReadErrors(t *testing.T) {
	if _, err := recipe.LoadFile(filepath.Join(t.TempDir(), "missing.yaml"), testConnectors); err == nil || !strings.Contains(err.Error(), "read recipe") {
		t.Errorf("missing file: %v, want a read error", err)
	}

	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "folder.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := recipe.LoadDir(dir, testConnectors)
	var ps recipe.Problems
	if err == nil || errors.As(err, &ps) || !strings.Contains(err.Error(), "read recipe") {
		t.Errorf("a folder named like a recipe: %v, want a read error", err)
	}

	dir = t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, recipe.EmailsFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(validSource(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, load := range map[string]func() error{
		"LoadDir":  func() error { _, err := recipe.LoadDir(dir, testConnectors); return err },
		"LoadFile": func() error { _, err := recipe.LoadFile(filepath.Join(dir, "a.yaml"), testConnectors); return err },
	} {
		if err := load(); err == nil || !strings.Contains(err.Error(), "read email templates") {
			t.Errorf("%s with an unreadable %s: %v, want a read error", name, recipe.EmailsFile, err)
		}
	}

	if _, err := recipe.LoadDir("[", testConnectors); err == nil {
		t.Error("LoadDir of a folder whose name is a bad pattern: want an error")
	}
}
