package staff

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// taskAt is a task as the task page found it: its case, the task and who
// is looking.
type taskAt struct {
	Case workflows.CaseDetail
	Task *workflows.Task
	User access.User
}

// open reports whether the task still takes claims, notes and outcomes.
func (t taskAt) open() bool {
	return t.Task.Completion == nil && t.Case.Status == workflows.StatusRunning
}

// heldByOther reports whether someone other than the user holds the task.
func (t taskAt) heldByOther() bool {
	return t.Task.Assignee != "" && t.Task.Assignee != t.User.Username
}

// openTask reads the case and task the route names for a user who may
// work the task's queue; on false it has answered (404, 403 or 503).
func (h *Handler) openTask(c *gin.Context) (taskAt, bool) {
	at := taskAt{User: h.session(c).User}
	ref := c.Param("reference")
	if !cases.ValidReference(ref) {
		h.notFound(c)
		return at, false
	}
	d, err := h.detailFor(c, at.User, ref)
	switch {
	case errors.Is(err, cases.ErrNoCase):
		h.notFound(c)
		return at, false
	case err != nil:
		h.unavailable(c, err)
		return at, false
	}
	at.Case = d
	id := ref + "/" + c.Param("task")
	i := slices.IndexFunc(d.Tasks, func(t *workflows.Task) bool { return t.ID == id })
	if i < 0 {
		h.notFound(c)
		return at, false
	}
	at.Task = d.Tasks[i]
	if !at.User.MayWork(at.Task.Queue) {
		h.forbidden(c)
		return at, false
	}
	return at, true
}

func (h *Handler) taskPage(c *gin.Context) {
	at, ok := h.openTask(c)
	if !ok {
		return
	}
	h.showTask(c, http.StatusOK, at, nil)
}

// noteRow is a note as the task page lists it.
type noteRow struct {
	By   string
	At   time.Time
	Text string
}

// showTask renders the task page; extra adds or overrides its data: a
// Message saying why something was not done, Errors and the values posted.
func (h *Handler) showTask(c *gin.Context, status int, at taskAt, extra map[string]any) {
	t, d, user := at.Task, at.Case, at.User
	r := recipe.Find(h.Recipes, d.Service)
	names := h.namesIn([]string{t.Queue})
	names[user.Username] = cmp.Or(user.Name, user.Username)
	name := func(username string) string { return cmp.Or(names[username], username) }
	now, endOfDay := h.today()
	overdue, today := dueMarks(t.DueAt, now, endOfDay)
	notes := make([]noteRow, 0, len(t.Notes))
	for _, n := range t.Notes {
		notes = append(notes, noteRow{By: name(n.By), At: n.At, Text: n.Text})
	}
	open := at.open()
	data := map[string]any{
		"Task":       t,
		"Link":       taskLink(d.Reference, t.ID),
		"Reference":  d.Reference,
		"Service":    cmp.Or(titleOf(r), d.Service),
		"Due":        map[string]any{"At": t.DueAt, "Overdue": overdue && open, "Today": today && open},
		"Answers":    caseAnswers(r, d.Form, user.SeesSensitive()),
		"Notes":      notes,
		"Open":       open,
		"Holder":     name(t.Assignee),
		"Mine":       t.Assignee != "" && t.Assignee == user.Username,
		"CanClaim":   open && t.Assignee == "",
		"CanRelease": open && t.Assignee != "" && (t.Assignee == user.Username || user.MayReassign()),
		"CanAssign":  open && user.MayReassign(),
		"CanDecide":  open && !at.heldByOther(),
		"Colleagues": h.colleagueChoices(t, user, name),
		"Outcomes":   t.Outcomes,
		"Fields":     outcomeFields(t.Fields, nil, nil),
	}
	if t.Completion != nil {
		data["CompletedBy"] = name(t.Completion.By)
		data["CompletedAt"] = t.Completion.At
		data["Decision"] = outcomeLabel(t, t.Completion.Outcome)
	}
	switch {
	case t.Completion != nil, open:
	default:
		data["Message"] = "This case has closed, so nothing more can be done on this task."
	}
	if open && at.heldByOther() {
		held := name(t.Assignee) + " has claimed this task, so only they can complete it."
		if user.MayReassign() {
			held += " Assign it to yourself to complete it."
		} else {
			held += " Ask a supervisor to assign it to you if you need to complete it."
		}
		data["Held"] = held
	}
	for k, v := range extra {
		data[k] = v
	}
	errs, _ := data["Errors"].([]forms.FieldError)
	for key, field := range map[string]string{"OutcomeError": "outcome", "ToError": "to", "NoteError": "note"} {
		data[key] = fieldError(errs, field)
	}
	h.render(c, status, "task", t.Title, data)
}

// notOpen shows the task to a post that came too late: completed
// meanwhile (by whom) or its case closed; nothing is sent to the case.
func (h *Handler) notOpen(c *gin.Context, at taskAt) {
	msg := "This case has closed, so nothing more can be done on this task."
	if done := at.Task.Completion; done != nil {
		by := "you"
		if done.By != at.User.Username {
			by = cmp.Or(h.namesIn([]string{at.Task.Queue})[done.By], done.By)
		}
		msg = "This task was already completed by " + by + "."
	}
	h.showTask(c, http.StatusConflict, at, map[string]any{"Message": msg})
}

func titleOf(r *recipe.Recipe) string {
	if r == nil {
		return ""
	}
	return r.Title
}

// outcomeLabel is the label of one of the task's outcomes.
func outcomeLabel(t *workflows.Task, id string) string {
	for _, o := range t.Outcomes {
		if o.ID == id {
			return o.Label
		}
	}
	return id
}

// colleagueChoices are whom a supervisor may assign the task to: the
// queue's people and themselves, the holder first chosen.
func (h *Handler) colleagueChoices(t *workflows.Task, user access.User, name func(string) string) []choice {
	var out []choice
	seen := map[string]bool{}
	add := func(username string) {
		if username != "" && !seen[username] {
			seen[username] = true
			out = append(out, choice{username, name(username)})
		}
	}
	if h.People != nil {
		for _, u := range h.People.Colleagues(t.Queue) {
			add(u.Username)
		}
	}
	add(user.Username)
	return out
}

func (h *Handler) claim(c *gin.Context) {
	at, ok := h.openTask(c)
	if !ok {
		return
	}
	h.reassign(c, at, at.User.Username, "claimed")
}

func (h *Handler) unclaim(c *gin.Context) {
	at, ok := h.openTask(c)
	if !ok {
		return
	}
	if from := c.PostForm("from"); from != at.User.Username && !at.User.MayReassign() {
		h.showTask(c, http.StatusConflict, at, map[string]any{"Message": "You can release only a task you hold."})
		return
	}
	h.reassign(c, at, "", "unclaimed")
}

func (h *Handler) assign(c *gin.Context) {
	at, ok := h.openTask(c)
	if !ok {
		return
	}
	if !at.User.MayReassign() {
		h.problem(c, http.StatusForbidden, "You cannot assign tasks", "Ask a supervisor to assign this task to a colleague.")
		return
	}
	to := c.PostForm("to")
	if !slices.ContainsFunc(h.colleagueChoices(at.Task, at.User, func(s string) string { return s }), func(ch choice) bool { return ch.Value == to }) {
		h.showTask(c, http.StatusUnprocessableEntity, at, map[string]any{
			"Errors": []forms.FieldError{{Field: "to", Message: "Select a colleague from the list"}},
		})
		return
	}
	h.reassign(c, at, to, "assigned")
}

// reassign gives the task to (empty: back to the queue) from whoever the
// page showed holding it; a refusal (someone else claimed or released it
// meanwhile, it closed) shows the task as it is now and says why.
func (h *Handler) reassign(c *gin.Context, at taskAt, to, flash string) {
	if !at.open() {
		h.notOpen(c, at)
		return
	}
	from := c.PostForm("from")
	err := h.Cases.AssignTask(c, at.Case.Reference, workflows.Assignment{TaskID: at.Task.ID, From: from, To: to, By: at.User.Username})
	if h.refused(c, at, from, err) {
		return
	}
	h.done(c, taskLink(at.Case.Reference, at.Task.ID), flash)
}

func (h *Handler) addNote(c *gin.Context) {
	at, ok := h.openTask(c)
	if !ok {
		return
	}
	if !at.open() {
		h.notOpen(c, at)
		return
	}
	text := strings.TrimSpace(c.PostForm("note"))
	var msg string
	switch n := len([]rune(text)); {
	case n == 0:
		msg = "Enter a note"
	case n > workflows.MaxNote:
		msg = "Note must be 2,000 characters or fewer"
	}
	if msg != "" {
		h.showTask(c, http.StatusUnprocessableEntity, at, map[string]any{
			"Errors": []forms.FieldError{{Field: "note", Message: msg}}, "NoteText": text,
		})
		return
	}
	err := h.Cases.AddNote(c, at.Case.Reference, workflows.TaskNote{TaskID: at.Task.ID, Text: text, By: at.User.Username})
	if h.refused(c, at, at.Task.Assignee, err) {
		return
	}
	h.done(c, taskLink(at.Case.Reference, at.Task.ID), "noted")
}

// refused answers an update the case did not take, reporting whether
// there was one: the page shows the task as it is now and why (someone
// completed, claimed or released it meanwhile, the case closed).
func (h *Handler) refused(c *gin.Context, at taskAt, from string, err error) bool {
	var refusal *cases.RefusedError
	switch {
	case err == nil:
		return false
	case errors.Is(err, cases.ErrNoCase):
		h.notFound(c)
		return true
	case !errors.As(err, &refusal):
		h.unavailable(c, err)
		return true
	}
	now, err := h.Cases.Detail(c, at.Case.Reference)
	if err != nil {
		h.unavailable(c, err)
		return true
	}
	at.Case = now
	if i := slices.IndexFunc(now.Tasks, func(t *workflows.Task) bool { return t.ID == at.Task.ID }); i >= 0 {
		at.Task = now.Tasks[i]
	}
	if !at.open() {
		h.notOpen(c, at)
		return true
	}
	msg := sentence(refusal.Reason)
	switch holder := at.Task.Assignee; {
	case holder == from:
	case holder == "":
		msg = "This task was released a moment ago: nobody holds it now."
	case holder == at.User.Username:
		msg = "You already hold this task."
	default:
		msg = cmp.Or(h.namesIn([]string{at.Task.Queue})[holder], holder) + " claimed this task a moment ago."
	}
	h.showTask(c, http.StatusConflict, at, map[string]any{"Message": msg})
	return true
}
