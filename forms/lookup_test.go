package forms_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/larder-council/larder/connectors"
	lobhttp "github.com/larder-council/larder/connectors/http"
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

// A lookup the system refuses (404: no such property) offers nothing, so
// the answer is not offered (422 on the API); only an outage is an error
// (503, try again). Found by FuzzSubmitBody: a bulky-waste submission
// with a made-up UPRN was answered 503 for good.
func TestLookupRefusedOffersNothingAndAnOutageIsAnError(t *testing.T) {
	for _, tc := range []struct {
		status  int
		wantErr bool
	}{{http.StatusNotFound, false}, {http.StatusUnprocessableEntity, false}, {http.StatusServiceUnavailable, true}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte(`{"code":"unknown_property","message":"no such property"}`))
		}))
		waste, err := lobhttp.New("waste", lobhttp.Config{BaseURL: srv.URL, Operations: map[string]lobhttp.Operation{"bulky_slots": {Path: "/slots", Query: lobhttp.Query{"uprn": "{uprn}"}}}})
		if err != nil {
			t.Fatal(err)
		}
		conns := connectors.NewRegistry(map[string]connectors.Connector{"waste": waste})
		f := recipe.Field{ID: "slot", Type: "radios", Label: "Collection date", Lookup: &recipe.Lookup{
			Connector: "waste", Operation: "bulky_slots", Input: map[string]string{"uprn": "{{ form.uprn }}"}, Items: "result.slots", Value: "id", Label: "label"}}
		r := &recipe.Recipe{ID: "bulky-waste", Form: recipe.Form{Pages: []recipe.Page{{ID: "slot", Fields: []recipe.Field{f}}}}}
		errs, err := forms.CheckLookups(context.Background(), conns, r, map[string]any{"uprn": "0", "slot": "2026-12-03"})
		srv.Close()
		if tc.wantErr {
			if err == nil {
				t.Errorf("lookup answered %d: errors %v, want the check to fail (try again later)", tc.status, errs)
			}
			continue
		}
		if err != nil || len(errs) != 1 || errs[0].Field != "slot" {
			t.Errorf("lookup answered %d: %v %v, want the date not offered", tc.status, errs, err)
		}
	}
}
