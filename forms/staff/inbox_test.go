package staff_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/activities/inbox"
)

// summer is the inbox tests' now: 10:00 on 1 July 2026 in Larchester,
// which is British Summer Time, 09:00 UTC.
var summer = time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)

// due is a time hours after the tests' now.
func due(hours float64) *time.Time {
	t := summer.Add(time.Duration(hours * float64(time.Hour)))
	return &t
}

// openTaskEntry is an open task in the index: the case ref's step in
// queue, of service, held by assignee ("" for nobody).
func openTaskEntry(ref, queue, service, assignee string, dueAt *time.Time) inbox.Entry {
	return inbox.Entry{
		ID: ref + "/check", Kind: inbox.KindTask, Reference: ref, Service: service, Step: "check",
		Queue: queue, Title: "Check " + ref, Assignee: assignee, OpenedAt: summer.Add(-72 * time.Hour), DueAt: dueAt, Seq: 1,
	}
}

// busyMorning fills the index with the tasks of the inbox tests.
func busyMorning(t *testing.T, o *backOffice) {
	o.setClock(summer)
	o.put(t,
		openTaskEntry("BK-0000-0001", "waste-team", "booking", "", due(-0.5)),   // overdue: 09:30 BST
		openTaskEntry("BK-0000-0002", "waste-team", "booking", "", due(5)),      // due today: 15:00 BST
		openTaskEntry("BK-0000-0003", "waste-team", "booking", "pat", due(30)),  // tomorrow, pat's
		openTaskEntry("BK-0000-0004", "waste-team", "booking", "jo", due(-2)),   // overdue, jo's
		openTaskEntry("TI-0000-0005", "tree-team", "inspection", "", nil),       // no due date
		openTaskEntry("BK-0000-0006", "waste-crew", "booking", "", due(-1)),     // another team's
		openTaskEntry("BK-0000-0007", "waste-team", "booking", "", due(15)),     // 01:00 tomorrow BST
		openTaskEntry("TI-0000-0008", "tree-team", "inspection", "", due(13.9)), // 23:54 today BST
	)
}

// inboxRefs are the references of the inbox's tasks, in order.
func inboxRefs(p page) []string {
	var refs []string
	for _, m := range regexp.MustCompile(`href="/staff/tasks/([A-Z]{2}-\d{4}-\d{4})/check"`).FindAllStringSubmatch(p.Body, -1) {
		refs = append(refs, m[1])
	}
	return refs
}

func wantListed(t *testing.T, what string, p page, want ...string) {
	t.Helper()
	if got := inboxRefs(p); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s lists %v, want %v", what, got, want)
	}
}

// row is the table row of the task of ref.
func row(t *testing.T, p page, ref string) string {
	t.Helper()
	i := strings.Index(p.Body, `href="/staff/tasks/`+ref+`/check"`)
	if i < 0 {
		t.Fatalf("no row for %s on %s:\n%s", ref, p.Path, p.Body)
	}
	end := strings.Index(p.Body[i:], "</tr>")
	return p.Body[i : i+end]
}

func TestInboxListsTheUsersQueuesSoonestDueFirst(t *testing.T) {
	o := newBackOffice(t)
	busyMorning(t, o)
	pat := o.signIn(t, "pat")
	got := pat.get("/staff/")
	if got.Status != http.StatusOK || got.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("inbox: %d, Cache-Control %q; want 200 never cached", got.Status, got.Header.Get("Cache-Control"))
	}
	// Pat sees the waste and tree teams' tasks nobody or she holds, not
	// jo's, not the crew's.
	wantListed(t, "pat's inbox", got, "BK-0000-0001", "BK-0000-0002", "TI-0000-0008", "BK-0000-0007", "BK-0000-0003", "TI-0000-0005")
	says(t, "pat's inbox", got, "<title>Inbox – Larchester Council</title>", "6 tasks, soonest due first")
	if r := row(t, got, "BK-0000-0001"); !strings.Contains(r, "1 Jul 2026 09:30") || !strings.Contains(r, "Overdue") {
		t.Errorf("the overdue task's row, due 09:30 BST, is %s", r)
	}
	if r := row(t, got, "BK-0000-0002"); !strings.Contains(r, "1 Jul 2026 15:00") || !strings.Contains(r, "Due today") || strings.Contains(r, "Overdue") {
		t.Errorf("the task due this afternoon: %s", r)
	}
	if r := row(t, got, "TI-0000-0008"); !strings.Contains(r, "Due today") {
		t.Errorf("a task due at 23:54 UK time is due today: %s", r)
	}
	if r := row(t, got, "BK-0000-0007"); strings.Contains(r, "Due today") || !strings.Contains(r, "2 Jul 2026 01:00") {
		t.Errorf("a task due at 01:00 tomorrow UK time (midnight UTC) is not due today: %s", r)
	}
	if r := row(t, got, "BK-0000-0003"); !strings.Contains(r, "You") || strings.Contains(r, "Overdue") {
		t.Errorf("pat's own task: %s", r)
	}
	if r := row(t, got, "TI-0000-0005"); !strings.Contains(r, "No due date") || !strings.Contains(r, "Request a tree inspection") {
		t.Errorf("the task with no due date: %s", r)
	}
	doesNotSay(t, "pat's inbox", got, "Jo Bell")
	// Counts per queue: the waste team has 5 open, 2 overdue, 1 due today.
	says(t, "the counts", got, `href="/staff/?queue=waste-team">waste-team</a></th>
          <td class="govuk-table__cell govuk-table__cell--numeric">5</td>
          <td class="govuk-table__cell govuk-table__cell--numeric">2</td>
          <td class="govuk-table__cell govuk-table__cell--numeric">1</td>`)
	doesNotSay(t, "pat's counts", got, `href="/staff/?queue=waste-crew"`)
}

func TestSupervisorSeesWhoHoldsWhat(t *testing.T) {
	o := newBackOffice(t)
	busyMorning(t, o)
	got := o.signIn(t, "sam").get("/staff/")
	wantListed(t, "sam's inbox", got, "BK-0000-0004", "BK-0000-0001", "BK-0000-0002", "TI-0000-0008", "BK-0000-0007", "BK-0000-0003", "TI-0000-0005")
	if r := row(t, got, "BK-0000-0004"); !strings.Contains(r, "Jo Bell") || !strings.Contains(r, "Overdue") {
		t.Errorf("jo's task to a supervisor: %s", r)
	}
	if r := row(t, got, "BK-0000-0003"); !strings.Contains(r, "Pat Jones") {
		t.Errorf("pat's task to a supervisor: %s", r)
	}
	says(t, "sam's inbox", got, ">Held by<", `<option value="anyone" selected>Anyone</option>`)
	// An admin works every queue of every service.
	alex := o.signIn(t, "alex").get("/staff/")
	wantListed(t, "alex's inbox", alex, "BK-0000-0004", "BK-0000-0006", "BK-0000-0001", "BK-0000-0002", "TI-0000-0008", "BK-0000-0007", "BK-0000-0003", "TI-0000-0005")
	says(t, "alex's navigation", alex, `href="/staff/incidents"`)
	doesNotSay(t, "pat's navigation", o.signIn(t, "pat").get("/staff/"), `href="/staff/incidents"`)
}

func TestInboxFilters(t *testing.T) {
	o := newBackOffice(t)
	busyMorning(t, o)
	pat, sam := o.signIn(t, "pat"), o.signIn(t, "sam")
	for _, c := range []struct {
		who   *clerk
		query string
		want  []string
	}{
		{pat, "queue=tree-team", []string{"TI-0000-0008", "TI-0000-0005"}},
		{pat, "service=inspection", []string{"TI-0000-0008", "TI-0000-0005"}},
		{pat, "status=overdue", []string{"BK-0000-0001"}},
		{pat, "status=due-today", []string{"BK-0000-0002", "TI-0000-0008"}},
		{pat, "assignee=me", []string{"BK-0000-0003"}},
		{pat, "assignee=unassigned&queue=waste-team", []string{"BK-0000-0001", "BK-0000-0002", "BK-0000-0007"}},
		{pat, "queue=waste-team&status=overdue&assignee=anyone", []string{"BK-0000-0001"}},
		// A queue she does not work is not hers to choose: her own are listed.
		{pat, "queue=waste-crew", []string{"BK-0000-0001", "BK-0000-0002", "TI-0000-0008", "BK-0000-0007", "BK-0000-0003", "TI-0000-0005"}},
		{sam, "status=overdue", []string{"BK-0000-0004", "BK-0000-0001"}},
		{sam, "assignee=me", nil},
		{sam, "queue=waste-team&service=booking&assignee=unassigned&status=due-today", []string{"BK-0000-0002"}},
	} {
		got := c.who.get("/staff/?" + c.query)
		wantListed(t, c.query, got, c.want...)
		if len(c.want) == 0 {
			says(t, c.query, got, "No tasks match these filters.")
		}
	}
	// The form shows the filters chosen, and only the user's queues.
	got := pat.get("/staff/?queue=tree-team&status=overdue&assignee=me&service=inspection")
	says(t, "the filter form", got, `<option value="tree-team" selected>tree-team</option>`, `<option value="overdue" selected>Overdue</option>`,
		`<option value="me" selected>You</option>`, `<option value="inspection" selected>Request a tree inspection</option>`,
		`<option value="anyone">You or unassigned</option>`, `<form method="get" action="/staff/"`)
	doesNotSay(t, "pat's queue choices", got, `<option value="waste-crew"`)
}

func TestInboxPages(t *testing.T) {
	o := newBackOffice(t)
	o.setClock(summer)
	var want []string
	for i := range 30 {
		ref := fmt.Sprintf("BK-1000-%04d", i)
		want = append(want, ref)
		assignee := ""
		if i%3 == 0 {
			assignee = "pat"
		}
		o.put(t, openTaskEntry(ref, "waste-team", "booking", assignee, due(float64(i))))
	}
	o.put(t, openTaskEntry("BK-9999-9999", "waste-team", "booking", "jo", due(0.5)))
	for _, who := range []string{"pat", "sam"} {
		c := o.signIn(t, who)
		first := c.get("/staff/?queue=waste-team")
		second := c.get("/staff/?queue=waste-team&page=2")
		all := append(inboxRefs(first), inboxRefs(second)...)
		if who == "sam" {
			want = append(want[:1], append([]string{"BK-9999-9999"}, want[1:]...)...)
		}
		if fmt.Sprint(all) != fmt.Sprint(want) || len(inboxRefs(first)) != 25 {
			t.Errorf("%s's two pages list %d then %d: %v, want 25 then the rest of %v", who, len(inboxRefs(first)), len(inboxRefs(second)), all, want)
		}
		says(t, who+"'s first page", first, `<nav class="govuk-pagination" aria-label="Pages of tasks">`, `rel="next"`,
			`href="?page=2&amp;queue=waste-team"`, `aria-label="Page 1" aria-current="page"`)
		doesNotSay(t, who+"'s first page", first, `rel="prev"`)
		says(t, who+"'s second page", second, `rel="prev"`, `aria-label="Page 2" aria-current="page"`)
		doesNotSay(t, who+"'s second page", second, `rel="next"`)
	}
}

func TestInboxWithoutRedisShowsNoError(t *testing.T) {
	o := newBackOffice(t)
	pat := o.signIn(t, "pat")
	o.Handler.Inbox = &inbox.Index{Redis: brokenRedis(t), Prefix: "x:"}
	got := pat.get("/staff/")
	if got.Status != http.StatusServiceUnavailable {
		t.Errorf("inbox with its index down: %d, want 503", got.Status)
	}
	says(t, "inbox with its index down", got, "Sorry, there is a problem with the service", "Try again in a few minutes.")
	doesNotSay(t, "inbox with its index down", got, "127.0.0.1", "dial", "inbox index", "redis")
	if !strings.Contains(o.Log.String(), "inbox index") {
		t.Errorf("the error never reached the log:\n%s", o.Log.String())
	}
}
