package staff

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows/cases"
)

// listIncidents lists every open incident, oldest first, optionally of
// one service; only a client with every queue may.
func (h *API) listIncidents(c *gin.Context) {
	if !client(c).All {
		forbidden(c, "Only a client with every queue may list incidents")
		return
	}
	page, perPage, ok := pageOf(c)
	if !ok || !namesFit(c, "service") {
		return
	}
	if h.Inbox == nil {
		h.unavailable(c, errors.New("staff API: no inbox index"))
		return
	}
	p, err := h.Inbox.Incidents(c, c.Query("service"), page, perPage)
	if err != nil {
		h.unavailable(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(p, perPage))
}

// foundCaseJSON is one case of GET /cases.
type foundCaseJSON struct {
	Reference string     `json:"reference"`
	Service   string     `json:"service"`
	Status    string     `json:"status"`
	StartedAt time.Time  `json:"started_at"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
}

// searchCases finds cases by reference, postcode, email address or name
// (q); only a client with every queue may.
func (h *API) searchCases(c *gin.Context) {
	if !client(c).All {
		forbidden(c, "Only a client with every queue may search cases")
		return
	}
	q := strings.TrimSpace(c.Query("q"))
	if q == "" || len(q) > 200 {
		web.Problem(c, http.StatusBadRequest, "q must be a reference, postcode, email address or name of at most 200 characters", nil)
		return
	}
	found, err := h.Cases.Search(c, cases.SearchQuery{Text: q})
	if err != nil {
		h.unavailable(c, err)
		return
	}
	out := make([]foundCaseJSON, 0, len(found))
	for _, s := range found {
		out = append(out, foundCaseJSON{Reference: s.Reference, Service: s.Service, Status: s.Status, StartedAt: s.StartedAt, ClosedAt: s.ClosedAt})
	}
	c.JSON(http.StatusOK, gin.H{"cases": out})
}
