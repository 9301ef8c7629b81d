package web

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gin-gonic/gin"
)

// audience is one audience's page set: a page using every helper the
// layout offers templates, and one that fails as it runs.
var audience = fstest.MapFS{
	"templates/hello.html": {Data: []byte(`{{define "content"}}
<h1 class="govuk-heading-l">{{.Name | lower}}</h1>
{{- range paragraphs .Body}}
<p class="govuk-body">{{.}}</p>
{{- end}}
{{- range $i, $o := .Options}}
<input id="{{itemID "bin" $i}}" value="{{$o}}"{{if has $.Checked $o}} checked{{end}}>
{{- end}}
<p>{{join .Options ", "}}</p>
{{- with dict "At" (ukTime .At)}}
<time>{{.At.Format "15:04 MST"}}</time>
{{- end}}
{{end}}`)},
	"templates/broken.html": {Data: []byte(`{{define "content"}}{{dict "odd"}}{{end}}`)},
}

func TestPagesRenderWithTheCouncilsLayout(t *testing.T) {
	site, _ := newSite(t, Branding{CouncilName: "Larchester Council"})
	pages, err := site.Pages(audience, "hello")
	if err != nil {
		t.Fatal(err)
	}
	r := newEngine(t)
	r.GET("/hello", func(c *gin.Context) {
		pages.Render(c, http.StatusOK, "hello", "Hello", false, map[string]any{
			"Name": "BINS", "Body": "First.\r\n\r\n  Second.  \n\n\n", "Options": []string{"general", "recycling"},
			"Checked": []string{"recycling"}, "At": time.Date(2026, 7, 1, 13, 5, 0, 0, time.UTC),
		})
	})
	w := get(r, "/hello")
	if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("page: %d %q %q; want 200, never cached", w.Code, w.Header().Get("Cache-Control"), w.Header().Get("Content-Type"))
	}
	html := w.Body.String()
	pageHas(t, html,
		"<title>Hello – Larchester Council</title>",
		`<span class="larder-header__council-name">Larchester Council</span>`,
		`<h1 class="govuk-heading-l">bins</h1>`,
		`<p class="govuk-body">First.</p>`, `<p class="govuk-body">Second.</p>`,
		`<input id="bin" value="general">`, `<input id="bin-2" value="recycling" checked>`,
		"<p>general, recycling</p>",
	)
	if london != time.UTC {
		pageHas(t, html, "<time>14:05 BST</time>") // residents read British time
	}
	if n := strings.Count(html, `<p class="govuk-body">`); n != 2 {
		t.Errorf("body text made %d paragraphs; want 2, blank lines between them dropped", n)
	}

	if err := pages.Execute(&strings.Builder{}, "goodbye", "Goodbye", false, nil); err == nil || !strings.Contains(err.Error(), `no page "goodbye"`) {
		t.Errorf("an unknown page: %v", err)
	}
}

func TestPagesThatCannotBeParsedStopTheStart(t *testing.T) {
	site, _ := newSite(t, Branding{CouncilName: "Larchester Council"})
	if _, err := site.Pages(audience, "missing"); err == nil || !strings.Contains(err.Error(), "page missing") {
		t.Errorf("a page with no template: %v; want an error naming it", err)
	}
	bad := fstest.MapFS{"templates/bad.html": {Data: []byte(`{{define "content"}}{{.Oops{{end}}`)}}
	if _, err := site.Pages(bad, "bad"); err == nil || !strings.Contains(err.Error(), "page bad") {
		t.Errorf("a page that does not parse: %v; want an error naming it", err)
	}
}

func TestPageThatFailsAsItRendersIsLogged(t *testing.T) {
	site, logged := newSite(t, Branding{CouncilName: "Larchester Council"})
	pages, err := site.Pages(audience, "broken")
	if err != nil {
		t.Fatal(err)
	}
	r := newEngine(t)
	r.GET("/broken", func(c *gin.Context) { pages.Render(c, http.StatusOK, "broken", "Broken", false, nil) })
	get(r, "/broken")
	if !strings.Contains(logged.String(), "render page") || !strings.Contains(logged.String(), "page=broken") ||
		!strings.Contains(logged.String(), "dict wants key, value pairs") {
		t.Errorf("a page failing as it renders should be logged with its name and why; log:\n%s", logged.String())
	}
}

func TestDict(t *testing.T) {
	m, err := dict("a", 1, "b", "two")
	if err != nil || m["a"] != 1 || m["b"] != "two" || len(m) != 2 {
		t.Errorf("dict: %v, %v", m, err)
	}
	if _, err := dict("a"); err == nil {
		t.Error("dict with a key and no value should fail")
	}
	if _, err := dict(1, "a"); err == nil || !strings.Contains(err.Error(), "not a string") {
		t.Errorf("dict with a number for a key: %v", err)
	}
}

func TestNotFound(t *testing.T) {
	site, _ := newSite(t, Branding{CouncilName: "Larchester Council"})
	pages, err := site.Pages(fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	r := newEngine(t)
	r.NoRoute(pages.NotFound)
	r.GET("/track/:reference", pages.NotFound, reached)

	for _, path := range []string{"/no-such-page", "/track/MB-0000-0000"} {
		w := get(r, path)
		if w.Code != http.StatusNotFound || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: %d %q; want 404, not cached", path, w.Code, w.Header().Get("Cache-Control"))
		}
		pageHas(t, w.Body.String(),
			"<title>Page not found – Larchester Council</title>",
			`<h1 class="govuk-heading-l">Page not found</h1>`,
			`<p class="govuk-body">If you typed the web address, check it is correct.</p>`,
			`<a class="govuk-link" href="/">See all council services</a>`)
		pageLacks(t, w.Body.String(), "reached")
	}
}

func TestUnavailableNeverSaysAnswersWereSavedNorShowsTheError(t *testing.T) {
	site, logged := newSite(t, Branding{CouncilName: "Larchester Council"})
	pages, err := site.Pages(fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	r := newEngine(t)
	r.POST("/services/missed-bin/check", func(c *gin.Context) {
		pages.Unavailable(c, errors.New("redis: connection refused at 10.0.0.7:6379 while saving draft"))
	}, reached)

	w := request(r, http.MethodPost, "/services/missed-bin/check", nil)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "30" || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("unavailable: %d, Retry-After %q, Cache-Control %q", w.Code, w.Header().Get("Retry-After"), w.Header().Get("Cache-Control"))
	}
	html := w.Body.String()
	pageHas(t, html, "<title>Sorry, there is a problem with the service – Larchester Council</title>", "Try again later.")
	pageLacks(t, strings.ToLower(html), "saved", "redis", "10.0.0.7", "connection refused", "reached")
	if !strings.Contains(logged.String(), "connection refused") || !strings.Contains(logged.String(), "path=/services/missed-bin/check") {
		t.Errorf("the error should be logged for the operator, with the path; log:\n%s", logged.String())
	}
}

func TestNewSiteRefusesBrandingResidentsCannotRead(t *testing.T) {
	if _, err := NewSite(Branding{HeaderColour: "#ffdd00"}, nil); err == nil || !strings.Contains(err.Error(), "header_colour") {
		t.Errorf("a pale header: %v; want the start refused, naming header_colour", err)
	}
	site, err := NewSite(Branding{CouncilName: "Larchester Council"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b := site.Brand(); b.CouncilName != "Larchester Council" || b.HeaderColour != defaultHeaderColour || b.LinkColour != defaultLinkColour {
		t.Errorf("brand with defaults filled: %+v", b)
	}
}
