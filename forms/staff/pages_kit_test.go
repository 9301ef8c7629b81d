package staff_test

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/activities/inbox"
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

// The back office's people in these tests: each signs in with
// "<username>-test-password".
//   - pat and jo: staff of the waste team and the tree team
//   - sam: supervisor of the waste team and the tree team
//   - robin: staff of the waste crew, another queue
//   - alex: admin of every queue
const staffYAML = `users:
  - { username: pat, name: Pat Jones, role: staff, queues: [waste-team, tree-team], password_hash: "%pat%" }
  - { username: jo, name: Jo Bell, role: staff, queues: [waste-team, tree-team], password_hash: "%jo%" }
  - { username: sam, name: Sam Okafor, role: supervisor, queues: [waste-team, tree-team], password_hash: "%sam%" }
  - { username: robin, name: Robin Hale, role: staff, queues: [waste-crew], password_hash: "%robin%" }
  - { username: alex, name: Alex Morgan, role: admin, password_hash: "%alex%" }
`

var (
	hashesOnce sync.Once
	staffFile  string
)

// directory is the test's staff.yaml, hashed once per binary at bcrypt's
// lowest cost, counting failed sign-ins under the test's Redis keys.
func directory(t testing.TB, db *redistest.DB, now func() time.Time) *access.Directory {
	t.Helper()
	hashesOnce.Do(func() {
		staffFile = staffYAML
		for _, u := range []string{"pat", "jo", "sam", "robin", "alex"} {
			h, err := bcrypt.GenerateFromPassword([]byte(u+"-test-password"), bcrypt.MinCost)
			if err != nil {
				panic(err)
			}
			staffFile = strings.ReplaceAll(staffFile, "%"+u+"%", string(h))
		}
	})
	dir, err := access.Parse("staff.yaml", []byte(staffFile))
	if err != nil {
		t.Fatal(err)
	}
	dir.Redis, dir.Prefix, dir.Now = db.Client, db.Prefix, now
	return dir
}

// backOffice is the staff pages of one test, served over HTTP, over real
// Redis keys of its own and, when asked for, real cases of the test
// recipes.
type backOffice struct {
	*httptest.Server
	Handler *staff.Handler
	// Index is the inbox index the pages read and the cases write.
	Index *inbox.Index
	// Cases starts and works cases; nil unless withCases.
	Cases   *cases.Client
	Recipes []*recipe.Recipe
	// Log holds what the pages logged.
	Log *logBook
	// clock is the pages' time; the wall clock unless set.
	mu    sync.Mutex
	clock time.Time
}

// officeOption changes what newBackOffice builds.
type officeOption func(*officeConfig)

type officeConfig struct {
	cases bool
	work  staff.Work
}

// withCases runs real cases on the embedded Temporal, with a worker of
// the test's own that writes the inbox index.
func withCases(c *officeConfig) { c.cases = true }

// withWork gives the pages a case client of the test's own.
func withWork(w staff.Work) officeOption { return func(c *officeConfig) { c.work = w } }

// newBackOffice serves the staff pages as cmd/larder does, behind the
// body limit and security headers.
func newBackOffice(t *testing.T, opts ...officeOption) *backOffice {
	t.Helper()
	var cfg officeConfig
	for _, o := range opts {
		o(&cfg)
	}
	db := redistest.New(t)
	log, book := recordedLog()
	o := &backOffice{Index: &inbox.Index{Redis: db.Client, Prefix: db.Prefix}, Log: book}
	lob := httptest.NewServer(&lineOfBusiness{})
	t.Cleanup(lob.Close)
	t.Setenv("LOB_URL", lob.URL)
	conns, err := registry.LoadFile(filepath.Join("testdata", "recipes", "connectors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Recipes, err = recipe.LoadDir(filepath.Join("testdata", "recipes"), conns); err != nil {
		t.Fatal(err)
	}
	dir := directory(t, db, nil)
	site, err := web.NewSite(web.Branding{CouncilName: "Larchester Council"}, log)
	if err != nil {
		t.Fatal(err)
	}
	h := &staff.Handler{
		Cases: cfg.work, Inbox: o.Index, Identity: dir, People: dir,
		Sessions: &access.Sessions{Redis: db.Client, Prefix: db.Prefix},
		Recipes:  o.Recipes, Site: site, Validator: forms.New(), Now: o.now, Log: log,
	}
	if cfg.cases {
		queue := casetest.Worker(t, &activities.Activities{Connectors: conns, Index: o.Index})
		o.Cases = &cases.Client{Temporal: casetest.Client(t), Namespace: "default", TaskQueue: queue,
			Secret: []byte("staff pages test " + queue), Recipes: o.Recipes, Log: casetest.Log()}
		h.Cases = o.Cases
	}
	o.Handler = h
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(gin.Recovery(), web.LimitBody, web.SecurityHeaders(site.Brand()))
	if err := h.Routes(r); err != nil {
		t.Fatal(err)
	}
	o.Server = httptest.NewServer(r)
	t.Cleanup(o.Close)
	return o
}

// now is the pages' clock.
func (o *backOffice) now() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.clock.IsZero() {
		return time.Now()
	}
	return o.clock
}

// setClock stops the pages' clock at t.
func (o *backOffice) setClock(t time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.clock = t
}

// submit starts a case of a test recipe with answers, as a resident would.
func (o *backOffice) submit(t *testing.T, service string, answers map[string]any) string {
	t.Helper()
	r := recipe.Find(o.Recipes, service)
	if r == nil {
		t.Fatalf("no test recipe %q", service)
	}
	clean, errs := forms.New().Form(r, answers)
	if len(errs) > 0 {
		t.Fatalf("answers for %s: %v", service, errs)
	}
	ref, err := o.Cases.Start(t.Context(), r, clean, "")
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// waitForTask waits until the case has an open task at step and returns
// it.
func (o *backOffice) waitForTask(t *testing.T, ref, step string) *workflows.Task {
	t.Helper()
	var d workflows.CaseDetail
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if d, err = o.Cases.Detail(t.Context(), ref); err != nil {
			continue
		}
		for _, task := range d.Tasks {
			if task.Step == step && task.Completion == nil {
				return task
			}
		}
	}
	t.Fatalf("case %s never opened a task at %s; last: %+v %v", ref, step, d, err)
	return nil
}

// detail is the case as staff code reads it.
func (o *backOffice) detail(t *testing.T, ref string) workflows.CaseDetail {
	t.Helper()
	d, err := o.Cases.Detail(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// taskURL is the task's page.
func taskURL(ref string, task *workflows.Task) string {
	return "/staff/tasks/" + ref + "/" + strings.TrimPrefix(task.ID, ref+"/")
}

// put adds entries to the inbox index, as cases would.
func (o *backOffice) put(t *testing.T, entries ...inbox.Entry) {
	t.Helper()
	for _, e := range entries {
		if err := o.Index.Put(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
}

// clerk is a member of staff's browser without JavaScript: cookies,
// links and form posts.
type clerk struct {
	t    *testing.T
	base string
	http *http.Client
	// token is the CSRF token of the last page with a form.
	token string
}

// page is what the browser shows after a request and its redirects.
type page struct {
	Status int
	// Path is where the browser landed, with its query.
	Path   string
	Header http.Header
	Body   string
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// visitor is a browser that has not signed in.
func (o *backOffice) visitor(t *testing.T) *clerk {
	jar, _ := cookiejar.New(nil)
	return &clerk{t: t, base: o.URL, http: &http.Client{Jar: jar}}
}

// signIn is a browser signed in as username.
func (o *backOffice) signIn(t *testing.T, username string) *clerk {
	t.Helper()
	c := o.visitor(t)
	got := c.post("/staff/sign-in", url.Values{"username": {username}, "password": {username + "-test-password"}})
	if got.Status != http.StatusOK || got.Path != "/staff/" {
		t.Fatalf("%s signing in landed on %s (%d):\n%s", username, got.Path, got.Status, got.Body)
	}
	return c
}

func (c *clerk) do(req *http.Request) page {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := page{Status: resp.StatusCode, Path: resp.Request.URL.RequestURI(), Header: resp.Header, Body: string(b)}
	if m := csrfInput.FindStringSubmatch(p.Body); m != nil {
		c.token = m[1]
	}
	return p
}

// get shows the page at path.
func (c *clerk) get(path string) page {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// post submits a form to path as a browser does after showing the page
// the form is on, with that page's CSRF token: a task's page for its
// actions, the inbox for signing out, else the page at path.
func (c *clerk) post(path string, values url.Values) page {
	c.t.Helper()
	from := path
	switch {
	case strings.HasPrefix(path, "/staff/tasks/") && strings.Count(path, "/") == 5:
		from = path[:strings.LastIndex(path, "/")]
	case path == "/staff/sign-out":
		from = "/staff/"
	}
	return c.postFrom(from, path, values)
}

// postFrom shows the page at from, then posts values to path with the
// page's CSRF token.
func (c *clerk) postFrom(from, path string, values url.Values) page {
	c.t.Helper()
	c.token = ""
	c.get(from)
	if c.token == "" {
		c.t.Fatalf("no form on %s to post to %s", from, path)
	}
	values.Set("csrf", c.token)
	return c.send(path, values)
}

// send posts the values as they are, with no token unless they carry one.
func (c *clerk) send(path string, values url.Values) page {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(values.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// says fails the test unless the page says each of want.
func says(t *testing.T, what string, got page, want ...string) {
	t.Helper()
	missing := false
	for _, w := range want {
		if !strings.Contains(got.Body, w) {
			t.Errorf("%s: the page (%d, %s) does not say %q", what, got.Status, got.Path, w)
			missing = true
		}
	}
	if missing {
		t.Logf("page:\n%s", got.Body)
	}
}

// doesNotSay fails the test if the page says any of unwanted.
func doesNotSay(t *testing.T, what string, got page, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(got.Body, w) {
			t.Errorf("%s: the page (%d, %s) says %q", what, got.Status, got.Path, w)
		}
	}
}

// recordedLog is a logger that keeps what it is told, to check that an
// error reached the log rather than the page.
func recordedLog() (*slog.Logger, *logBook) {
	b := &logBook{}
	return slog.New(slog.NewTextHandler(b, nil)), b
}

// logBook is what a logger wrote, safe to read while requests write.
type logBook struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBook) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBook) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// brokenRedis is a Redis client of an address where nothing listens.
func brokenRedis(t *testing.T) *redis.Client {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = c.Close() })
	return c
}
