package staff_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestClaimAndRelease(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, path := bookingTask(t, o)
	pat, jo := o.signIn(t, "pat"), o.signIn(t, "jo")

	got := pat.post(path+"/claim", url.Values{"from": {""}})
	if got.Path != path {
		t.Errorf("claiming landed on %s, want the task", got.Path)
	}
	says(t, "after claiming", got, "You have claimed this task", "Claimed</strong> by you", "Release this task", "Complete task")
	if a := taskOf(t, o, ref, "check").Assignee; a != "pat" {
		t.Fatalf("after pat claimed, the task is held by %q", a)
	}
	// Jo sees who holds it, and cannot complete it.
	view := jo.get(path)
	says(t, "jo's view", view, "Claimed</strong> by Pat Jones", "Pat Jones has claimed this task, so only they can complete it.")
	doesNotSay(t, "jo's view", view, "Complete task</button>", "Claim this task", "Release this task", "Assign</button>")
	got = jo.post(path+"/complete", url.Values{"outcome": {"ok"}, "field-crew": {"C7"}})
	if got.Status != http.StatusConflict || taskOf(t, o, ref, "check").Completion != nil {
		t.Errorf("jo completing pat's task: %d, completion %+v; want 409 and nothing sent", got.Status, taskOf(t, o, ref, "check").Completion)
	}
	// Jo cannot release it either.
	if got := jo.post(path+"/unclaim", url.Values{"from": {"pat"}}); got.Status != http.StatusConflict {
		t.Errorf("jo releasing pat's task: %d, want 409", got.Status)
	}
	if a := taskOf(t, o, ref, "check").Assignee; a != "pat" {
		t.Errorf("after jo's attempts the task is held by %q", a)
	}

	got = pat.post(path+"/unclaim", url.Values{"from": {"pat"}})
	says(t, "after releasing", got, "You have released this task", ">Open</strong>", "Claim this task")
	if a := taskOf(t, o, ref, "check").Assignee; a != "" {
		t.Errorf("after pat released it, the task is held by %q", a)
	}
}

func TestClaimThatCameTooLateSaysWhoWasFirst(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, path := bookingTask(t, o)
	pat, jo := o.signIn(t, "pat"), o.signIn(t, "jo")
	jo.get(path) // jo sees the task unclaimed
	late := url.Values{"from": {""}, "csrf": {jo.token}}
	pat.post(path+"/claim", url.Values{"from": {""}})
	got := jo.send(path+"/claim", late)
	if got.Status != http.StatusConflict {
		t.Errorf("a claim that came too late: %d, want 409", got.Status)
	}
	says(t, "a claim that came too late", got, "Pat Jones claimed this task a moment ago.", "Claimed</strong> by Pat Jones")
	if a := taskOf(t, o, ref, "check").Assignee; a != "pat" {
		t.Errorf("the late claim took the task: held by %q", a)
	}
}

func TestSupervisorAssignsToAColleague(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, path := bookingTask(t, o)
	pat, sam := o.signIn(t, "pat"), o.signIn(t, "sam")
	doesNotSay(t, "pat's view", pat.get(path), `for="to"`)
	pat.get("/staff/")
	if got := pat.send(path+"/assign", url.Values{"from": {""}, "to": {"pat"}, "csrf": {pat.token}}); got.Status != http.StatusForbidden {
		t.Errorf("staff assigning: %d, want 403", got.Status)
	}

	view := sam.get(path)
	says(t, "sam's view", view, `<label class="govuk-label govuk-label--s" for="to">Assign to a colleague</label>`,
		`<option value="jo">Jo Bell</option>`, `<option value="pat">Pat Jones</option>`)
	doesNotSay(t, "sam's choices", view, `<option value="robin"`)
	got := sam.post(path+"/assign", url.Values{"from": {""}, "to": {"mallory"}})
	if got.Status != http.StatusUnprocessableEntity {
		t.Errorf("assigning to someone not of the queue: %d, want 422", got.Status)
	}
	says(t, "assigning to someone not of the queue", got, `<a href="#to">Select a colleague from the list</a>`)

	got = sam.post(path+"/assign", url.Values{"from": {""}, "to": {"jo"}})
	says(t, "after assigning", got, "The task has been assigned", "Claimed</strong> by Jo Bell", `<option value="jo" selected>Jo Bell</option>`)
	if a := taskOf(t, o, ref, "check").Assignee; a != "jo" {
		t.Fatalf("after sam assigned it to jo, the task is held by %q", a)
	}
	// And on to pat, then back to the queue.
	sam.post(path+"/assign", url.Values{"from": {"jo"}, "to": {"pat"}})
	if a := taskOf(t, o, ref, "check").Assignee; a != "pat" {
		t.Fatalf("after sam reassigned it to pat, the task is held by %q", a)
	}
	sam.post(path+"/unclaim", url.Values{"from": {"pat"}})
	if a := taskOf(t, o, ref, "check").Assignee; a != "" {
		t.Errorf("after sam released it, the task is held by %q", a)
	}
}

func TestNotes(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, path := bookingTask(t, o)
	pat, jo := o.signIn(t, "pat"), o.signIn(t, "jo")
	got := pat.post(path+"/note", url.Values{"note": {"   "}})
	if got.Status != http.StatusUnprocessableEntity {
		t.Errorf("an empty note: %d, want 422", got.Status)
	}
	says(t, "an empty note", got, `<a href="#note">Enter a note</a>`, `id="note-error"`)
	long := strings.Repeat("é", 2001)
	says(t, "a long note", pat.post(path+"/note", url.Values{"note": {long}}), "Note must be 2,000 characters or fewer", long)

	says(t, "after a note", pat.post(path+"/note", url.Values{"note": {"Rang the resident <b>twice</b>"}}),
		"Your note has been added", "Pat Jones", "Rang the resident &lt;b&gt;twice&lt;/b&gt;")
	jo.post(path+"/note", url.Values{"note": {"Crew C7 is free on Tuesday"}})
	view := pat.get(path)
	first, second := strings.Index(view.Body, "Rang the resident"), strings.Index(view.Body, "Crew C7 is free")
	if first < 0 || second < first || !strings.Contains(view.Body, "Jo Bell") {
		t.Errorf("notes are not listed oldest first with their writers:\n%s", view.Body)
	}
	notes := taskOf(t, o, ref, "check").Notes
	if len(notes) != 2 || notes[0].By != "pat" || notes[1].By != "jo" {
		t.Errorf("notes %+v, want pat's then jo's", notes)
	}
}

func TestOutcomeFormOfEveryKind(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref := o.submit(t, "inspection", map[string]any{"name": "Sam Resident", "phone": "01234 567890", "tree": "park"})
	path := taskURL(ref, o.waitForTask(t, ref, "inspect"))
	pat := o.signIn(t, "pat")
	view := pat.get(path)
	says(t, "the inspection task", view, "Inspect the tree for Sam Resident", "<p class=\"govuk-body\">Visit within two days.</p>",
		"<p class=\"govuk-body\">Take photographs.</p>", "In a park",
		`<textarea class="govuk-textarea" id="field-report" name="field-report"`,
		`<input class="govuk-radios__input" id="field-condition" name="field-condition" type="radio" value="good">`,
		`<input class="govuk-radios__input" id="field-condition-2" name="field-condition" type="radio" value="poor">`,
		`<select class="govuk-select" id="field-action" name="field-action">`,
		`id="field-visited-day" name="field-visited-day"`, `id="field-visited-year" name="field-visited-year"`,
		`id="field-limbs" name="field-limbs" type="text" inputmode="numeric"`)
	doesNotSay(t, "the inspection task to staff", view, "01234 567890")

	got := pat.post(path+"/complete", url.Values{"outcome": {"work"}, "field-report": {"Split limb"},
		"field-visited-day": {"31"}, "field-visited-month": {"2"}, "field-visited-year": {"2026"}, "field-limbs": {"two"}})
	says(t, "answers to fix", got, `<a href="#field-condition">Select condition</a>`,
		`<a href="#field-visited-day">Date visited must be a real date</a>`, `href="#field-limbs"`,
		`value="31"`, ">Split limb</textarea>")
	got = pat.post(path+"/complete", url.Values{"outcome": {"work"}, "field-report": {"Split limb"}, "field-condition": {"poor"},
		"field-action": {"prune"}, "field-visited-day": {"2"}, "field-visited-month": {"3"}, "field-visited-year": {"2026"}, "field-limbs": {"2"}})
	if got.Path != "/staff/" {
		t.Fatalf("completing landed on %s:\n%s", got.Path, got.Body)
	}
	c := taskOf(t, o, ref, "inspect").Completion
	if c == nil || c.Outcome != "work" || c.Values["condition"] != "poor" || c.Values["visited"] != "2026-03-02" || c.Values["limbs"] != 2.0 {
		t.Errorf("completion %+v, want the work outcome with its typed values", c)
	}
}

func TestTaskInTheInboxOfARealCase(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, path := bookingTask(t, o)
	pat := o.signIn(t, "pat")
	var got page
	for range 100 {
		if got = pat.get("/staff/"); strings.Contains(got.Body, `href="`+path+`"`) {
			break
		}
	}
	says(t, "the inbox", got, `href="`+path+`">Confirm booking BKG-1</a>`, ref)
	pat.post(path+"/complete", url.Values{"outcome": {"ok"}, "field-crew": {"C7"}})
	o.waitForTask(t, ref, "collect")
	doesNotSay(t, "the inbox after completing", pat.get("/staff/"), `href="`+path+`"`)
}

func TestTaskPagesNeverShowAnInternalError(t *testing.T) {
	o := newBackOffice(t, withWork(&brokenCases{}))
	pat := o.signIn(t, "pat")
	path := "/staff/tasks/BK-2345-6789/check"
	pages := map[string]page{"the task page": pat.get(path)}
	pat.get("/staff/")
	for _, action := range []string{"claim", "unclaim", "assign", "note", "complete"} {
		pages[action] = pat.send(path+"/"+action, url.Values{"csrf": {pat.token}, "note": {"x"}, "outcome": {"ok"}})
	}
	for what, got := range pages {
		if got.Status != http.StatusServiceUnavailable {
			t.Errorf("%s with Temporal down: %d, want 503", what, got.Status)
		}
		says(t, what, got, "Sorry, there is a problem with the service")
		doesNotSay(t, what, got, "10.9.8.7", "rpc error", "dial tcp", "connection refused")
	}
	if !strings.Contains(o.Log.String(), "10.9.8.7:7233") {
		t.Errorf("the error never reached the log:\n%s", o.Log.String())
	}
}

func TestReassignThatCameTooLateSaysTheTaskWasReleased(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, path := bookingTask(t, o)
	pat, sam := o.signIn(t, "pat"), o.signIn(t, "sam")
	pat.post(path+"/claim", url.Values{"from": {""}})
	sam.get(path) // sam sees pat holding it
	late := url.Values{"from": {"pat"}, "to": {"jo"}, "csrf": {sam.token}}
	pat.post(path+"/unclaim", url.Values{"from": {"pat"}})
	got := sam.send(path+"/assign", late)
	if got.Status != http.StatusConflict {
		t.Errorf("an assignment that came too late: %d, want 409", got.Status)
	}
	says(t, "an assignment that came too late", got, "This task was released a moment ago: nobody holds it now.")
	if a := taskOf(t, o, ref, "check").Assignee; a != "" {
		t.Errorf("the late assignment took effect: held by %q", a)
	}
}

func TestTaskOfAClosedCaseTakesNothingMore(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, path := bookingTask(t, o)
	pat := o.signIn(t, "pat")
	pat.get(path)
	stale := pat.token
	if err := o.Cases.Cancel(t.Context(), ref); err != nil {
		t.Fatal(err)
	}
	o.closed(t, ref)
	view := pat.get(path)
	says(t, "a task of a cancelled case", view, "This case has closed, so nothing more can be done on this task.", "Closed</strong>")
	doesNotSay(t, "a task of a cancelled case", view, "Complete task</button>", "Claim this task", "Add a note")
	for _, action := range []string{"claim", "note", "complete"} {
		got := pat.send(path+"/"+action, url.Values{"csrf": {stale}, "from": {""}, "note": {"late"}, "outcome": {"ok"}, "field-crew": {"C7"}})
		if got.Status != http.StatusConflict {
			t.Errorf("%s on a closed case: %d, want 409", action, got.Status)
		}
		says(t, action+" on a closed case", got, "This case has closed")
	}
	untouched(t, o, ref, "after posts on the closed case")
}
