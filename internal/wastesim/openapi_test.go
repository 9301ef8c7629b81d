package wastesim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIDescribesEveryAPIRoute: each route the simulator serves under
// /api is in the document it serves, with its method, and the document
// describes no route it does not serve.
func TestOpenAPIDescribesEveryAPIRoute(t *testing.T) {
	s := New(Options{})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); rec.Code != http.StatusOK || err != nil || !strings.HasPrefix(doc.OpenAPI, "3.0") {
		t.Fatalf("GET /openapi.json: %d %v, want an OpenAPI 3.0 document", rec.Code, err)
	}
	var served []string
	for _, route := range s.routes {
		method, path, _ := strings.Cut(route, " ")
		if !strings.HasPrefix(path, "/api/") {
			continue
		}
		served = append(served, strings.ToLower(method)+" "+path)
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("%s is served but not in /openapi.json", route)
		}
	}
	if len(served) < 13 {
		t.Errorf("only %d /api routes found: %v", len(served), served)
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !slices.Contains(served, method+" "+path) {
				t.Errorf("/openapi.json describes %s %s, which is not served", strings.ToUpper(method), path)
			}
		}
	}
}
