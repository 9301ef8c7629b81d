package hooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/hooks"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// token is the hooks' bearer token in these tests.
const token = "hooks-test-token"

// testRecipes loads testdata/recipes, which call no connectors.
func testRecipes(t *testing.T) []*recipe.Recipe {
	t.Helper()
	recipes, err := recipe.LoadDir(filepath.Join("testdata", "recipes"), connectors.NewRegistry(nil))
	if err != nil {
		t.Fatal(err)
	}
	return recipes
}

// serve serves only the hooks, behind the body limit.
func serve(t *testing.T, h *hooks.Handler) string {
	t.Helper()
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(web.LimitBody)
	h.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL
}

// env is the hooks over real cases of the test recipes on a worker of the
// test's own.
type env struct {
	base    string
	cases   *cases.Client
	recipes []*recipe.Recipe
}

func start(t *testing.T) *env {
	t.Helper()
	recipes := testRecipes(t)
	queue := casetest.Worker(t, &activities.Activities{Connectors: connectors.NewRegistry(nil)})
	c := &cases.Client{Temporal: casetest.Client(t), Namespace: "default", TaskQueue: queue,
		Secret: []byte("hooks test " + queue), Recipes: recipes, Log: casetest.Log()}
	return &env{base: serve(t, &hooks.Handler{Recipes: recipes, Cases: c, Token: token, Log: casetest.Log()}), cases: c, recipes: recipes}
}

// recipe is the test recipe with the id.
func (e *env) recipe(t *testing.T, id string) *recipe.Recipe {
	t.Helper()
	for _, r := range e.recipes {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no test recipe %q", id)
	return nil
}

// submit starts a case of the recipe and waits until it waits for a message.
func (e *env) submit(t *testing.T, id string, answers map[string]any) string {
	t.Helper()
	ref, err := e.cases.Start(t.Context(), e.recipe(t, id), answers, "")
	if err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, ref, func(d workflows.CaseDetail) bool { return len(d.Waiting) == 1 })
	return ref
}

// waitFor polls the case's detail until ok says it is what the test needs.
func (e *env) waitFor(t *testing.T, ref string, ok func(workflows.CaseDetail) bool) workflows.CaseDetail {
	t.Helper()
	var d workflows.CaseDetail
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if d, err = e.cases.Detail(t.Context(), ref); err == nil && ok(d) {
			return d
		}
	}
	t.Fatalf("case %s never reached the expected state; last: %+v (%v)", ref, d, err)
	return d
}

// post sends a message to a hook with a bearer token (none when empty)
// and decodes the reply into out.
func post(t *testing.T, url, bearer string, body, out any) int {
	t.Helper()
	var buf bytes.Buffer
	if s, ok := body.(string); ok {
		buf.WriteString(s)
	} else if err := json.NewEncoder(&buf).Encode(body); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// message is a hook's body.
func message(correlation string) map[string]any {
	return map[string]any{"correlation": correlation, "data": map[string]any{"crew": "C7"}}
}

// problem is an RFC 9457 problem+json reply.
type problem struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
}

// fakeCases records deliveries and answers with err.
type fakeCases struct {
	mu        sync.Mutex
	delivered []string // service/message/correlation
	err       error
}

func (f *fakeCases) Deliver(_ context.Context, service string, msg workflows.Message) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.delivered = append(f.delivered, service+"/"+msg.Name+"/"+msg.Correlation)
	return []string{"GW-2345-6789"}, nil
}

func (f *fakeCases) deliveries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.delivered...)
}
