package resident

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/connectors/registry"
	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/internal/redistest"
	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows/recipe"
)

// larder is the resident pages of one test, served over HTTP.
type larder struct {
	*httptest.Server
	// Handler is what serves the pages, as the test configured it.
	Handler *Handler
	// Outbox is the folder "save and come back later" emails go to.
	Outbox string
	// Uploads is the folder files residents attach go to.
	Uploads string
	// Redis is the test's own Redis, unless the test gave the handler one.
	Redis *redistest.DB
}

// serve fills in what h leaves empty and serves the resident pages as
// cmd/larder's router does, with only the resident routes and assets: the shipped
// recipes with their connectors pointed at a waste simulator of the test's
// own, a fake case client, the test's own Redis keys, a mail outbox in a
// temporary folder. Sends are limited to perMinute a minute per address (0
// is no limit), counted on clock (nil is the wall clock). The client
// address is taken from X-Forwarded-For, as behind the council's proxy.
func serve(t testing.TB, h *Handler, perMinute int, clock func() time.Time) *larder {
	t.Helper()
	if h.Recipes == nil {
		h.Recipes, h.Connectors = shipped(t, wastesim.Options{})
	}
	if h.Cases == nil {
		h.Cases = &fakeCases{}
	}
	var db *redistest.DB
	if h.Redis == nil {
		db = redistest.New(t)
		h.Redis, h.KeyPrefix = db.Client, db.Prefix
	}
	if h.Validator == nil {
		h.Validator = forms.New()
	}
	if h.Log == nil {
		h.Log = quiet()
	}
	l := &larder{Handler: h, Redis: db, Outbox: filepath.Join(t.TempDir(), "outbox"), Uploads: filepath.Join(t.TempDir(), "uploads")}
	if h.Uploads == nil {
		h.Uploads = &forms.Uploads{Dir: l.Uploads}
	}
	if h.Mail == nil {
		h.Mail = &mail.Outbox{Dir: l.Outbox, From: "Larchester Council <no-reply@larchester.example>"}
	}
	if h.Secret == nil {
		h.Secret = []byte("resident test secret")
	}
	site, err := web.NewSite(web.Branding{CouncilName: "Larchester Council"}, h.Log)
	if err != nil {
		t.Fatal(err)
	}
	h.Site = site

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if err := r.SetTrustedProxies([]string{"127.0.0.1", "::1"}); err != nil {
		t.Fatal(err)
	}
	r.Use(gin.Recovery(), web.LimitBody, web.SecurityHeaders(site.Brand()))
	r.GET("/assets/*file", site.ServeAsset)
	limits := &web.RateLimit{Redis: h.Redis, KeyPrefix: h.KeyPrefix, Now: clock, Log: h.Log}
	if err := h.Routes(r, limits.Guard("submit", perMinute)); err != nil {
		t.Fatal(err)
	}
	limits.Pages = h.Pages()
	r.NoRoute(h.NotFound)

	l.Server = httptest.NewServer(r)
	t.Cleanup(l.Close)
	h.PublicURL = l.URL
	return l
}

// shipped loads the shipped recipes and connectors, pointed at a waste
// simulator of the test's own.
func shipped(t testing.TB, opts wastesim.Options) ([]*recipe.Recipe, *connectors.Registry) {
	t.Helper()
	ws := httptest.NewServer(wastesim.New(opts))
	t.Cleanup(ws.Close)
	return shippedAt(t, ws.URL)
}

// shippedAt loads the shipped recipes and connectors, pointed at the waste
// system at url. It sets WASTE_URL for the test, so the test may not be
// parallel.
func shippedAt(t testing.TB, url string) ([]*recipe.Recipe, *connectors.Registry) {
	t.Helper()
	t.Setenv("WASTE_URL", url)
	conns, err := registry.LoadFile(filepath.Join(casetest.RecipesDir(), "connectors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	recipes, err := recipe.LoadDir(casetest.RecipesDir(), conns)
	if err != nil {
		t.Fatal(err)
	}
	return recipes, conns
}

// closedAddress is a local address nothing listens on.
func closedAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// quiet is a logger for what residents are not shown; LARDER_TEST_LOG
// shows it.
func quiet() *slog.Logger { return casetest.Log() }

// recorded is a logger that keeps what it is told, to check that an error
// reached the log for staff rather than the page.
func recorded() (*slog.Logger, *logBook) {
	b := &logBook{}
	return slog.New(slog.NewTextHandler(b, nil)), b
}

// logBook is what a logger wrote, safe to read while requests write to it.
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

// fillMissedBin answers every page of the missed-bin form, ending on check
// your answers.
func fillMissedBin(t *testing.T, r *resident) {
	t.Helper()
	for _, p := range []struct {
		page   string
		values url.Values
	}{
		{"postcode", url.Values{"postcode": {"LR1 1AA"}}},
		{"address", url.Values{"uprn": {"100001000003"}}},
		{"bin", url.Values{"bin_type": {"general"}}},
		{"contact", url.Values{"name": {"Sam Resident"}, "email": {"sam@example.com"}}},
	} {
		if got := r.post("/services/missed-bin/pages/"+p.page, p.values); got.Status != http.StatusOK {
			t.Fatalf("answering %s: %d on %s\n%s", p.page, got.Status, got.Path, got.Body)
		}
	}
	if got := r.get("/services/missed-bin/check"); got.Path != "/services/missed-bin/check" {
		t.Fatalf("with every page answered, check answers sent the resident to %s", got.Path)
	}
}
