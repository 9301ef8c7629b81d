package web

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London on machines without zone data

	"github.com/gin-gonic/gin"
)

//go:embed templates/*.html
var templateFS embed.FS

// Site is the look every page shares: the council's branding, the GOV.UK
// Frontend assets under /assets/, and the layout and problem page each
// audience's pages are parsed with.
type Site struct {
	assets *assetSet
	log    *slog.Logger
}

// NewSite checks the branding and loads the embedded assets. Missing built
// assets leave pages unstyled but working, with one warning.
func NewSite(b Branding, log *slog.Logger) (*Site, error) {
	if log == nil {
		log = slog.Default()
	}
	assets, err := loadAssets(b.withDefaults(""), log)
	if err != nil {
		return nil, err
	}
	return &Site{assets: assets, log: log}, nil
}

// Brand is the council's look, defaults filled in.
func (s *Site) Brand() Branding { return s.assets.brand }

// ServeAsset serves GET and HEAD /assets/*file.
func (s *Site) ServeAsset(c *gin.Context) { s.assets.serve(c) }

// Routes serves the assets under /assets/ to GET and HEAD. A HEAD (curl -I,
// a proxy or CDN checking its copy) must see the headers a GET gets, not
// the not-found page, which is never cached.
func (s *Site) Routes(r gin.IRoutes) {
	r.GET("/assets/*file", s.ServeAsset)
	r.HEAD("/assets/*file", s.ServeAsset)
}

// Pages is one audience's set of pages, each parsed with the shared
// layout; "problem" is always among them.
type Pages struct {
	site   *Site
	byName map[string]*template.Template
}

// Pages parses templates/<name>.html from fsys for each name, each with the
// shared layout and partials (templates/_*.html here: the GOV.UK field
// markup every audience's questions use), plus the shared problem page.
// An audience's partials, templates/_*.html in fsys, are parsed with each
// of its pages and the problem page: templates they share, and the
// layout's "service navigation" slot (under the header) when they define
// it.
func (s *Site) Pages(fsys fs.FS, names ...string) (*Pages, error) {
	layout, err := template.New("layout.html").Funcs(pageFuncs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html")
	if err != nil {
		return nil, err
	}
	partials, err := fs.Glob(fsys, "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("partials: %w", err)
	}
	if len(partials) > 0 {
		if layout, err = layout.ParseFS(fsys, partials...); err != nil {
			return nil, fmt.Errorf("partials: %w", err)
		}
	}
	ps := &Pages{site: s, byName: map[string]*template.Template{}}
	parse := func(fsys fs.FS, name string) error {
		t, err := template.Must(layout.Clone()).ParseFS(fsys, "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("page %s: %w", name, err)
		}
		ps.byName[name] = t
		return nil
	}
	if err := parse(templateFS, "problem"); err != nil {
		return nil, err
	}
	for _, name := range names {
		if err := parse(fsys, name); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// pageFuncs are the helpers templates may call.
var pageFuncs = template.FuncMap{
	"lower": strings.ToLower,
	"join":  strings.Join,
	// has reports whether a checkbox's value is among those checked.
	"has": func(checked []string, value string) bool { return slices.Contains(checked, value) },
	// itemID is the id of a radio or checkbox: the field's id for the
	// first, so error links land on it, then id-2, id-3, as GOV.UK does.
	"itemID": func(id string, i int) string {
		if i == 0 {
			return id
		}
		return id + "-" + strconv.Itoa(i+1)
	},
	"paragraphs": paragraphs,
	"ukTime":     UKTime,
	"dict":       dict,
}

// dict makes a map from key, value pairs, to hand several values to a
// nested template.
func dict(pairs ...any) (map[string]any, error) {
	if len(pairs)%2 != 0 {
		return nil, errors.New("dict wants key, value pairs")
	}
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		k, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict key %v is not a string", pairs[i])
		}
		m[k] = pairs[i+1]
	}
	return m, nil
}

// paragraphs splits text at blank lines, for body text written in YAML.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// london is the time zone residents and staff read times in, whatever the
// server's own; the zone data is built into the binary (time/tzdata), so
// a container without it still tells summer time.
var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic("time/tzdata lacks Europe/London: " + err.Error())
	}
	return loc
}()

// UKTime is t as a clock in the UK reads it.
func UKTime(t time.Time) time.Time { return t.In(london) }

// view is the data every page gets; the layout uses all but Data, which
// goes to the page's own "content" (and optional "before") template.
type view struct {
	// Council is the council's name, in the header, footer and title.
	Council string
	// Branding is the council's look; its LogoURL replaces the name in the header.
	Branding Branding
	// Assets are the stylesheet and script addresses; CSS and Script are
	// empty when the assets were not built.
	Assets assetLinks
	// Title is the page's title, before the council's name.
	Title string
	// HasErrors prefixes the page title with "Error: ".
	HasErrors bool
	Data      any
}

// Render writes the page with its status; pages are never cached.
func (p *Pages) Render(c *gin.Context, status int, name, title string, hasErrors bool, data any) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Status(status)
	if err := p.Execute(c.Writer, name, title, hasErrors, data); err != nil {
		p.site.log.ErrorContext(c, "render page", "page", name, "err", err)
	}
}

// Execute writes the page to w.
func (p *Pages) Execute(w io.Writer, name, title string, hasErrors bool, data any) error {
	t := p.byName[name]
	if t == nil {
		return fmt.Errorf("no page %q", name)
	}
	return t.Execute(w, p.view(title, hasErrors, data))
}

// view wraps a page's data with what the layout shows on every page.
func (p *Pages) view(title string, hasErrors bool, data any) view {
	a := p.site.assets
	return view{Council: a.brand.CouncilName, Branding: a.brand, Assets: a.links, Title: title, HasErrors: hasErrors, Data: data}
}

// Problem renders the shared problem page: a heading and a paragraph.
func (p *Pages) Problem(c *gin.Context, status int, heading, body string) {
	p.Render(c, status, "problem", heading, false, gin.H{"Heading": heading, "Body": body})
	c.Abort()
}

// NotFound is the page for an address that names nothing.
func (p *Pages) NotFound(c *gin.Context) {
	p.Problem(c, http.StatusNotFound, "Page not found", "If you typed the web address, check it is correct.")
}

// Unavailable logs what went wrong and tells the visitor to try later,
// without the error; it never says their answers were saved, because the
// failure may have been saving them.
func (p *Pages) Unavailable(c *gin.Context, err error) {
	p.site.log.ErrorContext(c, "page unavailable", "path", c.Request.URL.Path, "err", err)
	c.Header("Retry-After", "30")
	p.Problem(c, http.StatusServiceUnavailable, "Sorry, there is a problem with the service", "Try again later.")
}
