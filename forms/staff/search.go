package staff

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// searchQueues limits a user's search to their queues' cases; nil (every
// case) for an admin.
func searchQueues(u access.User) []string {
	if u.Role == access.RoleAdmin {
		return nil
	}
	if u.Queues == nil {
		return []string{}
	}
	return u.Queues
}

// search finds cases by reference, postcode, email address or name. A
// reference of a case goes straight to its page.
func (h *Handler) search(c *gin.Context) {
	q := strings.TrimSpace(c.Query("q"))
	data := map[string]any{"Query": q}
	if q == "" {
		h.render(c, http.StatusOK, "search", "Find a case", data)
		return
	}
	if len(q) > 200 {
		data["Errors"] = []forms.FieldError{{Field: "q", Message: "Enter at most 200 characters"}}
		data["QueryError"] = "Enter at most 200 characters"
		h.render(c, http.StatusUnprocessableEntity, "search", "Find a case", data)
		return
	}
	if ref := strings.ToUpper(q); cases.ValidReference(ref) {
		_, err := h.Cases.Detail(c, ref)
		switch {
		case err == nil:
			c.Redirect(http.StatusSeeOther, "/staff/cases/"+ref)
			return
		case !errors.Is(err, cases.ErrNoCase):
			h.unavailable(c, err)
			return
		}
	}
	found, err := h.Cases.Search(c, cases.SearchQuery{Text: q, Queues: searchQueues(h.session(c).User)})
	if err != nil {
		h.unavailable(c, err)
		return
	}
	rows := make([]foundCase, 0, len(found))
	for _, s := range found {
		rows = append(rows, foundCase{CaseSummary: s, Service: caseServiceTitle(recipe.Find(h.Recipes, s.Service), s.Service), Status: caseStatusText(s.Status)})
	}
	data["Results"] = rows
	data["Searched"] = true
	h.render(c, http.StatusOK, "search", "Find a case", data)
}

// foundCase is one row of search results.
type foundCase struct {
	cases.CaseSummary
	// Service is the service's title and Status the case's in words.
	Service, Status string
}
