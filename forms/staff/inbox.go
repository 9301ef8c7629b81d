package staff

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows/recipe"
)

// perPage is how many tasks an inbox page lists.
const perPage = 25

// Assignee filters of the inbox.
const (
	assigneeMe         = "me"
	assigneeUnassigned = "unassigned"
	assigneeAnyone     = "anyone"
)

// inboxFilters are the inbox's GET form, each checked against what the
// user may choose.
type inboxFilters struct {
	Queue, Service, Status, Assignee string
	Page                             int
}

// choice is one option of a filter's select.
type choice struct{ Value, Label string }

// inboxRow is one task in the inbox.
type inboxRow struct {
	Title, Link, Reference, Service, Queue string
	DueAt                                  *time.Time
	Overdue, Today, Escalated              bool
	// Holder says who holds the task: a name to a supervisor,
	// "You" for the user's own; empty when nobody does.
	Holder string
}

// queueRow is a queue's counts.
type queueRow struct {
	Queue string
	inbox.QueueCount
}

func (h *Handler) inbox(c *gin.Context) {
	user := h.session(c).User
	queues := h.queuesOf(user)
	f := h.readFilters(c, queues)
	now, endOfDay := h.today()
	filter := inbox.Filter{Queues: queues, Service: f.Service, Status: f.Status, Now: now, EndOfDay: endOfDay, Page: f.Page, PerPage: perPage}
	if f.Queue != "" {
		filter.Queues = []string{f.Queue}
	}
	var page inbox.Page
	var err error
	switch {
	case len(filter.Queues) == 0:
		page = inbox.Page{Page: 1, Pages: 1}
	case f.Assignee == assigneeMe:
		filter.Assignee = user.Username
		page, err = h.Inbox.Tasks(c, filter)
	case f.Assignee == assigneeUnassigned:
		filter.Assignee = inbox.Unassigned
		page, err = h.Inbox.Tasks(c, filter)
	case user.MayReassign():
		page, err = h.Inbox.Tasks(c, filter)
	default:
		// Staff see what nobody holds and what they hold, not what
		// colleagues hold.
		page, err = h.mergedTasks(c, filter, user.Username, inbox.Unassigned)
	}
	if err != nil {
		h.unavailable(c, err)
		return
	}
	counts, err := h.queueCounts(c, queues, now, endOfDay)
	if err != nil {
		h.unavailable(c, err)
		return
	}
	names := h.namesIn(queues)
	rows := make([]inboxRow, 0, len(page.Entries))
	for _, e := range page.Entries {
		rows = append(rows, h.inboxRow(e, user, names, now, endOfDay))
	}
	h.render(c, http.StatusOK, "inbox", "Inbox", map[string]any{
		"Tasks": rows, "Total": page.Total, "Counts": counts, "Filters": f,
		"Queues": h.queueChoices(queues), "Services": h.serviceChoices(), "Statuses": statusChoices,
		"Assignees":  assigneeChoices(user),
		"ShowHolder": user.MayReassign(),
		"Pagination": pagination(c.Request.URL.Query(), max(page.Page, f.Page), page.Pages),
	})
}

// readFilters reads the inbox's filters from the query, dropping any the
// user may not choose.
func (h *Handler) readFilters(c *gin.Context, queues []string) inboxFilters {
	f := inboxFilters{Assignee: assigneeAnyone, Page: 1}
	if q := c.Query("queue"); slices.Contains(queues, q) {
		f.Queue = q
	}
	if s := c.Query("service"); recipe.Find(h.Recipes, s) != nil {
		f.Service = s
	}
	if s := c.Query("status"); s == inbox.StatusOverdue || s == inbox.StatusDueToday {
		f.Status = s
	}
	if a := c.Query("assignee"); a == assigneeMe || a == assigneeUnassigned {
		f.Assignee = a
	}
	if p, err := strconv.Atoi(c.Query("page")); err == nil && p > 1 && p <= 10000 {
		f.Page = p
	}
	return f
}

// mergedTasks is one page of the tasks held by any of assignees, by due
// date: the index lists one assignee at a time, so each list is read as
// far as the page reaches and the lists are merged.
func (h *Handler) mergedTasks(ctx context.Context, f inbox.Filter, assignees ...string) (inbox.Page, error) {
	reach := f.Page * f.PerPage
	var all []inbox.Entry
	total := 0
	for _, a := range assignees {
		g := f
		g.Assignee = a
		for g.Page = 1; ; g.Page++ {
			p, err := h.Inbox.Tasks(ctx, g)
			if err != nil {
				return inbox.Page{}, err
			}
			if g.Page == 1 {
				total += p.Total
			}
			all = append(all, p.Entries...)
			if len(p.Entries) == 0 || g.Page >= p.Pages || g.Page*g.PerPage >= reach {
				break
			}
		}
	}
	slices.SortStableFunc(all, byDue)
	from, to := min((f.Page-1)*f.PerPage, len(all)), min(reach, len(all))
	return inbox.Page{Entries: all[from:to], Total: total, Page: f.Page, Pages: max(1, (total+f.PerPage-1)/f.PerPage)}, nil
}

// byDue orders tasks as the index does: soonest due first, those with no
// due date last.
func byDue(a, b inbox.Entry) int {
	switch {
	case a.DueAt == nil && b.DueAt == nil:
		return strings.Compare(a.ID, b.ID)
	case a.DueAt == nil:
		return 1
	case b.DueAt == nil:
		return -1
	}
	return cmp.Or(a.DueAt.Compare(*b.DueAt), strings.Compare(a.ID, b.ID))
}

func (h *Handler) queueCounts(ctx context.Context, queues []string, now, endOfDay time.Time) ([]queueRow, error) {
	if len(queues) == 0 {
		return nil, nil
	}
	counts, err := h.Inbox.Counts(ctx, queues, now, endOfDay)
	if err != nil {
		return nil, err
	}
	rows := make([]queueRow, 0, len(queues))
	for _, q := range queues {
		rows = append(rows, queueRow{Queue: q, QueueCount: counts[q]})
	}
	return rows, nil
}

func (h *Handler) inboxRow(e inbox.Entry, user access.User, names map[string]string, now, endOfDay time.Time) inboxRow {
	row := inboxRow{
		Title: e.Title, Link: taskLink(e.Reference, e.ID), Reference: e.Reference,
		Service: e.ServiceTitle, Queue: e.Queue, DueAt: e.DueAt, Escalated: e.Escalated,
	}
	if row.Service == "" {
		row.Service = h.serviceTitle(e.Service)
	}
	row.Overdue, row.Today = dueMarks(e.DueAt, now, endOfDay)
	switch {
	case e.Assignee == "":
	case e.Assignee == user.Username:
		row.Holder = "You"
	case user.MayReassign():
		row.Holder = cmp.Or(names[e.Assignee], e.Assignee)
	}
	return row
}

// dueMarks says whether a due date has passed, or falls before the end
// of today.
func dueMarks(due *time.Time, now, endOfDay time.Time) (overdue, today bool) {
	if due == nil {
		return false, false
	}
	overdue = due.Before(now)
	return overdue, !overdue && due.Before(endOfDay)
}

// taskLink is a task's page.
func taskLink(ref, id string) string {
	return "/staff/tasks/" + ref + "/" + strings.TrimPrefix(id, ref+"/")
}

// today is now and the end of today (midnight to come) in the council's
// time.
func (h *Handler) today() (now, endOfDay time.Time) {
	now = h.now()
	uk := web.UKTime(now)
	return now, time.Date(uk.Year(), uk.Month(), uk.Day()+1, 0, 0, 0, 0, uk.Location())
}

// queuesOf are the queues a user works: their own, or for an admin every
// queue a service has.
func (h *Handler) queuesOf(user access.User) []string {
	queues := slices.Clone(user.Queues)
	if user.Role == access.RoleAdmin {
		for _, r := range h.Recipes {
			queues = append(queues, recipeQueues(r)...)
		}
		slices.Sort(queues)
		queues = slices.Compact(queues)
	}
	return queues
}

// recipeQueues are the queues a recipe's tasks open or escalate in.
func recipeQueues(r *recipe.Recipe) []string {
	var out []string
	for _, s := range r.AllSteps() {
		if s.Task != nil {
			out = append(out, s.Task.Queue)
			if e := s.Task.Escalate; e != nil && e.Queue != "" {
				out = append(out, e.Queue)
			}
		}
	}
	for _, sub := range r.Subrecipes {
		out = append(out, recipeQueues(sub)...)
	}
	return out
}

// namesIn maps the usernames of the queues' people to their names.
func (h *Handler) namesIn(queues []string) map[string]string {
	names := map[string]string{}
	if h.People == nil {
		return names
	}
	for _, q := range queues {
		for _, u := range h.People.Colleagues(q) {
			if u.Name != "" {
				names[u.Username] = u.Name
			}
		}
	}
	return names
}

func (h *Handler) serviceTitle(id string) string {
	if r := recipe.Find(h.Recipes, id); r != nil {
		return r.Title
	}
	return id
}

func (h *Handler) queueChoices(queues []string) []choice {
	out := []choice{{"", "All your queues"}}
	for _, q := range queues {
		out = append(out, choice{q, q})
	}
	return out
}

func (h *Handler) serviceChoices() []choice {
	out := []choice{{"", "All services"}}
	for _, r := range h.Recipes {
		out = append(out, choice{r.ID, r.Title})
	}
	return out
}

var statusChoices = []choice{{"", "Any"}, {inbox.StatusOverdue, "Overdue"}, {inbox.StatusDueToday, "Due today"}}

func assigneeChoices(user access.User) []choice {
	anyone := "You or unassigned"
	if user.MayReassign() {
		anyone = "Anyone"
	}
	return []choice{{assigneeAnyone, anyone}, {assigneeMe, "You"}, {assigneeUnassigned, "Unassigned"}}
}

// pageLink is one link of the pagination.
type pageLink struct {
	Number  int
	Href    string
	Current bool
	// Gap is an ellipsis between numbers.
	Gap bool
}

// pager is the GOV.UK pagination of a listing.
type pager struct {
	Prev, Next string
	Links      []pageLink
}

// pagination links the pages around current, keeping the query's filters;
// nil when everything fits on one page.
func pagination(q url.Values, current, pages int) *pager {
	if pages <= 1 {
		return nil
	}
	href := func(n int) string {
		v := url.Values{}
		for k, vals := range q {
			v[k] = vals
		}
		v.Set("page", strconv.Itoa(n))
		return "?" + v.Encode()
	}
	p := &pager{}
	if current > 1 {
		p.Prev = href(min(current-1, pages))
	}
	if current < pages {
		p.Next = href(current + 1)
	}
	last := 0
	for n := 1; n <= pages; n++ {
		if n != 1 && n != pages && (n < current-1 || n > current+1) {
			continue
		}
		if last != 0 && n > last+1 {
			p.Links = append(p.Links, pageLink{Gap: true})
		}
		p.Links = append(p.Links, pageLink{Number: n, Href: href(n), Current: n == current})
		last = n
	}
	return p
}
