package web

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageSet is every resident page, each parsed with the shared layout.
type pageSet struct {
	byName map[string]*template.Template
}

var pageNames = []string{"home", "start", "question", "check", "done", "track", "problem", "save", "saved"}

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
	"ukTime":     ukTime,
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

// london is the time zone residents read times in; UTC if the system has
// no zone data.
var london = func() *time.Location {
	if loc, err := time.LoadLocation("Europe/London"); err == nil {
		return loc
	}
	return time.UTC
}()

func ukTime(t time.Time) time.Time { return t.In(london) }

func loadPages() (*pageSet, error) {
	ps := &pageSet{byName: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(pageFuncs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		ps.byName[name] = t
	}
	return ps, nil
}

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

func (s *Server) render(c *gin.Context, status int, name, title string, hasErrors bool, data any) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Status(status)
	if err := s.pages.byName[name].Execute(c.Writer, s.view(title, hasErrors, data)); err != nil {
		s.Log.ErrorContext(c, "render page", "page", name, "err", err)
	}
}

// view wraps a page's data with what the layout shows on every page.
func (s *Server) view(title string, hasErrors bool, data any) view {
	return view{Council: s.assets.brand.CouncilName, Branding: s.assets.brand, Assets: s.assets.links, Title: title, HasErrors: hasErrors, Data: data}
}

func (s *Server) notFound(c *gin.Context) {
	s.render(c, http.StatusNotFound, "problem", "Page not found", false, gin.H{
		"Heading": "Page not found", "Body": "If you typed the web address, check it is correct.",
	})
}

func (s *Server) unavailable(c *gin.Context, err error) {
	s.Log.ErrorContext(c, "page unavailable", "path", c.Request.URL.Path, "err", err)
	s.render(c, http.StatusServiceUnavailable, "problem", "Sorry, there is a problem with the service", false, gin.H{
		"Heading": "Sorry, there is a problem with the service", "Body": "Try again later. Your answers have been saved.",
	})
}
