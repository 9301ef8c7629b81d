package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gin-gonic/gin"
)

func TestBrandingValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    Branding
		want string // "" for valid
	}{
		{"defaults", Branding{}, ""},
		{"council colours", Branding{HeaderColour: "#00539F", LinkColour: "#005ea5", LogoURL: "https://www.larchester.gov.uk/logo.svg"}, ""},
		{"site logo", Branding{LogoURL: "/brand/logo.png"}, ""},
		{"short hex", Branding{HeaderColour: "#fff"}, `header_colour "#fff": want a colour like #1d70b8`},
		{"css injection", Branding{LinkColour: "red}body{display:none"}, `link_colour "red}body{display:none": want a colour`},
		{"pale header", Branding{HeaderColour: "#ffdd00"}, "header_colour #ffdd00: white text on it has a contrast of 1.3:1"},
		{"pale links", Branding{LinkColour: "#b1b4b6"}, "link_colour #b1b4b6: it on a white page has a contrast"},
		{"http logo", Branding{LogoURL: "http://example.com/logo.png"}, `logo_url "http://example.com/logo.png": use a path on this site`},
		{"protocol-relative logo", Branding{LogoURL: "//example.com/logo.png"}, "logo_url"},
		{"logo host breaking the policy", Branding{LogoURL: "https://evil.example;script-src *"}, "logo_url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.b.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("want valid, got %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("want an error with %q, got %v", tc.want, err)
			}
		})
	}
}

// requireBuiltAssets fails the test when `make assets` has not built
// GOV.UK Frontend's styles and script into static/; make test builds them
// first, so only a bare go test gets here.
func requireBuiltAssets(t *testing.T) {
	t.Helper()
	for _, name := range []string{"static/larder.css", "static/govuk-frontend.min.js"} {
		if _, err := staticFS.Open(name); err != nil {
			t.Fatalf("forms/web/%s is not built: run make assets, then test again (make test does both)", name)
		}
	}
}

// stack serves the site the way cmd/larder's router does: recovery,
// metrics, body limit and security headers in front of every route, the
// assets, a page, and the not-found page for anything else.
func stack(t *testing.T, site *Site) *gin.Engine {
	t.Helper()
	pages, err := site.Pages(fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	r := newEngine(t)
	r.Use(gin.Recovery(), Observe(slog.New(slog.DiscardHandler)), LimitBody, SecurityHeaders(site.Brand()))
	site.Routes(r)
	r.GET("/", func(c *gin.Context) {
		pages.Problem(c, http.StatusOK, "Council services", "Find a service.")
	})
	r.NoRoute(pages.NotFound)
	return r
}

func body(w *httptest.ResponseRecorder) string {
	b, _ := io.ReadAll(w.Result().Body)
	return string(b)
}

func TestAssetsAreServedWithBranding(t *testing.T) {
	requireBuiltAssets(t)
	site, logged := newSite(t, Branding{CouncilName: "Larchester Council", HeaderColour: "#00539f", LinkColour: "#005ea5",
		LogoURL: "https://www.larchester.gov.uk/logo.svg"})
	if logged.Len() > 0 {
		t.Errorf("built assets should not warn:\n%s", logged.String())
	}
	r := newEngine(t)
	r.Use(SecurityHeaders(site.Brand()))
	r.GET("/assets/*file", site.ServeAsset)
	pages, err := site.Pages(fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	r.GET("/", func(c *gin.Context) { pages.Problem(c, http.StatusOK, "Council services", "Find a service.") })

	home := get(r, "/")
	csp := home.Header().Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "default-src 'self';") || !strings.Contains(csp, "img-src 'self' https://www.larchester.gov.uk") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("content security policy %q", csp)
	}
	homeHTML := body(home)
	pageHas(t, homeHTML, `alt="Larchester Council"`, `<link rel="stylesheet" href="/assets/larder.css?v=`, `<script type="module" src="/assets/init.js?v=`)
	// No crown, logo, crest, licence, or inline script (the CSP forbids it).
	pageLacks(t, homeHTML, "govuk-logo", "govuk-header__logotype", "crown", "crest", "licence", "GOV.UK", "<script>")
	brandLink := regexp.MustCompile(`href="(/assets/brand\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(homeHTML)
	if brandLink == nil {
		t.Fatalf("home page does not link brand.css:\n%s", homeHTML)
	}

	brand := get(r, brandLink[1])
	css := body(brand)
	if brand.Code != http.StatusOK || !strings.HasPrefix(brand.Header().Get("Content-Type"), "text/css") ||
		!strings.Contains(css, ".govuk-header{background-color:#00539f}") || !strings.Contains(css, "color:#005ea5") {
		t.Errorf("brand.css: %d %s\n%s", brand.Code, brand.Header().Get("Content-Type"), css)
	}
	if again := get(r, "/assets/brand.css", "If-None-Match", brand.Header().Get("ETag")); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("revalidating brand.css gave %d, want 304 and no body", again.Code)
	}

	initJS := get(r, "/assets/init.js")
	if initJS.Code != http.StatusOK || !strings.HasPrefix(initJS.Header().Get("Content-Type"), "text/javascript") ||
		!strings.Contains(body(initJS), "initAll()") {
		t.Errorf("init.js: %d %s", initJS.Code, initJS.Header().Get("Content-Type"))
	}
	for _, path := range []string{"/assets/README.md", "/assets/../server.go", "/assets/fonts/bold.woff2", "/assets/"} {
		if w := get(r, path); w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, w.Code)
		}
	}

	styles := get(r, "/assets/larder.css", "Accept-Encoding", "gzip, deflate, br")
	if styles.Header().Get("Content-Encoding") != "gzip" || styles.Header().Get("Vary") != "Accept-Encoding" {
		t.Error("larder.css should be sent compressed to browsers that take gzip, varying on it")
	}
	if plain := get(r, "/assets/larder.css", "If-None-Match", styles.Header().Get("ETag")); plain.Code != http.StatusOK {
		t.Errorf("the gzipped copy's ETag revalidated the plain one: %d", plain.Code)
	}
	compiled := body(get(r, "/assets/larder.css"))
	if !strings.Contains(compiled, ".govuk-error-summary") || !strings.Contains(compiled, "system-ui") {
		t.Error("larder.css is not GOV.UK Frontend compiled with the system font")
	}
	for _, banned := range []string{"GDS Transport", "/assets/fonts/", "govuk-crest", "/assets/images/"} {
		if strings.Contains(compiled, banned) {
			t.Errorf("larder.css refers to %s, which councils may not use", banned)
		}
	}
	bundle := get(r, "/assets/govuk-frontend.min.js")
	if bundle.Code != http.StatusOK || !strings.Contains(body(bundle), "initAll") {
		t.Errorf("govuk-frontend.min.js: %d", bundle.Code)
	}
}

// TestVersionedAssetsAreCachedForAYear follows the links a page carries
// through the whole middleware chain, by GET and by HEAD (how curl -I and
// caches ask): each is immutable for a year; the same file unversioned, or
// at a version that is not the current one, is not; pages never are.
func TestVersionedAssetsAreCachedForAYear(t *testing.T) {
	requireBuiltAssets(t)
	site, _ := newSite(t, Branding{CouncilName: "Larchester Council"})
	r := stack(t, site)

	home := get(r, "/")
	if cc := home.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("a page's Cache-Control %q, want no-store", cc)
	}
	links := regexp.MustCompile(`(?:href|src)="(/assets/[^"?]+)\?v=([0-9a-f]+)"`).FindAllStringSubmatch(body(home), -1)
	if len(links) != 3 {
		t.Fatalf("the layout links %d versioned assets, want larder.css, brand.css and init.js: %v", len(links), links)
	}
	const year = "public, max-age=31536000, immutable"
	for _, l := range links {
		path, version := l[1], l[2]
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			w := request(r, method, path+"?v="+version, nil, "Accept-Encoding", "gzip")
			if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != year {
				t.Errorf("%s %s?v=%s: %d, Cache-Control %q; want 200, %q", method, path, version, w.Code, w.Header().Get("Cache-Control"), year)
			}
		}
		for _, other := range []string{path, path + "?v=0123456789abcdef", path + "?v="} {
			w := get(r, other)
			if cc := w.Header().Get("Cache-Control"); w.Code != http.StatusOK || strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=3600") {
				t.Errorf("GET %s: %d, Cache-Control %q; want an hour, then revalidate", other, w.Code, cc)
			}
		}
	}
	if w := request(r, http.MethodHead, "/assets/no-such.css", nil); w.Code != http.StatusNotFound {
		t.Errorf("HEAD of a missing asset: %d", w.Code)
	}
}

func TestAssetLinksAreVersionedByContent(t *testing.T) {
	a, b := newAsset("a.css", []byte("body{}")), newAsset("b.css", []byte("body{color:red}"))
	if a.version == b.version || len(a.version) != 16 {
		t.Errorf("versions %q and %q; want 16 hex digits that differ with content", a.version, b.version)
	}
	if newAsset("tiny.css", []byte("a")).gzipped != nil {
		t.Error("a file gzip would make larger should be sent as it is")
	}
	if got := newAsset("mystery.blob", []byte("x")).contentType; got != "application/octet-stream" {
		t.Errorf("unknown type %q", got)
	}
}
