package resident

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// fieldState is one question as rendered: its answer, choices and error.
type fieldState struct {
	Field        recipe.Field
	Value        string
	Values       []string // checked boxes
	Day          string   // date parts, as typed
	Month        string
	Year         string
	FileName     string // a file already uploaded
	Hint         string
	Error        string
	Options      []recipe.Option
	LookupFailed string
	Describedby  string
}

func (h *Handler) home(c *gin.Context) {
	h.pages.Render(c, http.StatusOK, "home", "Council services", false, gin.H{"Services": h.Recipes})
}

func (h *Handler) start(c *gin.Context) {
	r := h.recipe(c.Param("service"))
	if r == nil {
		h.pages.NotFound(c)
		return
	}
	h.pages.Render(c, http.StatusOK, "start", r.Title, false, gin.H{"Recipe": r, "First": pageURL(r, 0)})
}

func pageURL(r *recipe.Recipe, i int) string {
	return "/services/" + r.ID + "/pages/" + r.Form.Pages[i].ID
}

func (h *Handler) question(c *gin.Context) {
	r, i, sid, d, ok := h.journey(c)
	if !ok {
		return
	}
	if i < 0 {
		h.pages.NotFound(c)
		return
	}
	if !applies(r, d, i) {
		c.Redirect(http.StatusSeeOther, passOver(r, d, i, returning(c)))
		return
	}
	h.showPage(c, http.StatusOK, r, i, sid, d, nil)
}

// returning reports whether the resident came to the page from check
// answers ("Change"), to go back there once it is answered.
func returning(c *gin.Context) bool { return c.Query("return") == "check" }

func checkURL(r *recipe.Recipe) string { return "/services/" + r.ID + "/check" }

func (h *Handler) showPage(c *gin.Context, status int, r *recipe.Recipe, i int, sid string, d *draft, errs []forms.FieldError) {
	p := r.Form.Pages[i]
	asked := askedFields(r, d, i)
	back := "/services/" + r.ID
	if j := prevPage(r, d, i); j >= 0 {
		back = pageURL(r, j)
	}
	// Back from a change goes to check answers, unless check answers
	// would send the resident straight back here for an answer it needs:
	// then to the page before, still on the way back to check answers.
	if returning(c) {
		switch j := prevPage(r, d, i); {
		case h.firstUnanswered(r, d) != i:
			back = checkURL(r)
		case j >= 0:
			back = pageURL(r, j) + "?return=check"
		}
	}
	cacheKey := ""
	if status == http.StatusOK && len(errs) == 0 && unanswered(asked, d) {
		cacheKey = r.ID + "\x00" + r.Hash + "\x00" + p.ID + "\x00" + back
		if h.cache.serveCached(c, cacheKey, h.csrfToken(sid)) {
			return
		}
	}
	fields := make([]fieldState, 0, len(asked))
	hasFile := false
	for _, f := range asked {
		fs := fieldState{Field: f, Value: d.Answers[f.ID], Hint: f.Hint, Options: f.Options}
		switch f.Type {
		case "checkboxes":
			if fs.Value != "" {
				fs.Values = strings.Split(fs.Value, "\n")
			}
		case "date":
			if parts := strings.Split(fs.Value, "-"); len(parts) == 3 {
				fs.Year, fs.Month, fs.Day = parts[0], parts[1], parts[2]
			}
		case "yesno":
			fs.Options = []recipe.Option{{Value: "yes", Label: "Yes"}, {Value: "no", Label: "No"}}
		case "file":
			hasFile = true
			fs.FileName = d.Labels[f.ID]
		}
		if f.Lookup != nil {
			opts, err := h.lookupOptions(c, f, d.Answers)
			switch {
			case err != nil:
				h.Log.WarnContext(c, "lookup failed", "service", r.ID, "field", f.ID, "err", err)
				fs.LookupFailed = lookupFailed(f)
			case len(opts) == 0:
				fs.LookupFailed = lookupEmpty(f)
			}
			fs.Options = opts
		}
		for _, e := range errs {
			if e.Field == f.ID {
				fs.Error = e.Message
			}
		}
		if fs.Hint != "" {
			fs.Describedby = f.ID + "-hint"
		}
		if fs.Error != "" {
			fs.Describedby += " " + f.ID + "-error"
		}
		fields = append(fields, fs)
	}
	data := gin.H{
		"Page": p, "Fields": fields, "Errors": errs, "CSRF": h.csrfToken(sid), "Back": back, "HasFile": hasFile,
		"SaveURL": "/services/" + r.ID + "/save",
	}
	if cacheKey != "" {
		h.renderAndKeep(c, cacheKey, h.csrfToken(sid), p.Title, data)
		return
	}
	h.pages.Render(c, status, "question", p.Title, len(errs) > 0, data)
}

func (h *Handler) answer(c *gin.Context) {
	r, i, sid, d, ok := h.journey(c)
	if !ok {
		return
	}
	if i < 0 {
		h.pages.NotFound(c)
		return
	}
	if !h.checkCSRF(c, sid) {
		return
	}
	// A draft with no answers may be this session's first of the service.
	maybeNew := len(d.Answers) == 0 && d.Submitted == ""
	if d.Submitted != "" {
		// A new report after a sent one starts a new draft with a new key.
		d = &draft{Answers: map[string]string{}, Labels: map[string]string{}, Key: randomToken()}
	}
	if !applies(r, d, i) {
		// A page open from before an earlier answer changed: what it
		// sends is not asked any more.
		c.Redirect(http.StatusSeeOther, passOver(r, d, i, returning(c)))
		return
	}
	applied := visibleIndexes(r, d)
	p := r.Form.Pages[i]
	p.Fields = askedFields(r, d, i)
	var files, others []recipe.Field
	for _, f := range p.Fields {
		if f.Type == "file" {
			files = append(files, f)
			continue
		}
		others = append(others, f)
		d.Answers[f.ID] = forms.Clean(f, posted(c, f))
	}
	if c.PostForm("save") != "" {
		// "Save and come back later" keeps what was typed, checked or not,
		// and a file that passes its own checks.
		for _, f := range files {
			h.receiveFile(c, r, f, d)
		}
		if h.keepDraft(c, sid, r, d, maybeNew) {
			c.Redirect(http.StatusSeeOther, "/services/"+r.ID+"/save")
		}
		return
	}
	errs := h.Validator.Page(recipe.Page{ID: p.ID, Fields: others}, d.Answers)
	for _, f := range others {
		if f.Lookup == nil || d.Answers[f.ID] == "" || hasError(errs, f.ID) {
			continue
		}
		opts, err := h.lookupOptions(c, f, d.Answers)
		if err != nil {
			h.pages.Unavailable(c, err)
			return
		}
		j := slices.IndexFunc(opts, func(o recipe.Option) bool { return o.Value == d.Answers[f.ID] })
		if j < 0 {
			errs = append(errs, forms.FieldError{Field: f.ID, Message: forms.NotOffered(f)})
			continue
		}
		d.Labels[f.ID] = opts[j].Label
	}
	// A file is stored only once the rest of the page is right.
	for _, f := range files {
		switch {
		case len(errs) > 0 && postedFile(c, f):
			errs = append(errs, forms.FieldError{Field: f.ID, Message: "Select the file again"})
		case len(errs) == 0:
			if msg := h.receiveFile(c, r, f, d); msg != "" {
				errs = append(errs, forms.FieldError{Field: f.ID, Message: msg})
			}
		}
	}
	for _, e := range h.Validator.Page(recipe.Page{ID: p.ID, Fields: files}, d.Answers) {
		if !hasError(errs, e.Field) {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		// The error summary lists the questions in the page's order.
		slices.SortStableFunc(errs, func(a, b forms.FieldError) int {
			return fieldIndex(p.Fields, a.Field) - fieldIndex(p.Fields, b.Field)
		})
		h.showPage(c, http.StatusUnprocessableEntity, r, i, sid, d, errs)
		return
	}
	if !h.keepDraft(c, sid, r, d, maybeNew) {
		return
	}
	c.Redirect(http.StatusSeeOther, h.onward(r, d, i, applied, returning(c)))
}

// onward is where the journey goes once page i is answered: the next page
// asked, or check answers after the last. After a change from check
// answers it goes back there, unless the change made a page apply that
// had not (applied lists the pages that applied before) and that is not
// answered yet: then to that page, and from it back to check answers.
func (h *Handler) onward(r *recipe.Recipe, d *draft, i int, applied []int, returning bool) string {
	if !returning {
		if j := nextPage(r, d, i); j >= 0 {
			return pageURL(r, j)
		}
		return checkURL(r)
	}
	for _, p := range forms.Visible(r, d.Answers) {
		j := pageIndex(r, p.ID)
		if slices.Contains(applied, j) {
			continue
		}
		if !slices.ContainsFunc(p.Fields, func(f recipe.Field) bool { return d.Answers[f.ID] != "" }) ||
			len(h.Validator.Page(p, d.Answers)) > 0 {
			return pageURL(r, j) + "?return=check"
		}
	}
	return checkURL(r)
}

// passOver is where a request for page i goes when the page does not
// apply to the answers given: the next page that does (or check answers
// after the last), or check answers when the resident came from there.
func passOver(r *recipe.Recipe, d *draft, i int, returning bool) string {
	if j := nextPage(r, d, i); j >= 0 && !returning {
		return pageURL(r, j)
	}
	return checkURL(r)
}

// unanswered reports whether a page can be shown from the page cache: none
// of its questions has an answer yet or looks anything up.
func unanswered(fields []recipe.Field, d *draft) bool {
	for _, f := range fields {
		if d.Answers[f.ID] != "" || f.Lookup != nil {
			return false
		}
	}
	return true
}

func hasError(errs []forms.FieldError, field string) bool {
	return slices.ContainsFunc(errs, func(e forms.FieldError) bool { return e.Field == field })
}

// firstUnanswered is the first page asked with an answer that does not
// validate, or -1.
func (h *Handler) firstUnanswered(r *recipe.Recipe, d *draft) int {
	for _, p := range forms.Visible(r, d.Answers) {
		if len(h.Validator.Page(p, d.Answers)) > 0 {
			return pageIndex(r, p.ID)
		}
	}
	return -1
}

func (h *Handler) check(c *gin.Context) {
	r, _, sid, d, ok := h.journey(c)
	if !ok {
		return
	}
	if d.Submitted != "" {
		c.Redirect(http.StatusSeeOther, "/services/"+r.ID+"/done/"+d.Submitted)
		return
	}
	// A page still to answer is asked first, then check answers again.
	if i := h.firstUnanswered(r, d); i >= 0 {
		c.Redirect(http.StatusSeeOther, pageURL(r, i)+"?return=check")
		return
	}
	var rows []summaryRow
	for _, p := range forms.Visible(r, d.Answers) {
		for _, f := range p.Fields {
			rows = append(rows, summaryRow{Label: f.Label, Value: shownAnswer(f, d), Change: pageURL(r, pageIndex(r, p.ID)) + "?return=check"})
		}
	}
	h.pages.Render(c, http.StatusOK, "check", "Check your answers", false, gin.H{
		"Rows": rows, "CSRF": h.csrfToken(sid), "SaveURL": "/services/" + r.ID + "/save",
	})
}

// submit starts the case. The draft's key makes a double click start one
// case, and the reference is kept so a second click lands on the same page.
func (h *Handler) submit(c *gin.Context) {
	r, _, sid, d, ok := h.journey(c)
	if !ok {
		return
	}
	if !h.checkCSRF(c, sid) {
		return
	}
	if d.Submitted != "" {
		c.Redirect(http.StatusSeeOther, "/services/"+r.ID+"/done/"+d.Submitted)
		return
	}
	raw := make(map[string]any, len(d.Answers))
	for k, v := range d.Answers {
		raw[k] = v
	}
	answers, errs := h.Validator.Form(r, raw)
	if len(errs) > 0 {
		c.Redirect(http.StatusSeeOther, pageURL(r, max(h.firstUnanswered(r, d), 0))+"?return=check")
		return
	}
	// Each file must be one uploaded for its own question, and each address
	// one its lookup offers for the postcode given: one that is not is
	// dropped, and its question asked again.
	errs = h.Uploads.CheckAnswers(r, answers)
	if len(errs) == 0 {
		var err error
		if errs, err = forms.CheckLookups(c, h.Connectors, r, answers); err != nil {
			h.pages.Unavailable(c, err)
			return
		}
	}
	if len(errs) > 0 {
		for _, e := range errs {
			delete(d.Answers, e.Field)
			delete(d.Labels, e.Field)
		}
		if err := h.saveDraft(c, sid, r.ID, d); err != nil {
			h.pages.Unavailable(c, err)
			return
		}
		c.Redirect(http.StatusSeeOther, pageURL(r, pageOf(r, errs[0].Field))+"?return=check")
		return
	}
	// The case will refer to its files: the sweep must never remove them.
	if err := h.Uploads.Keep(r, answers); err != nil {
		h.pages.Unavailable(c, err)
		return
	}
	// The request's context carries its trace into the case; like c, it
	// is not cancelled when the browser gives up, so a start is not cut short.
	ctx := context.WithoutCancel(c.Request.Context())
	ref, err := h.Cases.Start(ctx, r, answers, d.Key)
	if errors.Is(err, cases.ErrKeyReused) {
		// The key started a case with the answers as they were before the
		// resident changed one (a send that seemed to fail, then an edit):
		// these answers are a new request, under a new key.
		d.Key = randomToken()
		if err = h.saveDraft(c, sid, r.ID, d); err == nil {
			ref, err = h.Cases.Start(ctx, r, answers, d.Key)
		}
	}
	if err != nil {
		web.CountSubmission(r.ID, "error")
		h.Log.ErrorContext(c, "case not started", "service", r.ID, "err", err)
		c.Header("Retry-After", "30")
		h.pages.Problem(c, http.StatusServiceUnavailable, "Sorry, there is a problem with the service",
			"Your answers have been saved. Try sending them again later.")
		return
	}
	web.CountSubmission(r.ID, "started")
	done := &draft{Key: d.Key, Submitted: ref, NextSteps: h.nextSteps(c, r, answers, d, ref)}
	if err := h.saveDraft(c, sid, r.ID, done); err != nil {
		h.Log.WarnContext(c, "case started but draft not cleared", "reference", ref, "err", err)
	}
	c.Redirect(http.StatusSeeOther, "/services/"+r.ID+"/done/"+ref)
}

func (h *Handler) done(c *gin.Context) {
	r := h.recipe(c.Param("service"))
	ref := c.Param("reference")
	if r == nil || !cases.ValidReference(ref) {
		h.pages.NotFound(c)
		return
	}
	h.pages.Render(c, http.StatusOK, "done", r.Title+": sent", false, gin.H{
		"Recipe": r, "Reference": ref, "NextSteps": h.shownNextSteps(c, r, ref),
	})
}

var statusWords = map[string]string{
	workflows.StatusReceived:  "Received",
	workflows.StatusRunning:   "In progress",
	workflows.StatusCompleted: "Closed",
	workflows.StatusFailed:    "Closed",
	workflows.StatusCancelled: "Cancelled",
}

func (h *Handler) track(c *gin.Context) {
	view, err := h.Cases.View(c, c.Param("reference"))
	if errors.Is(err, cases.ErrNoCase) {
		h.pages.NotFound(c)
		return
	}
	if err != nil {
		h.pages.Unavailable(c, err)
		return
	}
	h.pages.Render(c, http.StatusOK, "track", "Progress of "+view.Reference, false, gin.H{"View": view, "Status": statusWords[view.Status]})
}
