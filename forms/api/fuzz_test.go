package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/connectors/registry"
	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/api"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows/recipe"
)

// FuzzSubmitBody posts arbitrary bodies to every shipped service's submit
// route, with a fake case client and a waste simulator for lookups. The
// handler never panics and answers only with a status the API documents
// for a submission: a case, or a problem the caller can act on.
func FuzzSubmitBody(f *testing.F) {
	ws := httptest.NewServer(wastesim.New(wastesim.Options{}))
	f.Cleanup(ws.Close)
	f.Setenv("WASTE_URL", ws.URL)
	conns, err := registry.LoadFile(filepath.Join(casetest.RecipesDir(), "connectors.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	recipes, err := recipe.LoadDir(casetest.RecipesDir(), conns)
	if err != nil {
		f.Fatal(err)
	}
	gin.SetMode(gin.TestMode)
	router := gin.New()
	router.Use(web.LimitBodyWithUploads("/api/v1" + api.UploadRoute))
	h := &api.Handler{Recipes: recipes, Cases: &fakeCases{}, Validator: forms.New(), Connectors: conns,
		Uploads: &forms.Uploads{Dir: f.TempDir()}, Log: casetest.Log()}
	h.Routes(router.Group("/api/v1"), pass, pass)

	for _, r := range recipes {
		examples := map[string]any{}
		for _, fl := range r.Fields() {
			examples[fl.ID] = fl.Example
		}
		body, err := json.Marshal(examples)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(r.ID, body)
	}
	for _, s := range []string{`null`, `[]`, `{"a":1e999}`, `{"items":[1,{"x":[]},null]}`, `{`, `"x"`, `{"postcode":"LR1 1AA","uprn":{}}`} {
		f.Add("missed-bin", []byte(s))
	}
	f.Fuzz(func(t *testing.T, service string, body []byte) {
		if service == "" || service != url.PathEscape(service) {
			return
		}
		req := httptest.NewRequest(http.MethodPost, "/api/v1/services/"+service+"/submissions", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusCreated, http.StatusBadRequest, http.StatusNotFound,
			http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("POST %q %q: status %d: %s", service, body, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("reply is not JSON: %s", rec.Body)
		}
	})
}
