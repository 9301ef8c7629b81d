package staff

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// incidentsPerPage is how many incidents a page of the list shows.
const incidentsPerPage = 25

// allowIncidents answers 403 unless the signed-in user may resolve incidents.
func (h *Handler) allowIncidents(c *gin.Context) bool {
	if h.session(c).User.MayResolveIncidents() {
		return true
	}
	h.problem(c, http.StatusForbidden, "You cannot see incidents", "Only administrators see and resolve incidents.")
	return false
}

// incidents lists every open incident across cases, oldest first.
func (h *Handler) incidents(c *gin.Context) {
	if !h.allowIncidents(c) {
		return
	}
	service := c.Query("service")
	if recipe.Find(h.Recipes, service) == nil {
		service = ""
	}
	page, _ := strconv.Atoi(c.Query("page"))
	page = max(page, 1)
	p, err := h.Inbox.Incidents(c, service, page, incidentsPerPage)
	if err != nil {
		h.unavailable(c, err)
		return
	}
	rows := make([]listedIncident, 0, len(p.Entries))
	for _, e := range p.Entries {
		r := recipe.Find(h.Recipes, e.Service)
		title := e.ServiceTitle
		if title == "" {
			title = caseServiceTitle(r, e.Service)
		}
		rows = append(rows, listedIncident{Entry: e, ID: strings.TrimPrefix(e.ID, e.Reference+"/"), Service: title, Step: caseStepTitle(r, e.Step)})
	}
	h.render(c, http.StatusOK, "incidents", "Incidents", map[string]any{
		"Incidents": rows, "Total": p.Total, "Services": h.Recipes, "Service": service,
		"Pagination": pagination(filterOf(service), p.Page, p.Pages),
		"Back":       c.Request.URL.RequestURI(),
	})
}

// filterOf is the incidents list's query for a service; none for all.
func filterOf(service string) url.Values {
	if service == "" {
		return url.Values{}
	}
	return url.Values{"service": {service}}
}

// listedIncident is one row of the incidents list.
type listedIncident struct {
	inbox.Entry
	// ID is the incident's id within its case.
	ID string
	// Service and Step are the service's and the step's titles.
	Service, Step string
}

// Link is the incident's own page.
func (l listedIncident) Link() string { return incidentLink(l.Reference, l.ID) }

// incidentPage shows one incident of a case with its actions.
func (h *Handler) incidentPage(c *gin.Context) {
	if !h.allowIncidents(c) {
		return
	}
	d, _, ok := h.openCase(c)
	if !ok {
		return
	}
	h.showIncident(c, http.StatusOK, d, nil)
}

// showIncident renders incident.html; extra adds errors or a refusal.
func (h *Handler) showIncident(c *gin.Context, status int, d workflows.CaseDetail, extra map[string]any) {
	var inc *workflows.Incident
	for _, i := range d.Incidents {
		if i.ID == c.Param("incident") {
			inc = i
		}
	}
	if inc == nil {
		h.problem(c, http.StatusNotFound, "Incident not found", "Case "+d.Reference+" has no such incident.")
		return
	}
	r := recipe.Find(h.Recipes, d.Service)
	data := map[string]any{
		"Case": d, "Service": caseServiceTitle(r, d.Service), "Incident": caseIncident{Reference: d.Reference, Incident: inc, Step: caseStepTitle(r, inc.Step)},
		"Running": d.Status == workflows.StatusRunning,
		"Back":    localBack(cmp.Or(c.PostForm("back"), c.Query("back")), "/staff/cases/"+d.Reference),
		"Value":   c.PostForm("value"),
	}
	for k, v := range extra {
		data[k] = v
	}
	h.render(c, status, "incident", "Incident at "+caseStepTitle(r, inc.Step)+" in "+d.Reference, data)
}

// incidentActions map the action in the address to the resolution's, and
// the notification shown once it worked; emailFlashes those of an email
// that may have gone (workflows.CodeEmailUnsure).
var (
	incidentActions = map[string]struct{ action, flash string }{
		"retry":  {workflows.ActionRetry, "incident-retried"},
		"skip":   {workflows.ActionSkip, "incident-skipped"},
		"cancel": {workflows.ActionCancel, "incident-cancel"},
	}
	emailFlashes = map[string]string{workflows.ActionRetry: "email-resent", workflows.ActionSkip: "email-marked-sent"}
)

// skipValueError asks for a value the case can use.
const skipValueError = `Enter the value as a JSON object, like {"id": "HW-123"}, or leave it empty`

// resolveIncident retries, skips with a value or cancels at an incident.
func (h *Handler) resolveIncident(c *gin.Context) {
	act, known := incidentActions[c.Param("action")]
	if !known {
		h.problem(c, http.StatusNotFound, "Page not found", "If you typed the web address, check it is correct.")
		return
	}
	if !h.allowIncidents(c) {
		return
	}
	d, user, ok := h.openCase(c)
	if !ok {
		return
	}
	res := workflows.Resolution{IncidentID: c.Param("incident"), Action: act.action, By: user.Username}
	if act.action == workflows.ActionSkip {
		value, err := skipValue(c.PostForm("value"))
		if err != nil {
			h.showIncident(c, http.StatusUnprocessableEntity, d, map[string]any{
				"Errors": []forms.FieldError{{Field: "value", Message: skipValueError}}, "ValueError": skipValueError,
			})
			return
		}
		res.Value = value
	}
	if act.action == workflows.ActionCancel && c.PostForm("confirm") != "yes" {
		h.showIncident(c, http.StatusUnprocessableEntity, d, map[string]any{
			"Errors": []forms.FieldError{{Field: "confirm", Message: cancelError}}, "ConfirmError": cancelError,
		})
		return
	}
	_, err := h.Cases.ResolveIncident(c, d.Reference, res)
	var refused *cases.RefusedError
	switch {
	case errors.As(err, &refused):
		h.showIncident(c, http.StatusConflict, d, map[string]any{"Refused": refused.Reason})
	case errors.Is(err, cases.ErrNoCase):
		h.problem(c, http.StatusNotFound, "Case not found", "No case has that reference.")
	case err != nil:
		h.unavailable(c, err)
	default:
		flash := act.flash
		if i := slices.IndexFunc(d.Incidents, func(i *workflows.Incident) bool { return i.ID == res.IncidentID }); i >= 0 && d.Incidents[i].Code == workflows.CodeEmailUnsure {
			flash = cmp.Or(emailFlashes[act.action], flash)
		}
		h.done(c, localBack(c.PostForm("back"), "/staff/cases/"+d.Reference), flash)
	}
}

// skipValue reads the value a skipped step stands in with: empty for
// none, otherwise a JSON object.
func skipValue(text string) (map[string]any, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, nil
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(text), &v); err != nil || v == nil {
		return nil, errors.New("not a JSON object")
	}
	return v, nil
}
