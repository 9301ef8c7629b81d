package api_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/registry"
	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/api"
	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows/recipe"
)

// withWaste loads the shipped recipes and connectors pointed at a waste
// simulator of the test's own, for the address lookups. It sets WASTE_URL
// for the test, so the test may not be parallel.
func withWaste(t *testing.T) ([]*recipe.Recipe, *connectors.Registry, *wastesim.Server) {
	t.Helper()
	waste := wastesim.New(wastesim.Options{})
	ws := httptest.NewServer(waste)
	t.Cleanup(ws.Close)
	t.Setenv("WASTE_URL", ws.URL)
	conns, err := registry.LoadFile(filepath.Join(casetest.RecipesDir(), "connectors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	recipes, err := recipe.LoadDir(casetest.RecipesDir(), conns)
	if err != nil {
		t.Fatal(err)
	}
	return recipes, conns, waste
}

// Security finding 8: the API took an address (UPRN) the postcode lookup
// never offered, and the case then acted on a property the resident never
// chose, emailing its address to whatever email was given. The address is
// checked against the lookup for the postcode given: 422 when it was not
// offered, 503 when the lookup cannot be made, never taken blindly.
func TestFinding8APIRefusesAnAddressThePostcodeLookupDidNotOffer(t *testing.T) {
	recipes, conns, waste := withWaste(t)
	cases := &fakeCases{}
	base := serve(t, &api.Handler{Recipes: recipes, Cases: cases, Validator: forms.New(), Connectors: conns,
		Uploads: &forms.Uploads{Dir: t.TempDir()}, Log: casetest.Log()}, pass, pass)
	url := base + "/services/missed-bin/submissions"

	for name, uprn := range map[string]string{
		"a property at another postcode": "100003000001", // 1 Station Road, LR2 3CC
		"a property that does not exist": "999999999999",
	} {
		answers := missedBin()
		answers["uprn"] = uprn
		r := postJSON(t, url, answers)
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s, want 422", name, r.status, r.body)
			continue
		}
		if p := r.problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "uprn" || p.Errors[0].Message != "Select an address from the list" {
			t.Errorf("%s: errors %+v, want one for uprn", name, p.Errors)
		}
	}
	if n := cases.starts(); n != 0 {
		t.Fatalf("%d cases started for addresses the lookup did not offer", n)
	}

	// The lookup system down: the answer can be neither taken nor refused.
	waste.SetFaults(wastesim.Faults{FailRate: 1})
	r := postJSON(t, url, missedBin())
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Errorf("the lookup system down: %d %s, want 503 with Retry-After", r.status, r.body)
	} else if p := r.problem(t); !strings.Contains(p.Title, "try again") || strings.Contains(string(r.body), "unavailable") {
		t.Errorf("the lookup system down: told %s, want a plain try again", r.body)
	}
	if n := cases.starts(); n != 0 {
		t.Fatalf("%d cases started with the lookup system down", n)
	}

	// Back up, an address offered for the postcode is taken.
	waste.SetFaults(wastesim.Faults{})
	if r := postJSON(t, url, missedBin()); r.status != http.StatusCreated {
		t.Errorf("an offered address: %d %s, want 201", r.status, r.body)
	}
	if n := cases.starts(); n != 1 {
		t.Errorf("%d cases started, want the one with an offered address", n)
	}
}
