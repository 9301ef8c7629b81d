package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/workflows/recipe"
)

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

func (s *Server) apiServices(c *gin.Context) {
	out := make([]serviceSummary, 0, len(s.Recipes))
	for _, r := range s.Recipes {
		out = append(out, serviceSummary{ID: r.ID, Title: r.Title, Summary: r.Summary, Version: r.Version})
	}
	c.JSON(http.StatusOK, gin.H{"services": out})
}

func (s *Server) apiService(c *gin.Context) {
	r := s.recipe(c.Param("service"))
	if r == nil {
		problem(c, http.StatusNotFound, "No such service", nil)
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

// apiSubmit takes a JSON object of answers keyed by question id. A repeat
// with the same Idempotency-Key header returns the same case.
func (s *Server) apiSubmit(c *gin.Context) {
	r := s.recipe(c.Param("service"))
	if r == nil {
		problem(c, http.StatusNotFound, "No such service", nil)
		return
	}
	var raw map[string]any
	dec := json.NewDecoder(c.Request.Body)
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			problem(c, http.StatusRequestEntityTooLarge, "Request body too large", nil)
			return
		}
		problem(c, http.StatusBadRequest, "The body must be a JSON object of answers keyed by question id", nil)
		return
	}
	answers, errs := s.Validator.Form(r, raw)
	errs = append(errs, s.missingUploads(r, answers)...)
	if len(errs) > 0 {
		submissions.WithLabelValues(r.ID, "invalid").Inc()
		problem(c, http.StatusUnprocessableEntity, "Some answers need fixing", errs)
		return
	}
	ref, err := s.startCase(c.Request.Context(), r, answers, c.GetHeader("Idempotency-Key"))
	if err != nil {
		submissions.WithLabelValues(r.ID, "error").Inc()
		s.Log.ErrorContext(c, "submission not started", "service", r.ID, "err", err)
		problem(c, http.StatusServiceUnavailable, "We could not take your submission just now; try again shortly", nil)
		return
	}
	submissions.WithLabelValues(r.ID, "started").Inc()
	c.Header("Location", "/api/v1/cases/"+ref)
	c.JSON(http.StatusCreated, gin.H{"reference": ref, "status_url": "/api/v1/cases/" + ref, "track_url": "/track/" + ref})
}

func (s *Server) apiCase(c *gin.Context) {
	view, err := s.caseView(c.Request.Context(), c.Param("reference"))
	switch {
	case errors.Is(err, errNoCase):
		problem(c, http.StatusNotFound, "No case has that reference", nil)
	case err != nil:
		s.Log.ErrorContext(c, "case query failed", "err", err)
		problem(c, http.StatusServiceUnavailable, "Case progress is unavailable just now; try again shortly", nil)
	default:
		c.JSON(http.StatusOK, view)
	}
}

// problem writes an RFC 9457 problem+json reply; errs lists each bad answer.
func problem(c *gin.Context, status int, title string, errs []forms.FieldError) {
	body := gin.H{"type": "about:blank", "title": title, "status": status}
	if errs != nil {
		body["errors"] = errs
	}
	c.Header("Content-Type", "application/problem+json")
	if status == http.StatusServiceUnavailable && c.Writer.Header().Get("Retry-After") == "" {
		c.Header("Retry-After", "5") // clients back off rather than hammer
	}
	c.Status(status)
	_ = json.NewEncoder(c.Writer).Encode(body)
	c.Abort()
}

// apiUpload takes a file for a file question (multipart, part "file") and
// answers with the reference to submit as that question's answer.
func (s *Server) apiUpload(c *gin.Context) {
	r := s.recipe(c.Param("service"))
	var field *recipe.Field
	if r != nil {
		for _, f := range r.Fields() {
			if f.ID == c.Param("field") && f.Type == "file" {
				field = &f
			}
		}
	}
	if field == nil {
		problem(c, http.StatusNotFound, "No such file question", nil)
		return
	}
	fh, err := c.FormFile("file")
	if err != nil {
		problem(c, http.StatusBadRequest, "Send the file as multipart form data in a part named file", nil)
		return
	}
	file, err := fh.Open()
	if err != nil {
		problem(c, http.StatusBadRequest, "The file could not be read", nil)
		return
	}
	defer func() { _ = file.Close() }()
	up, err := s.Uploads.Save(file, fh.Filename, field.Accept, field.MaxBytes)
	var refused *forms.ErrUpload
	switch {
	case errors.As(err, &refused):
		problem(c, http.StatusUnprocessableEntity, "The file was refused", []forms.FieldError{{Field: field.ID, Message: refused.Message}})
	case err != nil:
		s.Log.ErrorContext(c, "upload not saved", "err", err)
		problem(c, http.StatusServiceUnavailable, "The file could not be saved just now; try again shortly", nil)
	default:
		c.JSON(http.StatusCreated, gin.H{"reference": forms.UploadPrefix + up.ID, "name": up.Name, "type": up.Type, "size": up.Size})
	}
}

// missingUploads refuses file answers that name no stored upload.
func (s *Server) missingUploads(r *recipe.Recipe, answers map[string]any) []forms.FieldError {
	var errs []forms.FieldError
	for _, f := range r.Fields() {
		if ref, ok := answers[f.ID].(string); ok && f.Type == "file" {
			if _, found := s.Uploads.Describe(ref); !found {
				errs = append(errs, forms.FieldError{Field: f.ID, Message: "The selected file was not found; upload it again"})
			}
		}
	}
	return errs
}
