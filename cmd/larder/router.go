package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/hooks"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/api"
	"github.com/larder-council/larder/forms/designer"
	"github.com/larder-council/larder/forms/ops"
	"github.com/larder-council/larder/forms/resident"
	"github.com/larder-council/larder/forms/staff"
	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/cases/intake"
	"github.com/larder-council/larder/workflows/recipe"
)

// webParts is what the web side of a process is built from.
type webParts struct {
	Recipes              []*recipe.Recipe
	Cases                *cases.Client
	Redis                redis.UniversalClient
	KeyPrefix            string
	Connectors           *connectors.Registry
	Uploads              *forms.Uploads
	Mail                 mail.Sender
	Secret               []byte
	Branding             web.Branding
	PublicURL            string
	TrustedProxies       []string
	DraftTTL             time.Duration
	SubmissionsPerMinute int
	AnswersPerMinute     int
	DraftsPerHour        int
	StaffToken           string
	HooksToken           string
	// MetricsToken and MetricsAllow limit /metrics (metrics.token, metrics.allow).
	MetricsToken string
	MetricsAllow []string
	// Staff are the users and API clients of the back office.
	Staff *access.Directory
	// Intake, when set, takes residents' and the API's submissions in
	// before their cases start (forms.intake journal), and shows their
	// progress until they do.
	Intake *intake.Intake
	// Inbox is the index staff pages list open work from.
	Inbox *inbox.Index
	// Dev serves the designer's pages under /dev/recipes (serve --dev).
	Dev bool
	// LoadProblems, in development mode, are the mistakes that kept the
	// recipes folder's latest save from loading, for the designer's pages.
	LoadProblems func() []string
	Log          *slog.Logger
}

// submitter starts cases and shows their progress to residents and the API.
type submitter interface {
	resident.Cases
	api.Cases
}

// newRouter builds every route: the middleware they all share (recovery,
// metrics, body limits, security headers), then each audience's handler
// over the one case client.
func newRouter(p webParts) (http.Handler, error) {
	site, err := web.NewSite(p.Branding, p.Log)
	if err != nil {
		return nil, err
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if err := r.SetTrustedProxies(p.TrustedProxies); err != nil {
		return nil, fmt.Errorf("http.trusted_proxies: %w", err)
	}
	// Only the routes that take files (a resident's page, the API's upload)
	// may be sent more than a JSON body, whatever a client's Content-Type says.
	bodies := web.LimitBodyWithUploads("/services/:service/pages/:page", "/api/v1"+api.UploadRoute)
	r.Use(web.Trace()) // first, so the span holds the whole request and its status
	r.Use(gin.Recovery(), web.Observe(p.Log), bodies, web.SecurityHeaders(site.Brand(), web.ServedAt(p.PublicURL)))
	site.Routes(r)

	validator := forms.New()
	var submissions submitter = p.Cases
	if p.Intake != nil {
		submissions = p.Intake
	}
	residents := &resident.Handler{
		Recipes: p.Recipes, Cases: submissions, Site: site, Redis: p.Redis, KeyPrefix: p.KeyPrefix, Connectors: p.Connectors,
		Validator: validator, Uploads: p.Uploads, Secret: p.Secret, DraftTTL: p.DraftTTL,
		AnswersPerMinute: p.AnswersPerMinute, DraftsPerHour: p.DraftsPerHour,
		Mail: p.Mail, PublicURL: p.PublicURL, Log: p.Log,
		// Served over HTTPS, cookies never travel in the clear.
		SecureCookies: strings.HasPrefix(p.PublicURL, "https://"),
	}
	limits := &web.RateLimit{Redis: p.Redis, KeyPrefix: p.KeyPrefix, Log: p.Log}
	limit := limits.Guard("submit", p.SubmissionsPerMinute)
	if err := residents.Routes(r, limit); err != nil {
		return nil, err
	}
	limits.Pages = residents.Pages()

	v1 := r.Group("/api/v1")
	// Each lookup by reference is a query to Temporal; the API is answered
	// in problem+json, never with the residents' "too many" page.
	lookups := (&web.RateLimit{Redis: p.Redis, KeyPrefix: p.KeyPrefix, Log: p.Log}).Guard("case-lookups", api.LookupsPerMinute)
	(&api.Handler{Recipes: p.Recipes, Cases: submissions, Validator: validator, Uploads: p.Uploads, Connectors: p.Connectors, Log: p.Log}).Routes(v1, limit, lookups)
	clients, err := p.Staff.Clients(p.StaffToken)
	if err != nil {
		return nil, err
	}
	(&staff.API{Cases: p.Cases, Inbox: p.Inbox, Recipes: p.Recipes, Validator: validator, Clients: clients, Log: p.Log}).Routes(v1)
	desk := &staff.Handler{
		Cases: p.Cases, Inbox: p.Inbox, Identity: p.Staff, People: p.Staff,
		Sessions: &access.Sessions{Redis: p.Redis, Prefix: p.KeyPrefix},
		Recipes:  p.Recipes, Site: site, Validator: validator, SecureCookies: strings.HasPrefix(p.PublicURL, "https://"), Log: p.Log,
	}
	if err := desk.Routes(r); err != nil {
		return nil, err
	}
	(&hooks.Handler{Recipes: p.Recipes, Cases: p.Cases, Token: p.HooksToken, Log: p.Log}).Routes(r)
	metricsAllow, err := ops.ParseAllow(p.MetricsAllow)
	if err != nil {
		return nil, err
	}
	(&ops.Handler{Temporal: p.Cases, Redis: p.Redis, MetricsToken: p.MetricsToken, MetricsAllow: metricsAllow}).Routes(r)
	if p.Dev {
		if err := (&designer.Handler{Recipes: p.Recipes, Site: site, Log: p.Log, Problems: p.LoadProblems}).Routes(r); err != nil {
			return nil, err
		}
	}
	r.NoRoute(residents.NotFound)
	return r, nil
}
