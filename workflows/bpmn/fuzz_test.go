package bpmn

import (
	"bytes"
	"os"
	"testing"

	"github.com/larder-council/larder/workflows/recipe"
)

// FuzzWrite exports every recipe the loader takes: it never panics, and
// the XML is well-formed, with one element per step and no id twice
// (go test -fuzz=FuzzWrite ./workflows/bpmn; make test runs the seeds).
func FuzzWrite(f *testing.F) {
	for _, dir := range []string{"../../recipes", "../recipe/testdata/steps", "testdata"} {
		files, _ := recipe.RecipeFiles(dir)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := recipe.Parse("r.yaml", data, nil)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, r); err != nil {
			t.Fatal(err)
		}
		ids := byID(t, parse(t, buf.Bytes()))
		for _, s := range r.AllSteps() {
			if ids[s.ID] == nil {
				t.Errorf("step %q has no element", s.ID)
			}
		}
	})
}
