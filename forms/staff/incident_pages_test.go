package staff_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/workflows"
)

// incidentListed waits until the inbox index lists (or no longer lists)
// an incident of the case.
func incidentListed(t *testing.T, o *backOffice, ref string, want bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		p, err := o.Index.Incidents(t.Context(), "", 1, 100)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(p.Entries, func(en inbox.Entry) bool { return en.Reference == ref }) == want {
			return
		}
	}
	t.Fatalf("the inbox index never had listed=%v for an incident of %s", want, ref)
}

func TestIncidentsAreForAdminsOnly(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, inc := failing(t, o)
	incidentListed(t, o, ref, true)
	at := "/staff/cases/" + ref + "/incidents/" + inc.ID
	for _, who := range []string{"pat", "sam", "robin"} {
		s := o.signIn(t, who)
		for _, path := range []string{"/staff/incidents", at} {
			if got := s.get(path); got.Status != http.StatusForbidden {
				t.Errorf("%s at %s: %d, want 403", who, path, got.Status)
			}
		}
		for _, action := range []string{"retry", "skip", "cancel"} {
			if got := s.postFrom("/staff/", at+"/"+action, url.Values{"confirm": {"yes"}}); got.Status != http.StatusForbidden {
				t.Errorf("%s posting %s: %d, want 403", who, action, got.Status)
			}
		}
		doesNotSay(t, who+"'s navigation", s.get("/staff/"), `href="/staff/incidents"`)
	}
	if d := o.detail(t, ref); d.Incidents[0].Resolution != nil || d.Status != workflows.StatusRunning {
		t.Errorf("after refusals the incident is %+v and the case %s, want it open", d.Incidents[0].Resolution, d.Status)
	}

	alex := o.signIn(t, "alex")
	got := alex.get("/staff/incidents")
	if got.Status != http.StatusOK {
		t.Fatalf("alex listing incidents: %d", got.Status)
	}
	says(t, "the incidents", got, "1 open incident", `href="/staff/cases/`+ref+`"`, "Report an abandoned vehicle", "log",
		"highways system is down", `action="`+at+`/retry"`, `href="`+at+`?back=`)
	says(t, "the notice's incidents", alex.get("/staff/incidents?service=notice"), ref)
	got = alex.get("/staff/incidents?service=booking")
	says(t, "the bookings' incidents", got, "No incidents are open for this service")
	doesNotSay(t, "the bookings' incidents", got, ref)
	if got := alex.get(at[:len(at)-len(inc.ID)] + "nope-1"); got.Status != http.StatusNotFound {
		t.Errorf("an unknown incident: %d, want 404", got.Status)
	}
	if got := alex.postFrom(at, at+"/ignore", url.Values{}); got.Status != http.StatusNotFound {
		t.Errorf("an unknown action: %d, want 404", got.Status)
	}
}

// TestIncidentRetriedFromTheList: once the system is back, the admin
// retries from the incidents list and lands back on it.
func TestIncidentRetriedFromTheList(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, inc := failing(t, o)
	incidentListed(t, o, ref, true)
	o.LOB.down.Store(false)
	alex := o.signIn(t, "alex")
	alex.get("/staff/incidents")
	at := "/staff/cases/" + ref + "/incidents/" + inc.ID
	got := alex.send(at+"/retry", url.Values{"csrf": {alex.token}, "back": {"/staff/incidents"}})
	if got.Status != http.StatusOK || got.Path != "/staff/incidents" {
		t.Fatalf("retrying: landed on %s (%d), want the incidents", got.Path, got.Status)
	}
	says(t, "after the retry", got, "The step is being tried again")
	d := o.closed(t, ref)
	if r := d.Incidents[0].Resolution; d.Status != workflows.StatusCompleted || r == nil || r.By != "alex" || r.Action != "retry" || o.LOB.vehicles.Load() != 3 {
		t.Errorf("case ended %s, resolution %+v, after %d calls; want completed by alex's retry on the third", d.Status, r, o.LOB.vehicles.Load())
	}
	says(t, "the case once retried", alex.get("/staff/cases/"+ref), "Incident resolved by Alex Morgan: retry", "Completed")
	incidentListed(t, o, ref, false)
	doesNotSay(t, "the incidents once retried", alex.get("/staff/incidents"), ref)
	got = alex.postFrom(at, at+"/retry", url.Values{})
	if got.Status != http.StatusConflict {
		t.Errorf("retrying again: %d, want 409", got.Status)
	}
	says(t, "retrying again", got, "Important", "This incident has been resolved")
	if o.LOB.vehicles.Load() != 3 {
		t.Errorf("%d calls, want no more after the second retry", o.LOB.vehicles.Load())
	}
}

// TestIncidentSkippedWithAValue: the value must be a JSON object; the
// case goes on with it; a back address off the staff pages is ignored.
func TestIncidentSkippedWithAValue(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, inc := failing(t, o)
	alex := o.signIn(t, "alex")
	at := "/staff/cases/" + ref + "/incidents/" + inc.ID
	says(t, "the incident from the list", alex.get(at+"?back=/staff/incidents"), `name="back" value="/staff/incidents"`,
		"highways system is down", "Skip the step")
	for _, bad := range []string{"HW-PHONED", `["HW-PHONED"]`, `{"id":`, "null"} {
		got := alex.postFrom(at, at+"/skip", url.Values{"value": {bad}})
		if got.Status != http.StatusUnprocessableEntity {
			t.Errorf("skipping with %s: %d, want 422", bad, got.Status)
		}
		says(t, "skipping with "+bad, got, "<title>Error: ", `href="#value"`, "Enter the value as a JSON object", "govuk-textarea--error")
	}
	if d := o.detail(t, ref); d.Incidents[0].Resolution != nil {
		t.Fatalf("a bad value resolved the incident: %+v", d.Incidents[0].Resolution)
	}
	got := alex.postFrom(at, at+"/skip", url.Values{"value": {`{"id": "HW-PHONED"}`}, "back": {"https://evil.example/staff/"}})
	if got.Status != http.StatusOK || got.Path != "/staff/cases/"+ref {
		t.Fatalf("skipping: landed on %s (%d), want the case page", got.Path, got.Status)
	}
	says(t, "after skipping", got, "The step was skipped")
	d := o.closed(t, ref)
	if log, _ := d.Steps["log"].(map[string]any); d.Status != workflows.StatusCompleted || log["id"] != "HW-PHONED" || o.LOB.vehicles.Load() != 2 {
		t.Errorf("case ended %s with log %v after %d calls, want completed with alex's value and no more calls", d.Status, d.Steps["log"], o.LOB.vehicles.Load())
	}
}

func TestIncidentCancelledThroughThePage(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, inc := failing(t, o)
	alex := o.signIn(t, "alex")
	at := "/staff/cases/" + ref + "/incidents/" + inc.ID
	got := alex.postFrom(at, at+"/cancel", url.Values{})
	if got.Status != http.StatusUnprocessableEntity {
		t.Errorf("cancelling without confirming: %d, want 422", got.Status)
	}
	says(t, "cancelling without confirming", got, `href="#confirm"`, "Confirm that you want to cancel this case")
	got = alex.postFrom(at, at+"/cancel", url.Values{"confirm": {"yes"}})
	if got.Status != http.StatusOK || got.Path != "/staff/cases/"+ref {
		t.Fatalf("cancelling: landed on %s (%d), want the case page", got.Path, got.Status)
	}
	says(t, "after cancelling", got, "The case is being cancelled")
	if d := o.closed(t, ref); d.Status != workflows.StatusCancelled || o.LOB.vehicles.Load() != 2 {
		t.Errorf("case ended %s after %d calls, want cancelled with no more calls", d.Status, o.LOB.vehicles.Load())
	}
}

func TestIncidentsListPagesOldestFirst(t *testing.T) {
	o := newBackOffice(t, withCases)
	opened := time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)
	ref := func(i int) string { return fmt.Sprintf("AV-AAAA-%04d", i) }
	for i := 1; i <= 27; i++ {
		o.put(t, inbox.Entry{ID: ref(i) + "/log-1", Kind: inbox.KindIncident, Reference: ref(i), Service: "notice",
			Step: "log", Title: "log failed", Error: fmt.Sprintf("outage number %d", i), OpenedAt: opened.Add(time.Duration(i) * time.Minute), Seq: 1})
	}
	alex := o.signIn(t, "alex")
	got := alex.get("/staff/incidents")
	says(t, "the first page", got, "27 open incidents", ref(1), ref(25), "outage number 1<", `href="?page=2"`, `rel="next"`)
	doesNotSay(t, "the first page", got, ref(26), `rel="prev"`)
	if strings.Index(got.Body, ref(1)) > strings.Index(got.Body, ref(2)) {
		t.Error("the first page does not list the oldest incident first")
	}
	got = alex.get("/staff/incidents?service=notice&page=2")
	says(t, "the second page", got, ref(26), ref(27), `href="?page=1&amp;service=notice"`, `rel="prev"`, `aria-current="page"`)
	doesNotSay(t, "the second page", got, ref(25)+"<", `rel="next"`)
}
