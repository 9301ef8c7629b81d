package staff

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
)

// casePageNames are the case, search and incident pages' templates.
var casePageNames = []string{"case", "case-cancel", "incident", "search", "incidents"}

// caseRoutes adds the case, search and incident pages to the signed-in
// /staff group.
func (h *Handler) caseRoutes(g *gin.RouterGroup) {
	g.GET("/cases/:reference", h.casePage)
	g.GET("/cases/:reference/bpmn", h.caseBPMN)
	g.GET("/cases/:reference/cancel", h.cancelPage)
	g.POST("/cases/:reference/cancel", h.cancelCase)
	g.GET("/cases/:reference/incidents/:incident", h.incidentPage)
	g.POST("/cases/:reference/incidents/:incident/:action", h.resolveIncident)
	g.GET("/search", h.search)
	g.GET("/incidents", h.incidents)
}

// caseFlashes are the notifications the case, search and incident pages
// ask for after a POST that worked.
var caseFlashes = map[string]string{
	"case-cancelled":    "The case is being cancelled. Anything it booked is being undone.",
	"incident-retried":  "The step is being tried again.",
	"incident-skipped":  "The step was skipped and the case has moved on.",
	"email-resent":      "The email is being sent again.",
	"email-marked-sent": "The email is marked as sent and the case has moved on.",
	"incident-cancel":   "The case is being cancelled.",
}

// localBack is where to send the user after a POST: back, when it is a
// page of /staff on this site, otherwise fallback.
func localBack(back, fallback string) string {
	u, err := url.Parse(back)
	if err != nil || back == "" || u.Scheme != "" || u.Host != "" || u.User != nil ||
		strings.ContainsAny(back, "\\\r\n") || strings.HasPrefix(back, "//") ||
		(u.Path != "/staff" && !strings.HasPrefix(u.Path, "/staff/")) || strings.Contains(u.Path, "/../") {
		return fallback
	}
	return u.RequestURI()
}

// caseToCancel is the request's case when the user may cancel it; when
// not, the page has said why.
func (h *Handler) caseToCancel(c *gin.Context) (workflows.CaseDetail, bool) {
	d, user, ok := h.openCase(c)
	if ok && !user.MayCancelCases() {
		h.problem(c, http.StatusForbidden, "You cannot cancel cases", "Ask a supervisor to cancel this case.")
		return d, false
	}
	return d, ok
}

// cancelPage asks a supervisor to confirm cancelling a case.
func (h *Handler) cancelPage(c *gin.Context) {
	d, ok := h.caseToCancel(c)
	if !ok {
		return
	}
	h.render(c, http.StatusOK, "case-cancel", "Cancel case "+d.Reference, map[string]any{
		"Case": d, "Closed": d.Status != workflows.StatusRunning,
	})
}

// cancelError is the one question on the cancel page.
const cancelError = "Confirm that you want to cancel this case"

// cancelCase cancels a case once the supervisor has confirmed it.
func (h *Handler) cancelCase(c *gin.Context) {
	d, ok := h.caseToCancel(c)
	if !ok {
		return
	}
	data := map[string]any{"Case": d, "Closed": d.Status != workflows.StatusRunning}
	if c.PostForm("confirm") != "yes" {
		data["Errors"] = []forms.FieldError{{Field: "confirm", Message: cancelError}}
		data["ConfirmError"] = cancelError
		h.render(c, http.StatusUnprocessableEntity, "case-cancel", "Cancel case "+d.Reference, data)
		return
	}
	var refused *cases.RefusedError
	switch err := h.Cases.Cancel(c, d.Reference); {
	case errors.As(err, &refused):
		data["Closed"] = true
		data["Refused"] = refused.Reason
		h.render(c, http.StatusConflict, "case-cancel", "Cancel case "+d.Reference, data)
	case errors.Is(err, cases.ErrNoCase):
		h.problem(c, http.StatusNotFound, "Case not found", "No case has that reference.")
	case err != nil:
		h.unavailable(c, err)
	default:
		h.done(c, "/staff/cases/"+d.Reference, "case-cancelled")
	}
}
