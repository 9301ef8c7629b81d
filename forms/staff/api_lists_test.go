package staff_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/workflows"
)

// listed is a page of GET /tasks or GET /incidents.
type listed struct {
	Items []inbox.Entry `json:"items"`
	Total int           `json:"total"`
	Page  int           `json:"page"`
	Pages int           `json:"pages"`
}

// ids are the ids of the listed entries, in order.
func (l listed) ids() []string {
	out := make([]string, 0, len(l.Items))
	for _, e := range l.Items {
		out = append(out, e.ID)
	}
	return out
}

// openWork puts tasks and an incident in the test's inbox index at noon
// (UK time) of a working day, as cases would, and stops the API's clock
// there.
func openWork(t *testing.T, o *backOffice) {
	t.Helper()
	noon := time.Date(2026, time.March, 10, 12, 0, 0, 0, time.UTC)
	o.setClock(noon)
	at := func(d time.Duration) *time.Time { when := noon.Add(d); return &when }
	for _, entry := range []inbox.Entry{
		{ID: "BK-AAAA-0001/collect", Reference: "BK-AAAA-0001", Service: "booking", Step: "collect", Queue: "waste-crew", Title: "Collect booking BKG-1", DueAt: at(-time.Hour)},
		{ID: "BK-AAAA-0002/collect", Reference: "BK-AAAA-0002", Service: "booking", Step: "collect", Queue: "waste-crew", Title: "Collect booking BKG-2", DueAt: at(2 * time.Hour), Assignee: "robin"},
		{ID: "BK-AAAA-0003/collect", Reference: "BK-AAAA-0003", Service: "booking", Step: "collect", Queue: "waste-crew", Title: "Collect booking BKG-3", DueAt: at(48 * time.Hour)},
		{ID: "SP-AAAA-0004/decide", Reference: "SP-AAAA-0004", Service: "permit", Step: "decide", Queue: "waste-team", Title: "Decide the skip permit", DueAt: at(-2 * time.Hour)},
	} {
		entry.Kind, entry.OpenedAt, entry.Seq = inbox.KindTask, noon.Add(-72*time.Hour), 1
		o.put(t, entry)
	}
	incident := inbox.Entry{ID: "AV-AAAA-0005/log-1", Kind: inbox.KindIncident, Reference: "AV-AAAA-0005", Service: "notice", Step: "log",
		Title: "log failed", Error: "highways system is down", OpenedAt: noon.Add(-time.Hour), Seq: 1}
	o.put(t, incident)
}

func TestTaskListShowsAClientItsQueuesOnly(t *testing.T) {
	o := newBackOffice(t, withCases)
	openWork(t, o)
	for _, c := range []struct {
		what, bearer, query string
		want                []string
		total               int
	}{
		{"crm's queues", crmToken, "", []string{"BK-AAAA-0001/collect", "BK-AAAA-0002/collect", "BK-AAAA-0003/collect"}, 3},
		{"crm's queue by name", crmToken, "?queue=waste-crew", []string{"BK-AAAA-0001/collect", "BK-AAAA-0002/collect", "BK-AAAA-0003/collect"}, 3},
		{"overdue", crmToken, "?status=overdue", []string{"BK-AAAA-0001/collect"}, 1},
		{"due today", crmToken, "?status=due-today", []string{"BK-AAAA-0002/collect"}, 1},
		{"unassigned", crmToken, "?assignee=unassigned", []string{"BK-AAAA-0001/collect", "BK-AAAA-0003/collect"}, 2},
		{"robin's", crmToken, "?assignee=robin", []string{"BK-AAAA-0002/collect"}, 1},
		{"another service", crmToken, "?service=permit", []string{}, 0},
		{"a page of two", crmToken, "?per_page=2", []string{"BK-AAAA-0001/collect", "BK-AAAA-0002/collect"}, 3},
		{"the second page", crmToken, "?per_page=2&page=2", []string{"BK-AAAA-0003/collect"}, 3},
		{"every queue", token, "", []string{"SP-AAAA-0004/decide", "BK-AAAA-0001/collect", "BK-AAAA-0002/collect", "BK-AAAA-0003/collect"}, 4},
		{"every queue's overdue", token, "?status=overdue", []string{"SP-AAAA-0004/decide", "BK-AAAA-0001/collect"}, 2},
		{"one service", token, "?service=permit", []string{"SP-AAAA-0004/decide"}, 1},
	} {
		var got listed
		if code := call(t, http.MethodGet, o.API+"/tasks"+c.query, c.bearer, nil, &got); code != http.StatusOK ||
			!slices.Equal(got.ids(), c.want) || got.Total != c.total {
			t.Errorf("%s: %d %v of %d, want %v of %d", c.what, code, got.ids(), got.Total, c.want, c.total)
		}
	}
	var p problem
	if code := call(t, http.MethodGet, o.API+"/tasks?queue=waste-team", crmToken, nil, &p); code != http.StatusForbidden || p.Title != "This client may not work the queue waste-team" {
		t.Errorf("crm listing another queue: %d %+v, want 403", code, p)
	}
	for _, query := range []string{"?status=soon", "?page=0", "?page=x", "?per_page=101"} {
		if code := call(t, http.MethodGet, o.API+"/tasks"+query, crmToken, nil, &p); code != http.StatusBadRequest {
			t.Errorf("tasks%s: %d %+v, want 400", query, code, p)
		}
	}
	var page listed
	call(t, http.MethodGet, o.API+"/tasks?per_page=2", crmToken, nil, &page)
	if page.Page != 1 || page.Pages != 2 {
		t.Errorf("two to a page: page %d of %d, want 1 of 2", page.Page, page.Pages)
	}
}

func TestIncidentListIsForAClientOfEveryQueue(t *testing.T) {
	o := newBackOffice(t, withCases)
	openWork(t, o)
	var p problem
	if code := call(t, http.MethodGet, o.API+"/incidents", crmToken, nil, &p); code != http.StatusForbidden {
		t.Errorf("crm listing incidents: %d %+v, want 403", code, p)
	}
	var got listed
	if code := call(t, http.MethodGet, o.API+"/incidents", token, nil, &got); code != http.StatusOK || len(got.Items) != 1 ||
		got.Items[0].Error != "highways system is down" || got.Items[0].Reference != "AV-AAAA-0005" {
		t.Errorf("incidents: %d %+v, want the highways outage", code, got)
	}
	if code := call(t, http.MethodGet, o.API+"/incidents?service=booking", token, nil, &got); code != http.StatusOK || len(got.Items) != 0 {
		t.Errorf("incidents of bookings: %d %+v, want none", code, got)
	}
	if code := call(t, http.MethodPost, o.API+"/incidents/AV-AAAA-0005/log-1/resolve", crmToken, map[string]any{"action": "retry", "by": "crm"}, &p); code != http.StatusForbidden {
		t.Errorf("crm resolving an incident: %d %+v, want 403", code, p)
	}
	if code := call(t, http.MethodGet, o.API+"/cases?q=sam@example.com", crmToken, nil, &p); code != http.StatusForbidden {
		t.Errorf("crm searching cases: %d %+v, want 403", code, p)
	}
}

// TestClientWorksOnlyItsQueuesTasks: crm works the waste crew's tasks,
// not the waste team's, on a real case.
func TestClientWorksOnlyItsQueuesTasks(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, task := booked(t, o) // the waste team's check
	var p problem
	for _, r := range []struct{ path, body string }{
		{"/tasks/" + ref + "/check/claim", `{"by":"crm"}`},
		{"/tasks/" + ref + "/check/unclaim", `{"by":"crm"}`},
		{"/tasks/" + ref + "/check/complete", `{"outcome":"ok","by":"crm","values":{"crew":"C7"}}`},
		{"/cases/" + ref + "/tasks/check/complete", `{"outcome":"ok","by":"crm","values":{"crew":"C7"}}`},
	} {
		if code := call(t, http.MethodPost, o.API+r.path, crmToken, r.body, &p); code != http.StatusForbidden || p.Title != "This client may not work the queue waste-team" {
			t.Errorf("crm at %s: %d %+v, want 403", r.path, code, p)
		}
	}
	for _, path := range []string{"/cases/" + ref + "/detail", "/cases/" + ref + "/cancel"} {
		method := http.MethodGet
		if path == "/cases/"+ref+"/cancel" {
			method = http.MethodPost
		}
		if code := call(t, method, o.API+path, crmToken, nil, &p); code != http.StatusForbidden {
			t.Errorf("crm at %s of a case with none of its tasks: %d %+v, want 403", path, code, p)
		}
	}
	if d := o.detail(t, ref); d.Status != "running" || openTask(d) == nil || openTask(d).ID != task.ID {
		t.Fatalf("after crm's refusals the case is %s with %+v, want the check still open", d.Status, openTask(d))
	}
	// The waste team's done: the crew's task opens, and crm may work it.
	if code := o.postCase(t, ref, taskPath(ref, task), map[string]any{"outcome": "ok", "by": "pat", "values": map[string]any{"crew": "C7"}}, nil); code != http.StatusOK {
		t.Fatalf("completing the check: %d", code)
	}
	d := o.waitFor(t, ref, func(d workflows.CaseDetail) bool { return openTask(d) != nil && openTask(d).Queue == "waste-crew" })
	collect := strings.TrimPrefix(openTask(d).ID, ref+"/")
	if code := call(t, http.MethodGet, o.API+"/cases/"+ref+"/detail", crmToken, nil, nil); code != http.StatusOK {
		t.Errorf("crm reading a case with a task of its queue: %d, want 200", code)
	}
	var done map[string]any
	if code := call(t, http.MethodPost, o.API+"/tasks/"+ref+"/"+collect+"/complete", crmToken, map[string]any{"outcome": "done", "by": "crm"}, &done); code != http.StatusOK || done["result"] != "done" {
		t.Fatalf("crm completing the crew's task: %d %v", code, done)
	}
	if d := o.closed(t, ref); d.Status != workflows.StatusCompleted || d.Outcome != "Collection booked" {
		t.Errorf("case ended %s %q, want the collection booked", d.Status, d.Outcome)
	}
}
