package recipe_test

import (
	"testing"

	"github.com/larder-council/larder/workflows/recipe"
)

// labelRecipe has a question of each kind label() reads differently.
func labelRecipe() *recipe.Recipe {
	return &recipe.Recipe{
		ID: "missed-bin", Title: "Report a missed bin",
		NextSteps: "We will collect your {{ label(form.bin_type) }} within 2 working days. Quote {{ case.reference }}.",
		Form: recipe.Form{Pages: []recipe.Page{{ID: "p", Fields: []recipe.Field{
			{ID: "bin_type", Type: "radios", Options: []recipe.Option{{Value: "general", Label: "General waste (black bin)"}, {Value: "garden", Label: "Garden waste (green bin)"}}},
			{ID: "items", Type: "checkboxes", Options: []recipe.Option{{Value: "sofa", Label: "Sofa"}, {Value: "washing-machine", Label: "Washing machine"}}},
			{ID: "gate", Type: "yesno"},
			{ID: "address", Type: "address", Lookup: &recipe.Lookup{}},
			{ID: "name", Type: "text"},
			{ID: "notes", Type: "text"},
		}}}},
	}
}

func TestLabelGivesTheWordsOfAnAnswer(t *testing.T) {
	r := labelRecipe()
	answers := map[string]any{
		"bin_type": "general",
		"items":    []any{"sofa", "washing-machine"},
		"gate":     "yes",
		"address":  "100023336956",
		"name":     "Sam Jones",
	}
	for _, tc := range []struct {
		tmpl string
		seen map[string]string
		want string
	}{
		{"{{ label(form.bin_type) }}", nil, "General waste (black bin)"},
		{`{{ label("bin_type") }}`, nil, "General waste (black bin)"},
		{"{{ label(form.items) }}", nil, "Sofa, Washing machine"},
		{"{{ label(form.gate) }}", nil, "Yes"},
		{"{{ label(form.name) }}", nil, "Sam Jones"},
		// An address's words are known only when the resident's choice is
		// given; without it the stored value is all there is.
		{"{{ label(form.address) }}", nil, "100023336956"},
		{"{{ label(form.address) }}", map[string]string{"address": "1 High Street, Larchester"}, "1 High Street, Larchester"},
		// A question not answered, or on a page never shown, is absent.
		{"[{{ label(form.notes) }}]", nil, "[]"},
		{"{{ label(form.notes) ?? 'none given' }}", nil, "none given"},
		{"{{ form.notes == nil }} {{ form.notes == '' }}", nil, "true false"},
	} {
		got, err := recipe.Render(tc.tmpl, recipe.FormEnv(r, answers, tc.seen))
		if err != nil || got != tc.want {
			t.Errorf("Render(%s) = %q, %v; want %q", tc.tmpl, got, err, tc.want)
		}
	}
	// A form's checkboxes arrive one value per line before the case has them.
	got, err := recipe.Render("{{ label(form.items) }}", recipe.FormEnv(r, map[string]any{"items": "washing-machine\nsofa"}, nil))
	if want := "Washing machine, Sofa"; err != nil || got != want {
		t.Errorf("checkboxes as lines: %q, %v; want %q", got, err, want)
	}
	// An Env not made by FormEnv still renders: the value as it is.
	got, err = recipe.Render("{{ label(form.bin_type) }}", recipe.Env{"form": answers})
	if err != nil || got != "general" {
		t.Errorf("without labels: %q, %v; want the value", got, err)
	}
}

func TestRenderNextSteps(t *testing.T) {
	r := labelRecipe()
	got, err := r.RenderNextSteps(map[string]any{"bin_type": "garden"}, nil, "MB-7K4Q-2PXD")
	want := "We will collect your Garden waste (green bin) within 2 working days. Quote MB-7K4Q-2PXD."
	if err != nil || got != want {
		t.Errorf("RenderNextSteps = %q, %v\nwant %q", got, err, want)
	}
	r.NextSteps = "We will be in touch."
	if got, err := r.RenderNextSteps(nil, nil, "MB-1"); err != nil || got != r.NextSteps {
		t.Errorf("plain next_steps = %q, %v; want it as written", got, err)
	}
}
