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
	o := newBackOffice(t, withCases)
	ref, _ := booked(t, o)
	pat := o.signIn(t, "pat")
	got := pat.get("/staff/cases/" + ref)
	if got.Status != http.StatusOK {
		t.Fatalf("pat opening %s: %d\n%s", ref, got.Status, got.Body)
	}
	says(t, "the case page", got, "<title>Case "+ref, "Book a bulky waste collection", "In progress",
		"Property reference (UPRN)", "100001000001", "Email address", "Hidden",
		`href="/staff/tasks/`+ref+`/check"`, "Confirm booking BKG-1", "waste-team",
		"Form submitted", "Called lob book")
	doesNotSay(t, "the case page", got, "sam@example.com", "[redacted]", "Cancel this case")

	if got := o.signIn(t, "robin").get("/staff/cases/" + ref); got.Status != http.StatusForbidden {
		t.Errorf("robin of the waste crew opening the waste team's case: %d, want 403", got.Status)
	}
	// A supervisor sees the answers to sensitive questions.
	got = o.signIn(t, "sam").get("/staff/cases/" + ref)
	says(t, "sam's case page", got, "sam@example.com", `href="/staff/cases/`+ref+`/cancel"`)
	doesNotSay(t, "sam's case page", got, "Hidden")
	alex := o.signIn(t, "alex")
	if got := alex.get("/staff/cases/" + ref); got.Status != http.StatusOK {
		t.Errorf("alex the admin opening the case: %d, want 200", got.Status)
	}
	// Who holds the task: its holder and supervisors are told by name.
	says(t, "nobody holding the task", got, ">Nobody<")
	if code := call(t, http.MethodPost, o.API+"/tasks/"+ref+"/check/claim", token, map[string]any{"by": "pat"}, nil); code != http.StatusOK {
		t.Fatalf("pat claiming: %d", code)
	}
	for who, want := range map[string]string{"pat": ">You<", "sam": ">Pat Jones<", "jo": ">Someone else<"} {
		says(t, who+" seeing pat hold the task", o.signIn(t, who).get("/staff/cases/"+ref), want)
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
	o := newBackOffice(t, withCases)
	ref := o.submit(t, "permit", map[string]any{"full_name": "Robin Ashworth", "email": "sam@example.com", "postcode": "LR1 1AA"})
	task := openTask(o.waitFor(t, ref, hasOpenTask))
	if code := o.postCase(t, ref, taskPath(ref, task), map[string]any{"outcome": "approve", "by": "pat"}, nil); code != http.StatusOK {
		t.Fatalf("completing the permit's task: %d", code)
	}
	o.closed(t, ref)
	got := o.signIn(t, "pat").get("/staff/cases/" + ref)
	says(t, "the timeline", got, "Completed", "Permit approved", "Form submitted", "Confirmation sent to s***@example.com",
		"Task completed by Pat Jones: Approve", "No task is open.")
	doesNotSay(t, "the timeline", got, "sam@example.com")
}

// TestStaffSeeTheRealErrorOfAFailedStep: the admin reads the highways
// system's own words on the case page, in the incident and the timeline.
func TestStaffSeeTheRealErrorOfAFailedStep(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, inc := failing(t, o)
	got := o.signIn(t, "alex").get("/staff/cases/" + ref)
	says(t, "the failed case", got, "Incidents", "highways system is down", "Paused for staff to check this step",
		`action="/staff/cases/`+ref+`/incidents/`+inc.ID+`/retry"`, `href="/staff/cases/`+ref+`/incidents/`+inc.ID+`"`)
}

// TestCancelCaseThroughThePages: a supervisor confirms before a case is
// cancelled; staff may not; a closed case says so.
func TestCancelCaseThroughThePages(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, _ := booked(t, o)
	cancel := "/staff/cases/" + ref + "/cancel"
	pat := o.signIn(t, "pat")
	doesNotSay(t, "pat's case page", pat.get("/staff/cases/"+ref), "Cancel this case")
	if got := pat.get(cancel); got.Status != http.StatusForbidden {
		t.Errorf("pat asking to cancel: %d, want 403", got.Status)
	}
	if got := pat.post(cancel, url.Values{"confirm": {"yes"}}); got.Status != http.StatusForbidden {
		t.Errorf("pat cancelling: %d, want 403", got.Status)
	}
	sam := o.signIn(t, "sam")
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
	if d := o.detail(t, ref); d.Status != workflows.StatusRunning {
		t.Fatalf("an unconfirmed cancel left the case %s", d.Status)
	}
	got = sam.post(cancel, url.Values{"confirm": {"yes"}})
	if got.Status != http.StatusOK || got.Path != "/staff/cases/"+ref {
		t.Fatalf("cancelling: landed on %s (%d), want the case page", got.Path, got.Status)
	}
	says(t, "after cancelling", got, "The case is being cancelled")
	if d := o.closed(t, ref); d.Status != workflows.StatusCancelled || !slices.Equal(o.LOB.cancellations(), []string{"BKG-1"}) {
		t.Errorf("case ended %s with bookings %v cancelled, want cancelled and BKG-1 undone", d.Status, o.LOB.cancellations())
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
	o := newBackOffice(t, withCases)
	ref := o.submit(t, "booking", map[string]any{"uprn": "100001000001", "email": "sam@example.com"})
	o.waitFor(t, ref, hasOpenTask)
	got := o.signIn(t, "alex").get("/staff/cases/" + ref)
	says(t, "the timeline", got, "lob book: ref BKG-")
}
