package staff_test

import (
	"log/slog"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

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
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// backOffice is the staff pages and the staff API of one test, served
// together over HTTP as cmd/larder serves them, over Redis keys of the
// test's own and, when asked for, real cases of testdata/recipes run on
// the embedded Temporal by a worker of the test's own.
type backOffice struct {
	*httptest.Server
	// API is the staff API's address (…/api/v1).
	API     string
	Handler *staff.Handler
	// Index is the inbox index the pages and API read and the cases write.
	Index *inbox.Index
	// Cases starts and works cases; nil unless withCases.
	Cases   *cases.Client
	Recipes []*recipe.Recipe
	// LOB is the line-of-business system the test recipes call.
	LOB *lineOfBusiness
	// Log holds what the pages and API logged.
	Log *logBook
	// clock is the pages' and API's time; nil is the wall clock.
	clock atomic.Pointer[time.Time]
}

// officeOption changes what newBackOffice builds.
type officeOption func(*officeConfig)

type officeConfig struct {
	cases bool
	work  staff.Work
	mail  mail.Sender
}

// withCases runs real cases, with a worker of the test's own that writes
// the inbox index, calls the test's line-of-business system and sends
// email to a folder of the test's own.
func withCases(c *officeConfig) { c.cases = true }

// withMail has the cases' worker send email through m.
func withMail(m mail.Sender) officeOption { return func(c *officeConfig) { c.mail = m } }

// withWork gives the pages and API a case client of the test's own.
func withWork(w staff.Work) officeOption { return func(c *officeConfig) { c.work = w } }

// newBackOffice serves the staff pages and, under /api/v1, the staff API
// (token and crmToken are its clients), behind the recovery, body limit
// and security headers cmd/larder puts in front of them.
func newBackOffice(t *testing.T, opts ...officeOption) *backOffice {
	t.Helper()
	var cfg officeConfig
	for _, opt := range opts {
		opt(&cfg)
	}
	db := redistest.New(t)
	log, book := recordedLog()
	o := &backOffice{Index: &inbox.Index{Redis: db.Client, Prefix: db.Prefix}, LOB: &lineOfBusiness{}, Log: book}
	lob := httptest.NewServer(o.LOB)
	t.Cleanup(lob.Close)
	t.Setenv("LOB_URL", lob.URL)
	conns, err := registry.LoadFile(filepath.Join("testdata", "recipes", "connectors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Recipes, err = recipe.LoadDir(filepath.Join("testdata", "recipes"), conns); err != nil {
		t.Fatal(err)
	}
	work := cfg.work
	if cfg.cases {
		if cfg.mail == nil {
			cfg.mail = &mail.Outbox{Dir: t.TempDir(), From: "Larchester Council <no-reply@larchester.example>"}
		}
		queue := casetest.Worker(t, &activities.Activities{Connectors: conns, Index: o.Index, Mail: cfg.mail})
		o.Cases = &cases.Client{Temporal: casetest.Client(t), Namespace: "default", TaskQueue: queue,
			Secret: []byte("staff test " + queue), Recipes: o.Recipes, Log: casetest.Log()}
		work = o.Cases
	}
	site, err := web.NewSite(web.Branding{CouncilName: "Larchester Council"}, log)
	if err != nil {
		t.Fatal(err)
	}
	dir := directory(t, db, nil)
	o.Handler = &staff.Handler{
		Cases: work, Inbox: o.Index, Identity: dir, People: dir,
		Sessions: &access.Sessions{Redis: db.Client, Prefix: db.Prefix},
		Recipes:  o.Recipes, Site: site, Validator: forms.New(), Now: o.now, Log: log,
	}
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(gin.Recovery(), web.LimitBody, web.SecurityHeaders(site.Brand()))
	(&staff.API{Cases: work, Inbox: o.Index, Recipes: o.Recipes, Validator: forms.New(), Clients: apiClients(t),
		Now: o.now, Log: log}).Routes(r.Group("/api/v1"))
	if err := o.Handler.Routes(r); err != nil {
		t.Fatal(err)
	}
	o.Server = httptest.NewServer(r)
	t.Cleanup(o.Close)
	o.API = o.URL + "/api/v1"
	return o
}

// now is the pages' and API's clock.
func (o *backOffice) now() time.Time {
	if at := o.clock.Load(); at != nil {
		return *at
	}
	return time.Now()
}

// setClock stops the pages' and API's clock at t.
func (o *backOffice) setClock(t time.Time) { o.clock.Store(&t) }

// put adds entries to the inbox index, as cases would.
func (o *backOffice) put(t *testing.T, entries ...inbox.Entry) {
	t.Helper()
	for _, e := range entries {
		if err := o.Index.Put(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
}

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

// apiClients are the test's API clients: crm (waste-crew) and, with
// token, staff_token's client of every queue.
func apiClients(t *testing.T) *access.Clients {
	t.Helper()
	t.Setenv("STAFF_TEST_CRM_TOKEN", crmToken)
	dir, err := access.Parse("staff.yaml", []byte(apiClientsYAML))
	if err != nil {
		t.Fatal(err)
	}
	clients, err := dir.Clients(token)
	if err != nil {
		t.Fatal(err)
	}
	return clients
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
