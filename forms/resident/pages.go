package resident

import (
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/workflows/recipe"
)

// visibleIndexes lists the pages asked given the draft's answers, as
// indexes into the recipe's pages.
func visibleIndexes(r *recipe.Recipe, d *draft) []int {
	var out []int
	for _, p := range forms.Visible(r, d.Answers) {
		out = append(out, pageIndex(r, p.ID))
	}
	return out
}

// nextPage is the first page asked after page i, or -1 when none is.
func nextPage(r *recipe.Recipe, d *draft, i int) int {
	for _, j := range visibleIndexes(r, d) {
		if j > i {
			return j
		}
	}
	return -1
}

// prevPage is the last page asked before page i, or -1.
func prevPage(r *recipe.Recipe, d *draft, i int) int {
	prev := -1
	for _, j := range visibleIndexes(r, d) {
		if j < i {
			prev = j
		}
	}
	return prev
}

// askedFields are the questions of page i asked given the draft.
func askedFields(r *recipe.Recipe, d *draft, i int) []recipe.Field {
	for _, p := range forms.Visible(r, d.Answers) {
		if p.ID == r.Form.Pages[i].ID {
			return p.Fields
		}
	}
	return r.Form.Pages[i].Fields
}

func pageIndex(r *recipe.Recipe, id string) int {
	return slices.IndexFunc(r.Form.Pages, func(p recipe.Page) bool { return p.ID == id })
}

// fieldIndex is the index of question id among fields, or -1.
func fieldIndex(fields []recipe.Field, id string) int {
	return slices.IndexFunc(fields, func(f recipe.Field) bool { return f.ID == id })
}

// pageOf is the index of the page asking question id, or 0.
func pageOf(r *recipe.Recipe, id string) int {
	return max(slices.IndexFunc(r.Form.Pages, func(p recipe.Page) bool { return fieldIndex(p.Fields, id) >= 0 }), 0)
}

// journey loads the service, page and draft a request is about.
func (h *Handler) journey(c *gin.Context) (r *recipe.Recipe, page int, sid string, d *draft, ok bool) {
	r = h.recipe(c.Param("service"))
	if r == nil {
		h.pages.NotFound(c)
		return nil, 0, "", nil, false
	}
	page = pageIndex(r, c.Param("page"))
	sid = h.session(c)
	d, err := h.loadDraft(c, sid, r.ID)
	if err != nil {
		h.pages.Unavailable(c, err)
		return nil, 0, "", nil, false
	}
	// The draft's files are in use for as long as the draft is kept.
	for _, f := range r.Fields() {
		if f.Type == "file" && d.Answers[f.ID] != "" {
			h.Uploads.Touch(d.Answers[f.ID])
		}
	}
	return r, page, sid, d, true
}

// sessionKey holds the resident's session id among a request's values.
const sessionKey = "resident.session"

// session is the resident's session id, the same each time a request
// asks (a rate limit, then the page).
func (h *Handler) session(c *gin.Context) string {
	if sid := c.GetString(sessionKey); sid != "" {
		return sid
	}
	sid := h.sessionID(c)
	c.Set(sessionKey, sid)
	return sid
}

// applies reports whether page i is asked given the draft's answers.
func applies(r *recipe.Recipe, d *draft, i int) bool {
	return slices.Contains(visibleIndexes(r, d), i)
}
