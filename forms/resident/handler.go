// Package resident serves residents: the list of services, each service's
// form as GOV.UK pages that work without JavaScript (one question a page,
// check your answers, confirmation with a reference), "save and come back
// later", and the progress of a case by its reference.
package resident

import (
	"context"
	"embed"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

//go:embed templates/*.html
var templateFS embed.FS

var pageNames = []string{"home", "start", "question", "check", "done", "track", "save", "saved", "resume"}

// Cases is what resident pages ask of the case client.
type Cases interface {
	Start(ctx context.Context, r *recipe.Recipe, answers map[string]any, idempotencyKey string) (string, error)
	View(ctx context.Context, ref string) (workflows.CaseView, error)
}

// Handler serves the resident pages; construct it with its fields set,
// then call Routes.
type Handler struct {
	// Recipes are the services on offer, in the order listed to residents.
	Recipes []*recipe.Recipe
	// Cases starts cases and shows their progress.
	Cases Cases
	// Site is the council's look.
	Site *web.Site
	// Redis holds drafts and resume links.
	Redis redis.UniversalClient
	// KeyPrefix starts every Redis key; default "larder:".
	KeyPrefix string
	// Connectors answer address lookups while a resident fills in a form.
	Connectors *connectors.Registry
	// Validator checks answers.
	Validator *forms.Validator
	// Uploads keeps files residents attach.
	Uploads *forms.Uploads
	// Secret signs session ids and CSRF tokens.
	Secret []byte
	// SecureCookies marks cookies Secure; set it when served over HTTPS.
	SecureCookies bool
	// DraftTTL is how long an unfinished form is kept; default a week.
	DraftTTL time.Duration
	// Mail sends the "come back later" links.
	Mail mail.Sender
	// PublicURL is how residents reach Larder, for links in emails.
	PublicURL string
	// Now is the clock resume links' expiry and the progress page's limit
	// are told by; default time.Now.
	Now func() time.Time
	// TracksPerMinute limits the progress pages (/track/{reference}) one
	// address may open a minute, since each asks Temporal; 0 is 60, less
	// than 0 is no limit.
	TracksPerMinute int
	// Log receives what residents are not shown.
	Log *slog.Logger
	// AnswersPerMinute limits the pages of answers one address may send a
	// minute, and one session half as many; 0 is no limit.
	AnswersPerMinute int
	// DraftsPerHour limits the forms one address may start an hour; 0 is
	// no limit.
	DraftsPerHour int

	pages *web.Pages
	cache pageCache
	// answerLimit and draftLimit count answers and new drafts.
	answerLimit, draftLimit *web.RateLimit
}

// Routes parses the pages and adds the resident routes; limit guards the
// posts that send something (a form, a resume link).
func (h *Handler) Routes(r gin.IRoutes, limit gin.HandlerFunc) error {
	pages, err := h.Site.Pages(templateFS, pageNames...)
	if err != nil {
		return err
	}
	h.pages = pages
	if h.Log == nil {
		h.Log = slog.Default()
	}
	h.answerLimit, h.draftLimit = h.rateLimits()
	r.GET("/", h.home)
	r.GET("/services/:service", h.start)
	r.GET("/services/:service/check", h.check)
	r.POST("/services/:service/check", limit, h.submit)
	r.GET("/services/:service/done/:reference", h.done)
	r.GET("/services/:service/save", h.saveForLater)
	r.POST("/services/:service/save", limit, h.sendResumeLink)
	r.GET("/services/:service/resume/:token", h.resumePage)
	r.POST("/services/:service/resume/:token", h.resume)
	r.GET("/services/:service/pages/:page", h.question)
	r.POST("/services/:service/pages/:page", h.limitAnswers, h.answer)
	r.GET("/track/:reference", h.trackLimit(), h.track)
	return nil
}

// NotFound is the page for an address that names nothing.
func (h *Handler) NotFound(c *gin.Context) { h.pages.NotFound(c) }

// Pages are the resident pages, once Routes has parsed them; the rate
// limit shows its "too many" page with them.
func (h *Handler) Pages() *web.Pages { return h.pages }

func (h *Handler) recipe(id string) *recipe.Recipe { return recipe.Find(h.Recipes, id) }

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) key(parts ...string) string {
	k := h.KeyPrefix
	if k == "" {
		k = "larder:"
	}
	for i, p := range parts {
		if i > 0 {
			k += ":"
		}
		k += p
	}
	return k
}
