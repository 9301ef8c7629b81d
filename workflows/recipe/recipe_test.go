package recipe_test

import (
	"fmt"
	"testing"

	"github.com/larder-council/larder/workflows/recipe"
)

func TestStepKind(t *testing.T) {
	for _, tc := range []struct {
		step recipe.Step
		want string
	}{
		{recipe.Step{Call: &recipe.CallStep{}}, "call"},
		{recipe.Step{Email: &recipe.EmailStep{}}, "email"},
		{recipe.Step{Decide: &recipe.DecideStep{}}, "decide"},
		{recipe.Step{End: &recipe.EndStep{}}, "end"},
		{recipe.Step{}, ""},
	} {
		if got := tc.step.Kind(); got != tc.want {
			t.Errorf("Kind() = %q, want %q", got, tc.want)
		}
	}
}

func TestFirstStep(t *testing.T) {
	r := &recipe.Recipe{Steps: []recipe.Step{{ID: "check"}, {ID: "raise"}}}
	if got := r.FirstStep(); got != "check" {
		t.Errorf("without start, FirstStep = %q, want the first step", got)
	}
	r.Start = "raise"
	if got := r.FirstStep(); got != "raise" {
		t.Errorf("with start, FirstStep = %q, want raise", got)
	}
	if got := (&recipe.Recipe{}).FirstStep(); got != "" {
		t.Errorf("no steps: FirstStep = %q, want empty", got)
	}
}

func TestStepByID(t *testing.T) {
	r := &recipe.Recipe{Steps: []recipe.Step{{ID: "check", Title: "Check"}, {ID: "raise", Title: "Raise"}}}
	if s, ok := r.StepByID("raise"); !ok || s.Title != "Raise" {
		t.Errorf("StepByID(raise) = %+v, %v", s, ok)
	}
	if _, ok := r.StepByID("rais"); ok {
		t.Error("StepByID of a missing step: want ok false")
	}
}

func TestFieldsInPageOrder(t *testing.T) {
	r := &recipe.Recipe{Form: recipe.Form{Pages: []recipe.Page{
		{Fields: []recipe.Field{{ID: "postcode"}}},
		{Fields: []recipe.Field{{ID: "name"}, {ID: "email"}}},
	}}}
	var ids []string
	for _, f := range r.Fields() {
		ids = append(ids, f.ID)
	}
	if got := fmt.Sprint(ids); got != "[postcode name email]" {
		t.Errorf("Fields = %s, want [postcode name email]", got)
	}
}

func TestFieldRequired(t *testing.T) {
	for _, tc := range []struct {
		rules string
		want  bool
	}{
		{"required", true},
		{"email, required ,max=254", true},
		{"max=100", false},
		{"required_if=contact email", false},
		{"", false},
	} {
		if got := (recipe.Field{Validate: tc.rules}).Required(); got != tc.want {
			t.Errorf("Field{Validate: %q}.Required() = %v, want %v", tc.rules, got, tc.want)
		}
	}
}

func TestFindNamesAServiceByID(t *testing.T) {
	bins, tips := &recipe.Recipe{ID: "missed-bin"}, &recipe.Recipe{ID: "fly-tipping"}
	if got := recipe.Find([]*recipe.Recipe{bins, tips}, "fly-tipping"); got != tips {
		t.Errorf("Find(fly-tipping) = %v", got)
	}
	if got := recipe.Find([]*recipe.Recipe{bins}, "no-such-service"); got != nil {
		t.Errorf("Find of an unknown service = %v, want nil", got)
	}
}
