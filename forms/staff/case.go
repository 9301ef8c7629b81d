package staff

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// caseStatusWords say a case's status as staff read it.
var caseStatusWords = map[string]string{
	workflows.StatusRunning:   "In progress",
	workflows.StatusCompleted: "Completed",
	workflows.StatusFailed:    "Failed",
	workflows.StatusCancelled: "Cancelled",
}

// caseStatusText is a case's status in words.
func caseStatusText(status string) string {
	if s, ok := caseStatusWords[strings.ToLower(status)]; ok {
		return s
	}
	if status == "" {
		return "Unknown"
	}
	return strings.ToUpper(status[:1]) + strings.ToLower(status[1:])
}

// mayOpenCase reports whether the user may see the case: an admin, or
// someone who works the queue of one of its tasks.
func mayOpenCase(u access.User, d workflows.CaseDetail) bool {
	if u.Role == access.RoleAdmin {
		return true
	}
	return slices.ContainsFunc(d.Tasks, func(t *workflows.Task) bool { return u.MayWork(t.Queue) })
}

// openCase reads the case named by the route for the signed-in user; on
// false it has answered (404, 403 or 503).
func (h *Handler) openCase(c *gin.Context) (workflows.CaseDetail, access.User, bool) {
	user := h.session(c).User
	d, err := h.detailFor(c, user, c.Param("reference"))
	switch {
	case errors.Is(err, cases.ErrNoCase):
		h.problem(c, http.StatusNotFound, "Case not found", "No case has that reference. Check it and search again.")
		return d, user, false
	case err != nil:
		h.unavailable(c, err)
		return d, user, false
	case !mayOpenCase(user, d):
		h.problem(c, http.StatusForbidden, "You cannot open this case", "This case has no task in your team's queues.")
		return d, user, false
	}
	return d, user, true
}

// casePage shows a case to staff who work one of its queues.
func (h *Handler) casePage(c *gin.Context) {
	d, user, ok := h.openCase(c)
	if !ok {
		return
	}
	h.render(c, http.StatusOK, "case", "Case "+d.Reference, h.caseData(c, d, user))
}

// caseData is what case.html shows of a case to a user.
func (h *Handler) caseData(c *gin.Context, d workflows.CaseDetail, user access.User) map[string]any {
	r := recipe.Find(h.Recipes, d.Service)
	name := h.nameOf(d)
	var open []caseTask
	for _, t := range d.Tasks {
		if t.Completion == nil {
			open = append(open, caseTaskOf(d.Reference, t, holder(user, t.Assignee, name)))
		}
	}
	var incidents []caseIncident
	for _, inc := range d.Incidents {
		incidents = append(incidents, caseIncident{Reference: d.Reference, Incident: inc, Step: caseStepTitle(r, inc.Step)})
	}
	steps := make([]string, 0, len(d.CurrentSteps))
	for _, s := range d.CurrentSteps {
		steps = append(steps, caseStepTitle(r, s))
	}
	return map[string]any{
		"Case":         d,
		"Service":      caseServiceTitle(r, d.Service),
		"Status":       caseStatusText(d.Status),
		"Running":      d.Status == workflows.StatusRunning,
		"Submitted":    submittedAt(d.Timeline),
		"Answers":      caseAnswers(r, d.Form, user.SeesSensitive()),
		"CurrentSteps": steps,
		"Tasks":        open,
		"Waiting":      caseWaits(r, d.Waiting),
		"Incidents":    incidents,
		"Timeline":     caseTimeline(d.Timeline, name),
		"Process":      h.process(c, d),
		"MayResolve":   user.MayResolveIncidents(),
		"MayCancel":    user.MayCancelCases() && d.Status == workflows.StatusRunning,
		"Back":         c.Request.URL.Path,
	}
}

// caseTask is an open task on the case page.
type caseTask struct {
	Title, Queue, Link string
	// Holder says who holds the task (see holder).
	Holder string
	// Due is when the task is due; zero when it has no due date.
	Due       time.Time
	Escalated bool
}

// caseTaskOf is an open task of the case ref as the case page lists it.
func caseTaskOf(ref string, t *workflows.Task, holder string) caseTask {
	row := caseTask{
		Title: t.Title, Queue: t.Queue, Holder: holder, Escalated: t.Escalated,
		Link: "/staff/tasks/" + ref + "/" + strings.TrimPrefix(t.ID, ref+"/"),
	}
	if t.DueAt != nil {
		row.Due = *t.DueAt
	}
	return row
}

// holder says who holds a task as the user may know it: "Nobody", "You",
// a colleague's name to those who see who holds what, otherwise
// "Someone else".
func holder(user access.User, assignee string, name func(string) string) string {
	switch {
	case assignee == "":
		return "Nobody"
	case assignee == user.Username:
		return "You"
	case user.MayReassign():
		return name(assignee)
	}
	return "Someone else"
}

// caseWait is a wait of the case: for a message, until a time, or both.
type caseWait struct {
	Step, Message, Correlation string
	// Until is when the wait ends by itself; zero when it does not.
	Until time.Time
}

// caseWaits are the case's waits as the case page lists them.
func caseWaits(r *recipe.Recipe, ws []workflows.Waiting) []caseWait {
	rows := make([]caseWait, 0, len(ws))
	for _, w := range ws {
		row := caseWait{Step: caseStepTitle(r, w.Step), Message: w.Message, Correlation: w.Correlation}
		if w.Until != nil {
			row.Until = *w.Until
		}
		rows = append(rows, row)
	}
	return rows
}

// caseIncident is an incident on the case page.
type caseIncident struct {
	Reference string
	*workflows.Incident
	// Step is the step's title.
	Step string
}

// Link is the incident's own page, where it is skipped or cancelled.
func (i caseIncident) Link() string { return incidentLink(i.Reference, i.ID) }

// incidentLink is the page of a case's incident.
func incidentLink(ref, id string) string { return "/staff/cases/" + ref + "/incidents/" + id }

// nameOf names the staff who worked on a case, by username: from the
// directory when it looks users up, otherwise among the colleagues of the
// case's queues; the username itself when neither knows them.
func (h *Handler) nameOf(d workflows.CaseDetail) func(string) string {
	return func(username string) string {
		if dir, ok := h.People.(interface {
			User(username string) (access.User, bool)
		}); ok {
			if u, found := dir.User(username); found && u.Name != "" {
				return u.Name
			}
			return username
		}
		if h.People == nil {
			return username
		}
		seen := map[string]bool{}
		for _, t := range d.Tasks {
			if seen[t.Queue] {
				continue
			}
			seen[t.Queue] = true
			for _, u := range h.People.Colleagues(t.Queue) {
				if u.Username == username && u.Name != "" {
					return u.Name
				}
			}
		}
		return username
	}
}

// caseAnswer is one answer of the case's form.
type caseAnswer struct {
	Label, Value string
	// Hidden marks a sensitive answer the user may not see.
	Hidden bool
}

// caseAnswers are the case's answers in the form's order; sensitive ones
// are hidden unless seeSensitive (and unless the case kept them back).
func caseAnswers(r *recipe.Recipe, form map[string]any, seeSensitive bool) []caseAnswer {
	var rows []caseAnswer
	done := map[string]bool{}
	if r != nil {
		for _, f := range r.Fields() {
			v, ok := form[f.ID]
			if !ok || done[f.ID] {
				continue
			}
			done[f.ID] = true
			if f.Sensitive && (!seeSensitive || v == workflows.Redacted) {
				rows = append(rows, caseAnswer{Label: f.Label, Hidden: true})
				continue
			}
			rows = append(rows, caseAnswer{Label: f.Label, Value: caseAnswerText(f, v)})
		}
	}
	// Answers to questions the service no longer asks, by their ids.
	for _, k := range recipe.SortedKeys(form) {
		if !done[k] {
			v := form[k]
			rows = append(rows, caseAnswer{Label: k, Value: caseAnswerText(recipe.Field{}, v), Hidden: v == workflows.Redacted})
		}
	}
	return rows
}

// caseAnswerText is an answer in words: options by their labels, lists
// joined, dates in full.
func caseAnswerText(f recipe.Field, v any) string {
	label := func(s string) string {
		for _, o := range f.Options {
			if o.Value == s {
				return o.Label
			}
		}
		return s
	}
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		switch f.Type {
		case "yesno":
			return map[string]string{"yes": "Yes", "no": "No"}[v]
		case "date":
			if t, err := time.Parse("2006-01-02", v); err == nil {
				return t.Format("2 January 2006")
			}
		}
		return label(v)
	case []any:
		parts := make([]string, 0, len(v))
		for _, item := range v {
			parts = append(parts, caseAnswerText(f, item))
		}
		return strings.Join(parts, ", ")
	case bool:
		if v {
			return "Yes"
		}
		return "No"
	case map[string]any:
		parts := make([]string, 0, len(v))
		for _, k := range recipe.SortedKeys(v) {
			parts = append(parts, caseAnswerText(recipe.Field{}, v[k]))
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

// caseServiceTitle is the title of a case's service, or its id when the
// service is no longer offered.
func caseServiceTitle(r *recipe.Recipe, id string) string {
	if r != nil && r.Title != "" {
		return r.Title
	}
	return id
}

// caseStepTitle names a step of the recipe for staff: its title and id, or
// the id alone.
func caseStepTitle(r *recipe.Recipe, id string) string {
	if r != nil {
		for _, s := range r.AllSteps() {
			if s.ID == id && s.Title != "" {
				return s.Title + " (" + id + ")"
			}
		}
	}
	return id
}
