// Package web serves residents and API clients: the service list, the form
// journey in GOV.UK markup, the JSON API, case tracking and health checks.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/client"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/workflows/recipe"
)

// maxBody bounds every request body; larger ones get 413. maxUpload is the
// most a file question may take.
const (
	maxBody   = 64 << 10
	maxUpload = 25 << 20
)

// Server holds what the web handlers need; construct it with its fields set.
type Server struct {
	// Recipes are the services on offer, in the order listed to residents.
	Recipes []*recipe.Recipe
	// Temporal starts and queries cases.
	Temporal client.Client
	// Namespace is the Temporal namespace cases run in.
	Namespace string
	// TaskQueue is where case workflows run.
	TaskQueue string
	// Redis holds sessions and drafts.
	Redis redis.UniversalClient
	// Connectors answer address lookups while a resident fills in a form.
	Connectors *connectors.Registry
	// Validator checks answers.
	Validator *forms.Validator
	// Uploads keeps files residents attach.
	Uploads *forms.Uploads
	// Secret signs CSRF tokens and derives references from idempotency keys.
	Secret []byte
	// CouncilName is shown in the header of every page.
	CouncilName string
	// Branding is the council's name, logo and colours on resident pages.
	Branding Branding
	// SecureCookies marks cookies Secure; set it when served over HTTPS.
	SecureCookies bool
	// DraftTTL is how long an unfinished form is kept; default a week.
	DraftTTL time.Duration
	// Mail sends the "come back later" links.
	Mail mail.Sender
	// PublicURL is how residents reach Larder, for links in emails.
	PublicURL string
	// SubmissionsPerMinute limits how many forms one address may send a
	// minute; 0 turns the limit off.
	SubmissionsPerMinute int
	// TrustedProxies are the addresses of proxies whose X-Forwarded-For
	// names the client; none are trusted by default.
	TrustedProxies []string
	// StaffToken guards the staff API (case detail, tasks, incidents,
	// cancel) until staff login arrives; empty turns the staff API off.
	StaffToken string
	// HooksToken guards /hooks for line-of-business systems; empty turns hooks off.
	HooksToken string
	// Log receives request errors.
	Log *slog.Logger

	pages  *pageSet
	assets *assetSet
	cache  pageCache
}

// Handler builds the routes.
func (s *Server) Handler() (http.Handler, error) {
	pages, err := loadPages()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	if s.Log == nil {
		s.Log = slog.Default()
	}
	s.assets, err = loadAssets(s.Branding.withDefaults(s.CouncilName), s.Log)
	if err != nil {
		return nil, err
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if err := r.SetTrustedProxies(s.TrustedProxies); err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	limit := s.rateLimit("submit", s.SubmissionsPerMinute)
	r.Use(gin.Recovery(), s.observe, limitBody, securityHeaders(s.assets.brand.logoOrigin()))
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.ready)
	r.GET("/metrics", gin.WrapH(promhttp.Handler()))
	r.GET("/assets/*file", s.assets.serve)

	api := r.Group("/api/v1")
	api.GET("/schema/recipe.json", func(c *gin.Context) { c.Data(http.StatusOK, "application/schema+json", recipe.Schema) })
	api.GET("/services", s.apiServices)
	api.GET("/services/:service", s.apiService)
	api.POST("/services/:service/submissions", limit, s.apiSubmit)
	api.POST("/services/:service/uploads/:field", limit, s.apiUpload)
	api.GET("/cases/:reference", s.apiCase)
	staff := api.Group("/cases/:reference", bearer(s.StaffToken, "Staff APIs"))
	staff.GET("/detail", s.apiCaseDetail)
	staff.POST("/tasks/:task/complete", s.apiCompleteTask)
	staff.POST("/incidents/:incident/resolve", s.apiResolveIncident)
	staff.POST("/cancel", s.apiCancelCase)
	r.POST("/hooks/:recipe/:message", bearer(s.HooksToken, "Hooks"), s.apiHook)

	r.GET("/", s.home)
	r.GET("/services/:service", s.start)
	r.GET("/services/:service/check", s.check)
	r.POST("/services/:service/check", limit, s.submit)
	r.GET("/services/:service/done/:reference", s.done)
	r.GET("/services/:service/save", s.saveForLater)
	r.POST("/services/:service/save", limit, s.sendResumeLink)
	r.GET("/services/:service/resume/:token", s.resume)
	r.GET("/services/:service/pages/:page", s.question)
	r.POST("/services/:service/pages/:page", s.answer)
	r.GET("/track/:reference", s.track)
	r.NoRoute(func(c *gin.Context) { s.notFound(c) })
	return r, nil
}

func (s *Server) recipe(id string) *recipe.Recipe {
	for _, r := range s.Recipes {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// recipeByPrefix is the recipe whose cases' references start like ref;
// prefixes are unique within a recipes folder.
func (s *Server) recipeByPrefix(ref string) *recipe.Recipe {
	prefix, _, _ := strings.Cut(ref, "-")
	for _, r := range s.Recipes {
		if r.ReferencePrefix == prefix {
			return r
		}
	}
	return nil
}

// ready answers 200 when Temporal and Redis both answer.
func (s *Server) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := gin.H{"temporal": "ok", "redis": "ok"}
	status := http.StatusOK
	if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		checks["temporal"] = "unavailable"
		status = http.StatusServiceUnavailable
	}
	if err := s.Redis.Ping(ctx).Err(); err != nil {
		checks["redis"] = "unavailable"
		status = http.StatusServiceUnavailable
	}
	c.JSON(status, checks)
}

// limitBody refuses bodies over maxBody with 413; a form carrying a file
// may be as large as the largest file plus the rest of the form.
func limitBody(c *gin.Context) {
	limit := int64(maxBody)
	if strings.HasPrefix(c.ContentType(), "multipart/form-data") {
		limit = maxUpload + maxBody
	}
	if c.Request.ContentLength > limit {
		c.AbortWithStatusJSON(http.StatusRequestEntityTooLarge, gin.H{"title": "Request body too large"})
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Next()
}

// securityHeaders allows only this site's own styles and scripts (no inline
// script), and images from the council's logo origin when it is off-site.
func securityHeaders(logoOrigin string) gin.HandlerFunc {
	csp := "default-src 'self'; form-action 'self'; frame-ancestors 'none'"
	if logoOrigin != "" {
		csp += "; img-src 'self' " + logoOrigin
	}
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", csp)
		c.Next()
	}
}
