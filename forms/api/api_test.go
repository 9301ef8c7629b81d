package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/connectors/registry"
	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/api"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// pass is a rate limit that never limits.
func pass(c *gin.Context) { c.Next() }

// serve serves only the public API, under /api/v1 and behind the body
// limit every route has, which lets only the upload route take files;
// limit and lookups are the rate limits Routes takes.
func serve(t *testing.T, h *api.Handler, limit, lookups gin.HandlerFunc) string {
	t.Helper()
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(web.LimitBodyWithUploads("/api/v1" + api.UploadRoute))
	h.Routes(r.Group("/api/v1"), limit, lookups)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL + "/api/v1"
}

// running serves the API over the shipped recipes and real cases on
// Temporal, with a waste simulator of the test's own.
func running(t *testing.T) (string, *casetest.Env) {
	t.Helper()
	env := casetest.Shipped(t, wastesim.Options{})
	h := &api.Handler{Recipes: env.Recipes, Cases: env.Cases, Validator: forms.New(), Connectors: env.Connectors,
		Uploads: &forms.Uploads{Dir: t.TempDir()}, Log: casetest.Log()}
	return serve(t, h, pass, pass), env
}

// faked serves the API over the shipped recipes and cases that are a fake,
// with a waste simulator of the test's own for address lookups.
func faked(t *testing.T, cases *fakeCases) string {
	t.Helper()
	recipes, conns, _ := withWaste(t)
	h := &api.Handler{Recipes: recipes, Cases: cases, Validator: forms.New(), Connectors: conns,
		Uploads: &forms.Uploads{Dir: t.TempDir()}, Log: casetest.Log()}
	return serve(t, h, pass, pass)
}

// shipped loads the shipped recipes without starting anything.
func shipped(t *testing.T) []*recipe.Recipe {
	t.Helper()
	conns, err := registry.LoadFile(filepath.Join(casetest.RecipesDir(), "connectors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	recipes, err := recipe.LoadDir(casetest.RecipesDir(), conns)
	if err != nil {
		t.Fatal(err)
	}
	return recipes
}

// fakeCases stands in for the case client: it counts starts and views,
// and answers with the errors it is given.
type fakeCases struct {
	mu       sync.Mutex
	started  int
	viewed   int
	startErr error
	viewErr  error
}

func (f *fakeCases) Start(_ context.Context, _ *recipe.Recipe, answers map[string]any, _ string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.startErr != nil {
		return "", f.startErr
	}
	// Temporal takes a case's answers as JSON, as the real client does.
	if _, err := json.Marshal(answers); err != nil {
		return "", fmt.Errorf("start case: %w", err)
	}
	f.started++
	return "MB-2345-6789", nil
}

func (f *fakeCases) View(_ context.Context, ref string) (workflows.CaseView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.viewed++
	if f.viewErr != nil {
		return workflows.CaseView{}, f.viewErr
	}
	return workflows.CaseView{Reference: ref, Status: workflows.StatusRunning}, nil
}

func (f *fakeCases) starts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.started
}

// views is how many times a case's progress was asked for.
func (f *fakeCases) views() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.viewed
}

// reply is an API answer: its status, headers and raw body.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// decode decodes the body into out, or fails the test.
func (r reply) decode(t *testing.T, out any) {
	t.Helper()
	if err := json.Unmarshal(r.body, out); err != nil {
		t.Fatalf("reply %d is not JSON: %v\n%s", r.status, err, r.body)
	}
}

// problem is an RFC 9457 problem+json reply.
type problem struct {
	Title  string             `json:"title"`
	Status int                `json:"status"`
	Errors []forms.FieldError `json:"errors"`
}

// problem decodes a problem+json reply, failing when it is not one.
func (r reply) problem(t *testing.T) problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("reply %d has Content-Type %q, want application/problem+json", r.status, ct)
	}
	var p problem
	r.decode(t, &p)
	if p.Status != r.status {
		t.Errorf("problem says status %d, reply is %d", p.Status, r.status)
	}
	return p
}

// do sends a request with the headers given as name, value pairs.
func do(t *testing.T, method, url string, body io.Reader, header ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// postJSON posts v as JSON.
func postJSON(t *testing.T, url string, v any, header ...string) reply {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, http.MethodPost, url, bytes.NewReader(b), append([]string{"Content-Type", "application/json"}, header...)...)
}
