package recipe_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows/recipe"
)

// addRecipeSeeds adds every shipped recipe and every recipe in testdata.
func addRecipeSeeds(f *testing.F) {
	f.Helper()
	for _, glob := range []string{"../../recipes/*.yaml", "testdata/recipes/*.yaml"} {
		files, err := filepath.Glob(glob)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// FuzzParse feeds the recipe loader arbitrary bytes: it never panics, a
// refusal is Problems each carrying a line and column, and a recipe it
// takes parses again the same.
func FuzzParse(f *testing.F) {
	addRecipeSeeds(f)
	f.Add([]byte("id: x\n<<: *a\n"))
	f.Add([]byte("steps: [{call: {}}]\n"))
	f.Add([]byte("id: x\nsteps:\n  - id: a\n    wait: {for: 2x}\n    next: b\n  - &s {id: b, wait: {for: [1]}}\n  - *s\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := recipe.Parse("r.yaml", data, testConnectors)
		if err != nil {
			var ps recipe.Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("Parse error is not Problems: %T %v", err, err)
			}
			for _, p := range ps {
				if p.Line < 1 || p.Col < 1 {
					t.Fatalf("problem without a position: %+v", p)
				}
			}
			return
		}
		again, err := recipe.Parse("r.yaml", data, testConnectors)
		if err != nil || again.Hash != r.Hash || again.ID != r.ID {
			t.Fatalf("second Parse differs: %v", err)
		}
	})
}

// FuzzRender feeds templates and expressions to the renderer: no panic,
// and an HTML render of a template without expressions is the template.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"Dear {{ form.name }}", "{{ form.name", "{{ }}", "{{ 1/0 }}", "{{ form.items[99] }}",
		"{{ len(form.name) > 2 ? 'a' : 'b' }}", "<b>{{ form.name }}</b>", "{{ upper(form.name) }}",
		"{{ steps.x.result.items[0].uprn }}", "{{ now() }}", "{{ keys(form) }}", "{{ 1..1000000 }}",
		"{{ label(form.name) }}", "{{ label(\"items\") }}", "{{ label() }}", "{{ label(1, 2) }}", "{{ label(form) }}",
	} {
		f.Add(s, "<script>alert(1)</script>")
	}
	f.Fuzz(func(t *testing.T, tmpl, answer string) {
		env := recipe.Env{"form": map[string]any{"name": answer, "items": []any{answer}}}
		text, err := recipe.Render(tmpl, env)
		if err != nil {
			return
		}
		out, err := recipe.RenderHTML(tmpl, env)
		if err != nil {
			t.Fatalf("Render took %q but RenderHTML refused: %v", tmpl, err)
		}
		if !strings.Contains(tmpl, "{{") && (text != tmpl || out != tmpl) {
			t.Fatalf("plain text %q rendered as %q / %q", tmpl, text, out)
		}
		_, _ = recipe.Eval(tmpl, env)
		_, _ = recipe.EvalBool(tmpl, env)
	})
}
