package staff_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/larder-council/larder/workflows"
)

// TestCasePageShowsTheCaseToItsQueue: the waste team opens its case with
// its answers, open task and history; another team may not; no case is
// not found.
func TestCasePageShowsTheCaseToItsQueue(t *testing.T) {
	e := start(t)
	ref, _ := booked(t, e)
	pat := e.signIn(t, "pat")
	got := pat.get("/staff/cases/" + ref)
	if got.Status != http.StatusOK {
		t.Fatalf("pat opening %s: %d\n%s", ref, got.Status, got.Body)
	}
	says(t, "the case page", got, "<title>Case "+ref, "Book a bulky waste collection", "In progress",
		"Property reference (UPRN)", "100001000001", "Email address", "Hidden",
		`href="/staff/tasks/`+ref+`/check"`, "Confirm booking BKG-1", "waste-team",
		"Form submitted", "Called lob book")
	doesNotSay(t, "the case page", got, "sam@example.com", "[redacted]", "Cancel this case")

	if got := e.signIn(t, "robin").get("/staff/cases/" + ref); got.Status != http.StatusForbidden {
		t.Errorf("robin of the waste crew opening the waste team's case: %d, want 403", got.Status)
	}
	// A supervisor sees the answers to sensitive questions.
	got = e.signIn(t, "sam").get("/staff/cases/" + ref)
	says(t, "sam's case page", got, "sam@example.com", `href="/staff/cases/`+ref+`/cancel"`)
	doesNotSay(t, "sam's case page", got, "Hidden")
	alex := e.signIn(t, "alex")
	if got := alex.get("/staff/cases/" + ref); got.Status != http.StatusOK {
		t.Errorf("alex the admin opening the case: %d, want 200", got.Status)
	}
	// Who holds the task: its holder and supervisors are told by name.
	says(t, "nobody holding the task", got, ">Nobody<")
	if code := call(t, http.MethodPost, e.base+"/tasks/"+ref+"/check/claim", token, map[string]any{"by": "pat"}, nil); code != http.StatusOK {
		t.Fatalf("pat claiming: %d", code)
	}
	for who, want := range map[string]string{"pat": ">You<", "sam": ">Pat Jones<", "jo": ">Someone else<"} {
		says(t, who+" seeing pat hold the task", e.signIn(t, who).get("/staff/cases/"+ref), want)
	}
	for _, missing := range []string{"BK-2345-6789", "not-a-reference"} {
		got := alex.get("/staff/cases/" + missing)
		if got.Status != http.StatusNotFound {
			t.Errorf("opening %s: %d, want 404", missing, got.Status)
		}
		says(t, "no case", got, "Case not found")
	}
}

// TestCaseTimelineSaysWhatHappenedInWords: staff read "Form submitted",
// whom the email went to (masked) and who completed the task.
func TestCaseTimelineSaysWhatHappenedInWords(t *testing.T) {
	e := start(t)
	ref := e.submit(t, "permit", map[string]any{"full_name": "Robin Ashworth", "email": "sam@example.com", "postcode": "LR1 1AA"})
	task := openTask(e.waitFor(t, ref, hasOpenTask))
	if code := e.post(t, ref, taskPath(ref, task), map[string]any{"outcome": "approve", "by": "pat"}, nil); code != http.StatusOK {
		t.Fatalf("completing the permit's task: %d", code)
	}
	e.closed(t, ref)
	got := e.signIn(t, "pat").get("/staff/cases/" + ref)
	says(t, "the timeline", got, "Completed", "Permit approved", "Form submitted", "Confirmation sent to s***@example.com",
		"Task completed by Pat Jones: Approve", "No task is open.")
	doesNotSay(t, "the timeline", got, "sam@example.com")
}

// TestStaffSeeTheRealErrorOfAFailedStep: the admin reads the highways
// system's own words on the case page, in the incident and the timeline.
func TestStaffSeeTheRealErrorOfAFailedStep(t *testing.T) {
	e := start(t)
	ref, inc := failing(t, e)
	got := e.signIn(t, "alex").get("/staff/cases/" + ref)
	says(t, "the failed case", got, "Incidents", "highways system is down", "Paused for staff to check this step",
		`action="/staff/cases/`+ref+`/incidents/`+inc.ID+`/retry"`, `href="/staff/cases/`+ref+`/incidents/`+inc.ID+`"`)
}

// TestCancelCaseThroughThePages: a supervisor confirms before a case is
// cancelled; staff may not; a closed case says so.
func TestCancelCaseThroughThePages(t *testing.T) {
	e := start(t)
	ref, _ := booked(t, e)
	cancel := "/staff/cases/" + ref + "/cancel"
	pat := e.signIn(t, "pat")
	doesNotSay(t, "pat's case page", pat.get("/staff/cases/"+ref), "Cancel this case")
	if got := pat.get(cancel); got.Status != http.StatusForbidden {
		t.Errorf("pat asking to cancel: %d, want 403", got.Status)
	}
	if got := pat.post(cancel, url.Values{"confirm": {"yes"}}); got.Status != http.StatusForbidden {
		t.Errorf("pat cancelling: %d, want 403", got.Status)
	}
	sam := e.signIn(t, "sam")
	says(t, "sam's case page", sam.get("/staff/cases/"+ref), `href="`+cancel+`"`)
	got := sam.get(cancel)
	if got.Status != http.StatusOK {
		t.Fatalf("sam asking to cancel: %d", got.Status)
	}
	says(t, "the cancel page", got, "Are you sure you want to cancel this case?", "Yes, cancel case "+ref)
	got = sam.post(cancel, url.Values{})
	if got.Status != http.StatusUnprocessableEntity {
		t.Errorf("cancelling without confirming: %d, want 422", got.Status)
	}
	says(t, "cancelling without confirming", got, "<title>Error: Cancel case "+ref+" –", "There is a problem", `href="#confirm"`, "Confirm that you want to cancel this case")
	if d := e.detail(t, ref); d.Status != workflows.StatusRunning {
		t.Fatalf("an unconfirmed cancel left the case %s", d.Status)
	}
	got = sam.post(cancel, url.Values{"confirm": {"yes"}})
	if got.Status != http.StatusOK || got.Path != "/staff/cases/"+ref {
		t.Fatalf("cancelling: landed on %s (%d), want the case page", got.Path, got.Status)
	}
	says(t, "after cancelling", got, "The case is being cancelled")
	if d := e.closed(t, ref); d.Status != workflows.StatusCancelled || !slices.Equal(e.lob.cancellations(), []string{"BKG-1"}) {
		t.Errorf("case ended %s with bookings %v cancelled, want cancelled and BKG-1 undone", d.Status, e.lob.cancellations())
	}
	says(t, "the closed case's cancel page", sam.get(cancel), "This case has already closed")
	got = sam.post(cancel, url.Values{"confirm": {"yes"}})
	if got.Status != http.StatusConflict {
		t.Errorf("cancelling the closed case: %d, want 409", got.Status)
	}
	says(t, "cancelling the closed case", got, "This case has already closed")
}

// TestCaseTimelineNamesTheRecordACallMade: staff read which record the
// line-of-business system made; residents' timeline never carries it.
func TestCaseTimelineNamesTheRecordACallMade(t *testing.T) {
	e := start(t)
	ref := e.submit(t, "booking", map[string]any{"uprn": "100001000001", "email": "sam@example.com"})
	e.waitFor(t, ref, hasOpenTask)
	got := e.signIn(t, "alex").get("/staff/cases/" + ref)
	says(t, "the timeline", got, "lob book: ref BKG-")
}
