package web

import (
	"embed"
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageSet is every resident page, each parsed with the shared layout.
type pageSet struct {
	byName map[string]*template.Template
}

var pageNames = []string{"home", "start", "question", "check", "done", "track", "problem"}

func loadPages() (*pageSet, error) {
	funcs := template.FuncMap{"lower": strings.ToLower}
	ps := &pageSet{byName: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		ps.byName[name] = t
	}
	return ps, nil
}

// view is the data every page gets.
type view struct {
	Council string
	Title   string
	// HasErrors prefixes the page title with "Error: ".
	HasErrors bool
	Data      any
}

func (s *Server) render(c *gin.Context, status int, name, title string, hasErrors bool, data any) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Status(status)
	v := view{Council: s.CouncilName, Title: title, HasErrors: hasErrors, Data: data}
	if err := s.pages.byName[name].Execute(c.Writer, v); err != nil {
		s.Log.ErrorContext(c, "render page", "page", name, "err", err)
	}
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
