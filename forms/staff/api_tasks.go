package staff

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// apiPerPage is how many tasks or incidents a page of the API lists,
// unless per_page asks for fewer; apiMaxPerPage the most it may ask for.
const (
	apiPerPage    = 25
	apiMaxPerPage = 100
)

// taskList is GET /tasks and GET /incidents: one page of open work.
type taskList struct {
	Items []inbox.Entry `json:"items"`
	// Total is how many match; Pages how many pages of PerPage they fill.
	Total   int `json:"total"`
	Page    int `json:"page"`
	Pages   int `json:"pages"`
	PerPage int `json:"per_page"`
}

// listTasks lists the open tasks of the client's queues, soonest due
// first, with the inbox's filters: queue, service, status (overdue,
// due-today), assignee (a username or "unassigned"), page and per_page.
func (h *API) listTasks(c *gin.Context) {
	cl := client(c)
	page, perPage, ok := pageOf(c)
	if !ok {
		return
	}
	if !namesFit(c, "queue", "service", "assignee") {
		return
	}
	f := inbox.Filter{Service: c.Query("service"), Status: c.Query("status"), Page: page, PerPage: perPage}
	switch f.Status {
	case "", inbox.StatusOverdue, inbox.StatusDueToday:
	default:
		web.Problem(c, http.StatusBadRequest, "status must be overdue or due-today", nil)
		return
	}
	switch a := c.Query("assignee"); a {
	case "", "anyone":
	case "unassigned":
		f.Assignee = inbox.Unassigned
	default:
		f.Assignee = a
	}
	if q := c.Query("queue"); q != "" {
		if !cl.MayWork(q) {
			forbidden(c, "This client may not work the queue "+q)
			return
		}
		f.Queues = []string{q}
	} else {
		f.Queues = h.queuesOf(cl)
	}
	if h.Inbox == nil {
		h.unavailable(c, errors.New("staff API: no inbox index"))
		return
	}
	list := taskList{Items: []inbox.Entry{}, Page: page, Pages: 1, PerPage: perPage}
	if len(f.Queues) > 0 {
		f.Now, f.EndOfDay = h.today()
		p, err := h.Inbox.Tasks(c, f)
		if err != nil {
			h.unavailable(c, err)
			return
		}
		list = listOf(p, perPage)
	}
	c.JSON(http.StatusOK, list)
}

// listOf is a page of the index as the API lists it.
func listOf(p inbox.Page, perPage int) taskList {
	items := p.Entries
	if items == nil {
		items = []inbox.Entry{}
	}
	return taskList{Items: items, Total: p.Total, Page: p.Page, Pages: max(p.Pages, 1), PerPage: perPage}
}

// maxFilter bounds a queue, service or assignee a listing is filtered by.
const maxFilter = 100

// namesFit answers 400 unless each of the query parameters is short
// enough to be a queue, service or username.
func namesFit(c *gin.Context, params ...string) bool {
	for _, p := range params {
		if len(c.Query(p)) > maxFilter {
			web.Problem(c, http.StatusBadRequest, p+" is too long to name anything", nil)
			return false
		}
	}
	return true
}

// pageOf reads page and per_page; on false it has answered 400.
func pageOf(c *gin.Context) (page, perPage int, ok bool) {
	page, perPage = 1, apiPerPage
	if s := c.Query("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			web.Problem(c, http.StatusBadRequest, "page must be a whole number from 1", nil)
			return 0, 0, false
		}
		page = n
	}
	if s := c.Query("per_page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > apiMaxPerPage {
			web.Problem(c, http.StatusBadRequest, "per_page must be a whole number from 1 to 100", nil)
			return 0, 0, false
		}
		perPage = n
	}
	return page, perPage, true
}

// queuesOf are the queues a client lists: its own, or with every queue,
// every queue a service has.
func (h *API) queuesOf(cl access.Client) []string {
	queues := slices.Clone(cl.Queues)
	if cl.All {
		for _, r := range h.Recipes {
			queues = append(queues, recipeQueues(r)...)
		}
	}
	slices.Sort(queues)
	return slices.Compact(queues)
}

// today is now and the end of today in the UK.
func (h *API) today() (now, endOfDay time.Time) {
	now = time.Now()
	if h.Now != nil {
		now = h.Now()
	}
	uk := web.UKTime(now)
	return now, time.Date(uk.Year(), uk.Month(), uk.Day()+1, 0, 0, 0, 0, uk.Location())
}

// taskFor reads the case and its task named by the route, for a client
// that works the task's queue; on false it has answered.
func (h *API) taskFor(c *gin.Context) (*workflows.Task, bool) {
	ref := c.Param("reference")
	d, err := h.Cases.Detail(c, ref)
	if err != nil {
		h.caseProblem(c, err)
		return nil, false
	}
	taskID := ref + "/" + c.Param("task")
	i := slices.IndexFunc(d.Tasks, func(t *workflows.Task) bool { return t.ID == taskID })
	if i < 0 {
		web.Problem(c, http.StatusNotFound, "This case has no such task", nil)
		return nil, false
	}
	if task := d.Tasks[i]; !client(c).MayWork(task.Queue) {
		forbidden(c, "This client may not work the queue "+task.Queue)
		return nil, false
	}
	return d.Tasks[i], true
}

// claimBody is POST /tasks/{reference}/{task}/claim and /unclaim.
type claimBody struct {
	By string `json:"by"`
}

// readBy reads who is claiming or releasing; on false it has answered.
func readBy(c *gin.Context) (string, bool) {
	var body claimBody
	if err := json.NewDecoder(c.Request.Body).Decode(&body); err != nil || strings.TrimSpace(body.By) == "" {
		web.Problem(c, http.StatusBadRequest, `The body must be JSON saying who: {"by": "username"}`, nil)
		return "", false
	}
	return strings.TrimSpace(body.By), true
}

// claim gives an unclaimed task to by; claiming one by already holds
// changes nothing, and one someone else holds is refused (409).
func (h *API) claim(c *gin.Context) {
	by, ok := readBy(c)
	if !ok {
		return
	}
	task, ok := h.taskFor(c)
	if !ok {
		return
	}
	if task.Assignee != by {
		err := h.Cases.AssignTask(c, c.Param("reference"), workflows.Assignment{TaskID: task.ID, From: "", To: by, By: by})
		if err != nil {
			h.updated(c, c.Param("reference"), "", err)
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"reference": c.Param("reference"), "task": task.ID, "assignee": by})
}

// unclaim puts a task by holds back in its queue; one held by someone
// else is refused (409).
func (h *API) unclaim(c *gin.Context) {
	by, ok := readBy(c)
	if !ok {
		return
	}
	task, ok := h.taskFor(c)
	if !ok {
		return
	}
	if err := h.Cases.AssignTask(c, c.Param("reference"), workflows.Assignment{TaskID: task.ID, From: by, To: "", By: by}); err != nil {
		h.updated(c, c.Param("reference"), "", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"reference": c.Param("reference"), "task": task.ID, "assignee": ""})
}

// completeBody is POST .../complete.
type completeBody struct {
	Outcome string         `json:"outcome"`
	Values  map[string]any `json:"values"`
	By      string         `json:"by"`
}

// completeTask completes a task of the client's queues with an outcome
// and the task's fields, checked like resident answers.
func (h *API) completeTask(c *gin.Context) {
	var body completeBody
	if err := json.NewDecoder(c.Request.Body).Decode(&body); err != nil {
		web.Problem(c, http.StatusBadRequest, "The body must be JSON with outcome, values and by", nil)
		return
	}
	task, ok := h.taskFor(c)
	if !ok {
		return
	}
	values, errs := h.Validator.Form(&recipe.Recipe{Form: recipe.Form{Pages: []recipe.Page{{Fields: task.Fields}}}}, orEmpty(body.Values))
	if len(errs) > 0 {
		web.Problem(c, http.StatusUnprocessableEntity, "Some answers need fixing", errs)
		return
	}
	ref := c.Param("reference")
	result, err := h.Cases.CompleteTask(c, ref, workflows.Completion{TaskID: task.ID, Outcome: body.Outcome, Values: values, By: body.By})
	h.updated(c, ref, result, err)
}
