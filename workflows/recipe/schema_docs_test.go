package recipe_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows/recipe"
)

// TestSchemaSaysWhatDesignersAsk checks the descriptions an editor shows
// answer what designers otherwise learn by running cases.
func TestSchemaSaysWhatDesignersAsk(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(recipe.Schema, &doc); err != nil {
		t.Fatal(err)
	}
	description := func(path ...string) string {
		var node any = doc
		for _, key := range path {
			m, _ := node.(map[string]any)
			node = m[key]
		}
		m, _ := node.(map[string]any)
		s, _ := m["description"].(string)
		return s
	}
	for _, tc := range []struct {
		path []string
		says []string
	}{
		{[]string{"$defs", "callStep", "properties", "on_error"}, []string{"4xx", "outage", "incident"}},
		{[]string{"$defs", "stepTitle"}, []string{"a call's when its reply comes", "a task's when staff complete it"}},
		{[]string{"$defs", "stepStarted"}, []string{"as the step starts", "Passed to our staff"}},
		{[]string{"$defs", "taskStep"}, []string{"{task} is this step's id"}},
		{[]string{"$defs", "page", "properties", "show_if"}, []string{"form.<id> is nil", `form.x == "" does not`}},
		{[]string{"$defs", "field", "properties", "messages"}, []string{"required", "oneof", "uk_phone", "lookup_failed", "lookup_empty"}},
		{[]string{"$defs", "templates"}, []string{"label(form.<id>)", "checked when the recipe loads"}},
		{[]string{"properties", "next_steps"}, []string{"template", "label(form.<id>)", "case.reference"}},
		{[]string{"$defs", "duration"}, []string{"2d", "1w"}},
	} {
		got := description(tc.path...)
		for _, want := range tc.says {
			if !strings.Contains(got, want) {
				t.Errorf("%s: description %q does not say %q", strings.Join(tc.path, "/"), got, want)
			}
		}
	}
}
