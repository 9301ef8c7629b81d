package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/workflows/recipe"
)

// TestDesignerPagesOnlyInDevMode: `larder serve --dev` serves the
// designer's pages and each recipe's BPMN; without --dev none of them is
// there, since they show every recipe as written.
func TestDesignerPagesOnlyInDevMode(t *testing.T) {
	recipes, err := recipe.LoadDir(recipesDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"/dev/recipes", "/dev/recipes/missed-bin", "/dev/recipes/missed-bin/bpmn"}
	for _, dev := range []bool{true, false} {
		h, err := newRouter(webParts{Recipes: recipes, Staff: &access.Directory{}, Dev: dev, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range paths {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			want := http.StatusNotFound
			if dev {
				want = http.StatusOK
			}
			if rec.Code != want {
				t.Errorf("dev %v: GET %s answered %d, want %d", dev, path, rec.Code, want)
			}
		}
	}
}
