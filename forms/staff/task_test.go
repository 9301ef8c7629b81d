package staff_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows"
)

// bookingTask starts a booking and waits for its task in the waste team's
// queue, returning the case's reference and the task's page.
func bookingTask(t *testing.T, o *backOffice) (ref, path string) {
	t.Helper()
	ref, task := booked(t, o)
	return ref, taskURL(ref, task)
}

// taskOf is the case's task at step as the case holds it now.
func taskOf(t *testing.T, o *backOffice, ref, step string) *workflows.Task {
	t.Helper()
	for _, task := range o.detail(t, ref).Tasks {
		if task.Step == step {
			return task
		}
	}
	t.Fatalf("case %s has no task at %s", ref, step)
	return nil
}

// untouched fails the test unless the case's check is as it opened:
// held by nobody, with no notes and no completion.
func untouched(t *testing.T, o *backOffice, ref, after string) {
	t.Helper()
	if task := taskOf(t, o, ref, "check"); task.Completion != nil || task.Assignee != "" || len(task.Notes) != 0 {
		t.Errorf("%s the task is %+v, want it untouched", after, task)
	}
}

func TestTaskPageShowsTheTaskAndItsCase(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, path := bookingTask(t, o)
	got := o.signIn(t, "pat").get(path)
	if got.Status != http.StatusOK {
		t.Fatalf("task page: %d\n%s", got.Status, got.Body)
	}
	says(t, "the task page", got,
		"<title>Confirm booking BKG-1 – Larchester Council</title>",
		`<h1 class="govuk-heading-l">Confirm booking BKG-1</h1>`,
		`<span class="govuk-caption-l">Book a bulky waste collection</span>`,
		`<a class="govuk-link" href="/staff/cases/`+ref+`">`+ref+`</a>`,
		">Open</strong>", "waste-team", "No due date",
		"Property reference (UPRN)", "100001000001",
		"What is the outcome?", `value="ok"`, "Date agreed", `value="no"`, "Resident no longer wants it",
		`<label class="govuk-label govuk-label--s" for="field-crew">Crew</label>`,
		"Claim this task", "No notes yet.", "Add a note", `<a href="/staff/" class="govuk-back-link">Back to inbox</a>`,
	)
	// Staff do not see sensitive answers.
	says(t, "pat's view of the email answer", got, "Email address", "Hidden")
	doesNotSay(t, "pat's view", got, "sam@example.com", workflows.Redacted)
}

func TestSensitiveAnswersByRole(t *testing.T) {
	o := newBackOffice(t, withCases)
	_, path := bookingTask(t, o)
	pat := o.signIn(t, "pat").get(path)
	doesNotSay(t, "a member of staff", pat, "sam@example.com")
	says(t, "a member of staff", pat, "Hidden")
	sam := o.signIn(t, "sam").get(path)
	doesNotSay(t, "a supervisor", sam, workflows.Redacted)
	says(t, "a supervisor", sam, "sam@example.com")
}

func TestTaskOfAnotherQueueIsForbidden(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, path := bookingTask(t, o)
	robin := o.signIn(t, "robin")
	got := robin.get(path)
	if got.Status != http.StatusForbidden {
		t.Errorf("robin, of the waste crew, opening the waste team's task: %d, want 403", got.Status)
	}
	says(t, "robin's view", got, "You cannot work on this task")
	doesNotSay(t, "robin's view", got, "100001000001", "Confirm booking")
	// Every post is refused too, whatever it carries: robin's own page
	// gives a valid CSRF token for them.
	robin.get("/staff/")
	for action, values := range map[string]url.Values{
		"claim":    {"from": {""}},
		"unclaim":  {"from": {"robin"}},
		"assign":   {"from": {""}, "to": {"robin"}},
		"note":     {"note": {"I was here"}},
		"complete": {"outcome": {"ok"}, "field-crew": {"C7"}},
	} {
		values.Set("csrf", robin.token)
		if got := robin.send(path+"/"+action, values); got.Status != http.StatusForbidden {
			t.Errorf("robin posting %s: %d, want 403", action, got.Status)
		}
	}
	untouched(t, o, ref, "after robin's posts")
}

func TestTaskThatDoesNotExistIsNotFound(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, _ := bookingTask(t, o)
	pat := o.signIn(t, "pat")
	for _, path := range []string{
		"/staff/tasks/" + ref + "/nope",
		"/staff/tasks/BK-2222-3333/check",
		"/staff/tasks/not-a-reference/check",
	} {
		got := pat.get(path)
		if got.Status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, got.Status)
		}
		says(t, path, got, "Page not found")
	}
}

func TestForgedTaskPostsAreRefused(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, path := bookingTask(t, o)
	pat := o.signIn(t, "pat")
	other := o.signIn(t, "jo")
	other.get("/staff/")
	for name, token := range map[string]string{"no token": "", "a made-up token": "bm90LWEtdG9rZW4", "another session's token": other.token} {
		for _, action := range []string{"claim", "note", "complete"} {
			got := pat.send(path+"/"+action, url.Values{"csrf": {token}, "from": {""}, "note": {"forged"}, "outcome": {"ok"}, "field-crew": {"C7"}})
			if got.Status != http.StatusForbidden {
				t.Errorf("%s on %s: %d, want 403", name, action, got.Status)
			}
			says(t, name+" on "+action, got, "This form has expired")
		}
	}
	untouched(t, o, ref, "after forged posts")
}

func TestCompleteChecksTheOutcomeForm(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, path := bookingTask(t, o)
	pat := o.signIn(t, "pat")
	got := pat.post(path+"/complete", url.Values{"field-crew": {""}})
	if got.Status != http.StatusUnprocessableEntity {
		t.Errorf("an empty outcome form: %d, want 422", got.Status)
	}
	says(t, "an empty outcome form", got, "<title>Error: Confirm booking BKG-1", "There is a problem",
		`<a href="#outcome">Select an outcome</a>`, `<a href="#field-crew">Enter crew</a>`,
		`<p id="outcome-error" class="govuk-error-message">`, `<p id="field-crew-error" class="govuk-error-message">`)
	got = pat.post(path+"/complete", url.Values{"outcome": {"ok"}, "field-crew": {"C7-NIGHT"}})
	says(t, "a crew too long", got, `href="#field-crew"`, `value="C7-NIGHT"`, `value="ok" checked`)
	doesNotSay(t, "a crew too long", got, "Select an outcome")
	got = pat.post(path+"/complete", url.Values{"outcome": {"maybe"}, "field-crew": {"C7"}})
	says(t, "an outcome not offered", got, "Select an outcome", `value="C7"`)
	if task := taskOf(t, o, ref, "check"); task.Completion != nil {
		t.Fatalf("a form with answers to fix completed the task: %+v", task.Completion)
	}

	got = pat.post(path+"/complete", url.Values{"outcome": {"ok"}, "field-crew": {" C7 "}})
	if got.Path != "/staff/" {
		t.Errorf("completing landed on %s, want the inbox", got.Path)
	}
	says(t, "after completing", got, "Task completed")
	if c := taskOf(t, o, ref, "check").Completion; c == nil || c.By != "pat" || c.Outcome != "ok" || c.Values["crew"] != "C7" {
		t.Errorf("completion %+v, want pat's, crew C7", c)
	}
	// The banner shows once.
	doesNotSay(t, "the inbox again", pat.get("/staff/"), "Task completed")
	says(t, "the task after", pat.get(path), "Completed</strong> by Pat Jones", "Date agreed")
}

func TestSecondCompletionIsRefusedClearly(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, path := bookingTask(t, o)
	pat, jo := o.signIn(t, "pat"), o.signIn(t, "jo")
	jo.get(path) // jo has the page open with the outcome form
	stale := url.Values{"outcome": {"no"}, "field-crew": {"C9"}, "csrf": {jo.token}}
	if got := pat.post(path+"/complete", url.Values{"outcome": {"ok"}, "field-crew": {"C7"}}); got.Path != "/staff/" {
		t.Fatalf("pat completing landed on %s", got.Path)
	}
	got := jo.send(path+"/complete", stale)
	if got.Status != http.StatusConflict {
		t.Errorf("a second completion: %d, want 409", got.Status)
	}
	says(t, "a second completion", got, "This task was already completed by Pat Jones")
	doesNotSay(t, "a second completion", got, "Complete task</button>")
	o.waitForTask(t, ref, "collect")
	decided := 0
	for _, ev := range o.detail(t, ref).Timeline {
		if strings.HasPrefix(ev.Note, "Decided") {
			decided++
		}
	}
	if c := taskOf(t, o, ref, "check").Completion; decided != 1 || c.By != "pat" || c.Outcome != "ok" {
		t.Errorf("%d decisions, completion %+v; want pat's one", decided, c)
	}
}

// TestReloadingAPostedTaskPageLeadsBackToTheTask: a page shown with errors
// sits at the post's address; opening that address again finds the task.
func TestReloadingAPostedTaskPageLeadsBackToTheTask(t *testing.T) {
	o := newBackOffice(t, withCases)
	_, path := bookingTask(t, o)
	sam := o.signIn(t, "sam")
	for _, action := range []string{"complete", "note", "claim"} {
		if got := sam.get(path + "/" + action); got.Status != http.StatusOK || got.Path != path {
			t.Errorf("GET %s/%s: %d at %s, want the task page at %s", path, action, got.Status, got.Path, path)
		}
	}
}
