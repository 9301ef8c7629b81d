package staff_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/connectors/registry"
	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/staff"
	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/internal/redistest"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// token is the staff API's bearer token in these tests.
const token = "staff-test-token"

// lineOfBusiness is the system the test recipes call: it books, cancels
// bookings and logs vehicles, and can be down for vehicles.
type lineOfBusiness struct {
	mu        sync.Mutex
	booked    int
	cancelled []string
	// down makes vehicle logging answer 503.
	down     atomic.Bool
	vehicles atomic.Int32
}

func (l *lineOfBusiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/bookings":
		l.booked++
		fmt.Fprintf(w, `{"id":"BKG-%d"}`, l.booked)
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/cancel"):
		l.cancelled = append(l.cancelled, strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/bookings/"), "/cancel"))
		fmt.Fprint(w, `{"cancelled":true}`)
	case r.Method == http.MethodPost && r.URL.Path == "/vehicles":
		l.vehicles.Add(1)
		if l.down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"code":"unavailable","message":"highways system is down"}`)
			return
		}
		fmt.Fprint(w, `{"id":"HW-1"}`)
	default:
		http.NotFound(w, r)
	}
}

// cancellations are the bookings cancelled so far.
func (l *lineOfBusiness) cancellations() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.cancelled...)
}

// env is the staff pages and API over real cases of the test recipes, run
// by a worker of the test's own against a line-of-business system of its
// own, with the inbox index and sessions in the test's own Redis.
type env struct {
	// base is the staff API's address (…/api/v1), web the site's.
	base, web string
	cases     *cases.Client
	recipes   []*recipe.Recipe
	lob       *lineOfBusiness
	index     *inbox.Index
	people    *access.Directory
	sessions  *access.Sessions
	// now is the staff API's and pages' clock; zero is the real time.
	now atomic.Pointer[time.Time]
}

// start serves the staff pages and API, with token as staff_token and
// crmToken as the crm client's, over testdata/recipes.
func start(t *testing.T) *env {
	t.Helper()
	lob := &lineOfBusiness{}
	srv := httptest.NewServer(lob)
	t.Cleanup(srv.Close)
	t.Setenv("LOB_URL", srv.URL)
	t.Setenv("STAFF_TEST_CRM_TOKEN", crmToken)
	conns, err := registry.LoadFile(filepath.Join("testdata", "recipes", "connectors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	recipes, err := recipe.LoadDir(filepath.Join("testdata", "recipes"), conns)
	if err != nil {
		t.Fatal(err)
	}
	db := redistest.New(t)
	e := &env{recipes: recipes, lob: lob, index: &inbox.Index{Redis: db.Client, Prefix: db.Prefix},
		sessions: &access.Sessions{Redis: db.Client, Prefix: db.Prefix}}
	queue := casetest.Worker(t, &activities.Activities{Connectors: conns, Index: e.index,
		Mail: &mail.Outbox{Dir: t.TempDir(), From: "Larchester Council <no-reply@larchester.example>"}})
	e.cases = &cases.Client{Temporal: casetest.Client(t), Namespace: "default", TaskQueue: queue,
		Secret: []byte("staff test " + queue), Recipes: recipes, Log: casetest.Log()}
	e.people = directory(t, db, nil)
	apiClients, err := access.Parse("staff.yaml", []byte(apiClientsYAML))
	if err != nil {
		t.Fatal(err)
	}
	clients, err := apiClients.Clients(token)
	if err != nil {
		t.Fatal(err)
	}
	site, err := web.NewSite(web.Branding{CouncilName: "Larchester Council"}, casetest.Log())
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(web.LimitBody)
	(&staff.API{Cases: e.cases, Inbox: e.index, Recipes: recipes, Validator: forms.New(), Clients: clients,
		Now: e.clock, Log: casetest.Log()}).Routes(r.Group("/api/v1"))
	pages := &staff.Handler{Cases: e.cases, Inbox: e.index, Identity: e.people, People: e.people, Sessions: e.sessions,
		Recipes: recipes, Site: site, Validator: forms.New(), Now: e.clock, Log: casetest.Log()}
	if err := pages.Routes(r); err != nil {
		t.Fatal(err)
	}
	both := httptest.NewServer(r)
	t.Cleanup(both.Close)
	e.web, e.base = both.URL, both.URL+"/api/v1"
	return e
}

// clock is the time the pages and API are told.
func (e *env) clock() time.Time {
	if at := e.now.Load(); at != nil {
		return *at
	}
	return time.Now()
}

// crmToken is the crm client's token: it works the waste-crew queue only.
const crmToken = "crm-client-token-0123456789"

// apiClientsYAML names the staff API's clients besides staff_token.
const apiClientsYAML = `api_clients:
  - {name: crm, token_env: STAFF_TEST_CRM_TOKEN, queues: [waste-crew]}
`

// signIn is a browser of the test's pages signed in as username of the
// test's staff.yaml (see directory).
func (e *env) signIn(t *testing.T, username string) *clerk {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &clerk{t: t, base: e.web, http: &http.Client{Jar: jar}}
	got := c.post("/staff/sign-in", url.Values{"username": {username}, "password": {username + "-test-password"}})
	if got.Status != http.StatusOK || got.Path != "/staff/" {
		t.Fatalf("%s signing in landed on %s (%d):\n%s", username, got.Path, got.Status, got.Body)
	}
	return c
}

// serve serves only the staff API, under /api/v1 behind the body limit.
func serve(t *testing.T, h *staff.API) string {
	t.Helper()
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(web.LimitBody)
	h.Routes(r.Group("/api/v1"))
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL + "/api/v1"
}

// submit starts a case of the recipe with answers, as a resident would.
func (e *env) submit(t *testing.T, id string, answers map[string]any) string {
	t.Helper()
	for _, r := range e.recipes {
		if r.ID != id {
			continue
		}
		clean, errs := forms.New().Form(r, answers)
		if len(errs) > 0 {
			t.Fatalf("answers for %s: %v", id, errs)
		}
		ref, err := e.cases.Start(t.Context(), r, clean, "")
		if err != nil {
			t.Fatal(err)
		}
		return ref
	}
	t.Fatalf("no test recipe %q", id)
	return ""
}

// call sends a staff API request with a bearer token (none when empty)
// and decodes the reply into out.
func call(t *testing.T, method, url, bearer string, body, out any) int {
	t.Helper()
	var buf bytes.Buffer
	if body != nil {
		if s, ok := body.(string); ok {
			buf.WriteString(s)
		} else if err := json.NewEncoder(&buf).Encode(body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, url, &buf)
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

// post sends a staff API post to the case's path with the token.
func (e *env) post(t *testing.T, ref, path string, body, out any) int {
	t.Helper()
	return call(t, http.MethodPost, e.base+"/cases/"+ref+path, token, body, out)
}

// detail is the case's detail as the staff API shows it.
func (e *env) detail(t *testing.T, ref string) workflows.CaseDetail {
	t.Helper()
	var d workflows.CaseDetail
	if code := call(t, http.MethodGet, e.base+"/cases/"+ref+"/detail", token, nil, &d); code != http.StatusOK {
		t.Fatalf("detail of %s: %d", ref, code)
	}
	return d
}

// waitFor polls the case's detail until ok says it is what the test needs.
func (e *env) waitFor(t *testing.T, ref string, ok func(workflows.CaseDetail) bool) workflows.CaseDetail {
	t.Helper()
	var d workflows.CaseDetail
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		d = workflows.CaseDetail{}
		if call(t, http.MethodGet, e.base+"/cases/"+ref+"/detail", token, nil, &d) == http.StatusOK && ok(d) {
			return d
		}
	}
	t.Fatalf("case %s never reached the expected state; last: %+v", ref, d)
	return d
}

// closed waits for the case to leave running.
func (e *env) closed(t *testing.T, ref string) workflows.CaseDetail {
	t.Helper()
	return e.waitFor(t, ref, func(d workflows.CaseDetail) bool { return d.Status != workflows.StatusRunning })
}

// openTask returns the first open task of the detail, or nil.
func openTask(d workflows.CaseDetail) *workflows.Task {
	for _, task := range d.Tasks {
		if task.Completion == nil {
			return task
		}
	}
	return nil
}

// hasOpenTask says the case waits for staff on a task.
func hasOpenTask(d workflows.CaseDetail) bool { return openTask(d) != nil }

// taskPath is the API path of the task's completion.
func taskPath(ref string, task *workflows.Task) string {
	return "/tasks/" + strings.TrimPrefix(task.ID, ref+"/") + "/complete"
}

// problem is an RFC 9457 problem+json reply.
type problem struct {
	Title  string             `json:"title"`
	Status int                `json:"status"`
	Errors []forms.FieldError `json:"errors"`
}
