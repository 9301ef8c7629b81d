// Package api is Larder's public JSON API: the services and their forms,
// submissions (with idempotency keys) and uploads, and a case's progress by
// reference. Answers are checked by the same rules and messages as the
// resident pages.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// Cases is what the API asks of the case client.
type Cases interface {
	Start(ctx context.Context, r *recipe.Recipe, answers map[string]any, idempotencyKey string) (string, error)
	View(ctx context.Context, ref string) (workflows.CaseView, error)
}

// Handler serves the public API; construct it with its fields set.
type Handler struct {
	// Recipes are the services on offer.
	Recipes []*recipe.Recipe
	// Cases starts cases and shows their progress.
	Cases Cases
	// Validator checks answers.
	Validator *forms.Validator
	// Uploads keeps files sent for file questions.
	Uploads *forms.Uploads
	// Connectors answer the lookups an address answer is checked against.
	Connectors *connectors.Registry
	// Log receives what clients are not shown.
	Log *slog.Logger
}

// UploadRoute is the one route, under the API's root, that takes files: the
// body limit in front of the API must let it (and only it) take a file
// (web.LimitBodyWithUploads).
const UploadRoute = "/services/:service/uploads/:field"

// LookupsPerMinute is how many case references one address may look up a
// minute: plenty for a resident's app checking its cases, too few to find
// cases by guessing references, each guess being a query to Temporal.
const LookupsPerMinute = 60

// Routes adds the API under r (mounted at /api/v1); limit guards the
// posts that send something, lookups the case view by reference (see
// LookupsPerMinute).
func (h *Handler) Routes(r gin.IRoutes, limit, lookups gin.HandlerFunc) {
	if h.Log == nil {
		h.Log = slog.Default()
	}
	r.GET("/schema/recipe.json", func(c *gin.Context) { c.Data(http.StatusOK, "application/schema+json", recipe.Schema) })
	r.GET("/schema/connectors.json", func(c *gin.Context) { c.Data(http.StatusOK, "application/schema+json", connectors.Schema) })
	r.GET("/services", h.services)
	r.GET("/services/:service", h.service)
	r.POST("/services/:service/submissions", limit, h.submit)
	r.POST(UploadRoute, limit, h.upload)
	r.GET("/cases/:reference", lookups, h.caseView)
}

func (h *Handler) recipe(id string) *recipe.Recipe { return recipe.Find(h.Recipes, id) }

// serviceSummary is one entry of GET /api/v1/services.
type serviceSummary struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Summary string `json:"summary,omitempty"`
	Version string `json:"version"`
}

// fieldView is a question as API clients see it.
type fieldView struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Label    string          `json:"label"`
	Hint     string          `json:"hint,omitempty"`
	Required bool            `json:"required"`
	Validate string          `json:"validate,omitempty"`
	Options  []recipe.Option `json:"options,omitempty"`
	Example  string          `json:"example,omitempty"`
}

type pageView struct {
	ID     string      `json:"id"`
	Title  string      `json:"title"`
	Fields []fieldView `json:"fields"`
}

func (h *Handler) services(c *gin.Context) {
	out := make([]serviceSummary, 0, len(h.Recipes))
	for _, r := range h.Recipes {
		out = append(out, serviceSummary{ID: r.ID, Title: r.Title, Summary: r.Summary, Version: r.Version})
	}
	c.JSON(http.StatusOK, gin.H{"services": out})
}

func (h *Handler) service(c *gin.Context) {
	r := h.recipe(c.Param("service"))
	if r == nil {
		web.Problem(c, http.StatusNotFound, "No such service", nil)
		return
	}
	pages := make([]pageView, 0, len(r.Form.Pages))
	for _, p := range r.Form.Pages {
		pv := pageView{ID: p.ID, Title: p.Title, Fields: []fieldView{}}
		for _, f := range p.Fields {
			pv.Fields = append(pv.Fields, fieldView{
				ID: f.ID, Type: f.Type, Label: f.Label, Hint: f.Hint, Required: f.Required(),
				Validate: f.Validate, Options: f.Options, Example: f.Example,
			})
		}
		pages = append(pages, pv)
	}
	c.JSON(http.StatusOK, gin.H{
		"id": r.ID, "title": r.Title, "summary": r.Summary, "version": r.Version + "+" + r.Hash,
		"reference_prefix": r.ReferencePrefix, "pages": pages,
	})
}

// submit takes a JSON object of answers keyed by question id. A repeat
// with the same Idempotency-Key header from the same caller
// (idempotencyKey) returns the same case if it brings the same answers,
// and 422 if it brings others.
func (h *Handler) submit(c *gin.Context) {
	r := h.recipe(c.Param("service"))
	if r == nil {
		web.Problem(c, http.StatusNotFound, "No such service", nil)
		return
	}
	var raw map[string]any
	dec := json.NewDecoder(c.Request.Body)
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			web.Problem(c, http.StatusRequestEntityTooLarge, "Request body too large", nil)
			return
		}
		web.Problem(c, http.StatusBadRequest, "The body must be a JSON object of answers keyed by question id", nil)
		return
	}
	answers, errs := h.Validator.Form(r, raw)
	errs = append(errs, h.Uploads.CheckAnswers(r, answers)...)
	if len(errs) == 0 {
		// An address must be one its lookup offers for the postcode given;
		// when the lookup cannot be made, the answer cannot be taken yet.
		var err error
		if errs, err = forms.CheckLookups(c.Request.Context(), h.Connectors, r, answers); err != nil {
			web.CountSubmission(r.ID, "error")
			h.Log.ErrorContext(c, "lookup failed", "service", r.ID, "err", err)
			web.Problem(c, http.StatusServiceUnavailable, "We could not check your answers just now; try again shortly", nil)
			return
		}
	}
	if len(errs) > 0 {
		web.CountSubmission(r.ID, "invalid")
		web.Problem(c, http.StatusUnprocessableEntity, "Some answers need fixing", errs)
		return
	}
	// The case will refer to its files: the sweep must never remove them.
	if err := h.Uploads.Keep(r, answers); err != nil {
		h.Log.ErrorContext(c, "uploads not kept", "service", r.ID, "err", err)
		web.Problem(c, http.StatusServiceUnavailable, "We could not take your submission just now; try again shortly", nil)
		return
	}
	ref, err := h.Cases.Start(c.Request.Context(), r, answers, idempotencyKey(c))
	if errors.Is(err, cases.ErrKeyReused) {
		web.CountSubmission(r.ID, "invalid")
		web.Problem(c, http.StatusUnprocessableEntity, IdempotencyKeyReused, nil)
		return
	}
	if err != nil {
		web.CountSubmission(r.ID, "error")
		h.Log.ErrorContext(c, "submission not started", "service", r.ID, "err", err)
		web.Problem(c, http.StatusServiceUnavailable, "We could not take your submission just now; try again shortly", nil)
		return
	}
	web.CountSubmission(r.ID, "started")
	c.Header("Location", "/api/v1/cases/"+ref)
	c.JSON(http.StatusCreated, gin.H{"reference": ref, "status_url": "/api/v1/cases/" + ref, "track_url": "/track/" + ref})
}

func (h *Handler) caseView(c *gin.Context) {
	view, err := h.Cases.View(c.Request.Context(), c.Param("reference"))
	switch {
	case errors.Is(err, cases.ErrNoCase):
		web.Problem(c, http.StatusNotFound, "No case has that reference", nil)
	case err != nil:
		h.Log.ErrorContext(c, "case query failed", "err", err)
		web.Problem(c, http.StatusServiceUnavailable, "Case progress is unavailable just now; try again shortly", nil)
	default:
		c.JSON(http.StatusOK, view)
	}
}

// upload takes a file for a file question (multipart, part "file") and
// answers with the reference to submit as that question's answer.
func (h *Handler) upload(c *gin.Context) {
	r := h.recipe(c.Param("service"))
	var field *recipe.Field
	if r != nil {
		for _, f := range r.Fields() {
			if f.ID == c.Param("field") && f.Type == "file" {
				field = &f
			}
		}
	}
	if field == nil {
		web.Problem(c, http.StatusNotFound, "No such file question", nil)
		return
	}
	fh, err := c.FormFile("file")
	if err != nil {
		web.Problem(c, http.StatusBadRequest, "Send the file as multipart form data in a part named file", nil)
		return
	}
	up, err := h.Uploads.SaveFile(fh, r.ID, *field)
	var refused *forms.ErrUpload
	switch {
	case errors.As(err, &refused):
		web.Problem(c, http.StatusUnprocessableEntity, "The file was refused", []forms.FieldError{{Field: field.ID, Message: refused.Message}})
	case err != nil:
		h.Log.ErrorContext(c, "upload not saved", "err", err)
		web.Problem(c, http.StatusServiceUnavailable, "The file could not be saved just now; try again shortly", nil)
	default:
		c.JSON(http.StatusCreated, gin.H{"reference": forms.UploadPrefix + up.ID, "name": up.Name, "type": up.Type, "size": up.Size})
	}
}
