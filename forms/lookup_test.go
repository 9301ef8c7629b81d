package forms_test

import (
	"context"
	"testing"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/workflows/recipe"
)

// A lookup question's answer is never taken unchecked: with no connectors
// to ask, the check fails rather than lets it through.
func TestCheckLookupsWithoutConnectorsIsAnError(t *testing.T) {
	r := &recipe.Recipe{ID: "missed-bin", Form: recipe.Form{Pages: []recipe.Page{{ID: "address", Fields: []recipe.Field{
		{ID: "uprn", Type: "address", Label: "Address", Lookup: &recipe.Lookup{Connector: "waste", Operation: "find_properties", Items: "result.properties", Value: "uprn", Label: "address"}},
	}}}}}
	if errs, err := forms.CheckLookups(context.Background(), nil, r, map[string]any{"uprn": "100001000001"}); err == nil {
		t.Errorf("with no connectors the address was checked: errors %v, want the check to fail", errs)
	}
	if errs, err := forms.CheckLookups(context.Background(), nil, r, map[string]any{}); err != nil || len(errs) != 0 {
		t.Errorf("with the address not answered: %v %v, want nothing to check", errs, err)
	}
}
