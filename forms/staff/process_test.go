package staff_test

import (
	"context"
	"encoding/xml"
	"maps"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// stepRow is a row of the case page's steps table: the state the diagram
// marks, and the words staff read.
var stepRow = regexp.MustCompile(`(?s)<tr class="govuk-table__row" data-step="([^"]+)" data-step-state="([^"]+)">.*?<strong class="govuk-tag[^"]*">([^<]+)</strong>`)

// processStates reads the steps table of a case page: each step's state
// and, beside it, its words.
func processStates(t *testing.T, got page) map[string]string {
	t.Helper()
	if got.Status != http.StatusOK {
		t.Fatalf("the case page: %d\n%s", got.Status, got.Body)
	}
	start := strings.Index(got.Body, `id="process-steps"`)
	if start < 0 {
		t.Fatalf("the case page has no steps table:\n%s", got.Body)
	}
	states := map[string]string{}
	for _, m := range stepRow.FindAllStringSubmatch(got.Body[start:], -1) {
		states[m[1]] = m[2] + ": " + m[3]
	}
	return states
}

// wantStates compares a case page's steps table with what staff should
// read.
func wantStates(t *testing.T, what string, got page, want map[string]string) {
	t.Helper()
	if states := processStates(t, got); !maps.Equal(states, want) {
		t.Errorf("%s: the steps table says\n  %v\nwant\n  %v", what, states, want)
	}
}

// TestCaseProcessMarksDoneAndCurrentSteps: a booking waiting for the
// waste team shows its call done, the team's task in progress and the
// rest not reached; once the team turns it down, the fail step it ended
// at is failed.
func TestCaseProcessMarksDoneAndCurrentSteps(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, task := booked(t, o)
	pat := o.signIn(t, "pat")
	got := pat.get("/staff/cases/" + ref)
	says(t, "the case page", got, `<h2 class="govuk-heading-m" id="process">Process</h2>`, `aria-label="Process diagram"`,
		`data-bpmn-url="/staff/cases/`+ref+`/bpmn"`, `href="/staff/cases/`+ref+`/bpmn"`)
	doesNotSay(t, "a case on the recipe as loaded", got, "The service has changed since this case started")
	wantStates(t, "a booking at its check", got, map[string]string{
		"book": "done: Done", "check": "current: In progress", "collect": "not-reached: Not reached",
		"booked": "not-reached: Not reached", "abandoned": "not-reached: Not reached",
	})

	if code := o.postCase(t, ref, taskPath(ref, task), map[string]any{"outcome": "no", "by": "pat", "values": map[string]any{"crew": "C7"}}, nil); code != http.StatusOK {
		t.Fatalf("turning the booking down: %d", code)
	}
	if d := o.closed(t, ref); d.Status != workflows.StatusFailed {
		t.Fatalf("the booking turned down ended %s, want failed", d.Status)
	}
	wantStates(t, "a booking turned down", o.signIn(t, "pat").get("/staff/cases/"+ref), map[string]string{
		"book": "done: Done", "check": "done: Done", "collect": "not-reached: Not reached",
		"booked": "not-reached: Not reached", "abandoned": "failed: Failed",
	})
}

// TestCaseProcessMarksTheStepWithAnIncident: a call that failed past its
// retries is failed, and the set step a case has passed, which records
// nothing of its own, is done.
func TestCaseProcessMarksTheStepWithAnIncident(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, _ := failing(t, o)
	alex := o.signIn(t, "alex")
	wantStates(t, "a case paused at a failed call", alex.get("/staff/cases/"+ref), map[string]string{
		"log": "failed: Failed", "done": "not-reached: Not reached",
	})

	ordered := o.submit(t, "bin-size", map[string]any{"litres": "240"})
	o.closed(t, ordered)
	wantStates(t, "a case that set a value and ended", alex.get("/staff/cases/"+ordered), map[string]string{
		"price": "done: Done", "done": "done: Done",
	})
}

// TestCaseBPMNIsForTheCaseQueue: the case's steps as BPMN 2.0, with the
// step ids as element ids, go to those who may open the case only.
func TestCaseBPMNIsForTheCaseQueue(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, _ := booked(t, o)
	path := "/staff/cases/" + ref + "/bpmn"
	got := o.signIn(t, "pat").get(path)
	if got.Status != http.StatusOK || !strings.HasPrefix(got.Header.Get("Content-Type"), "application/xml") {
		t.Fatalf("pat asking for the diagram: %d %s\n%s", got.Status, got.Header.Get("Content-Type"), got.Body)
	}
	if err := xml.Unmarshal([]byte(got.Body), new(struct{})); err != nil {
		t.Fatalf("the diagram is not XML: %v\n%s", err, got.Body)
	}
	for _, id := range []string{"book", "check", "collect", "booked", "abandoned"} {
		if !strings.Contains(got.Body, `id="`+id+`"`) {
			t.Errorf("the diagram has no element with the step id %q", id)
		}
	}
	if got := o.signIn(t, "robin").get(path); got.Status != http.StatusForbidden || strings.Contains(got.Body, `id="check"`) {
		t.Errorf("robin of the waste crew asking for the waste team's case diagram: %d, want 403", got.Status)
	}
	if got := o.visitor(t).get(path); got.Path != "/staff/sign-in?next="+strings.ReplaceAll(path, "/", "%2F") {
		t.Errorf("asking for the diagram without signing in landed on %s (%d), want the sign-in page", got.Path, got.Status)
	}
	if got := o.signIn(t, "alex").get("/staff/cases/BK-2345-6789/bpmn"); got.Status != http.StatusNotFound {
		t.Errorf("the diagram of no case: %d, want 404", got.Status)
	}
}

// olderCase answers one case of the booking service started on an older
// version of its recipe, which had a step the loaded one does not.
type olderCase struct {
	brokenCases
	d workflows.CaseDetail
}

func (o *olderCase) Detail(context.Context, string) (workflows.CaseDetail, error) { return o.d, nil }

func (o *olderCase) SensitiveDetail(context.Context, string) (workflows.CaseDetail, error) {
	return o.d, nil
}

// TestCaseProcessSaysTheServiceHasChanged: a case started on another
// version of the recipe is drawn on the loaded one, the page says so, and
// a step the case went through that the loaded recipe lacks is listed
// last.
func TestCaseProcessSaysTheServiceHasChanged(t *testing.T) {
	ref := "BK-2345-6789"
	older := &olderCase{d: workflows.CaseDetail{
		CaseView: workflows.CaseView{
			Reference: ref, Service: "booking", RecipeVersion: "0+older", Status: workflows.StatusRunning,
			CurrentSteps: []string{"check"},
			Timeline:     []workflows.Event{{Kind: "submitted"}, {Step: "quote", Kind: "call"}, {Step: "book", Kind: "call"}},
		},
		Tasks: []*workflows.Task{{ID: ref + "/check", Step: "check", Queue: "waste-team", Title: "Confirm booking"}},
	}}
	o := newBackOffice(t, withWork(older))
	got := o.signIn(t, "pat").get("/staff/cases/" + ref)
	says(t, "a case on an older recipe", got, "The service has changed since this case started", "version 1",
		"Not in the service as it is now")
	wantStates(t, "a case on an older recipe", got, map[string]string{
		"book": "done: Done", "check": "current: In progress", "collect": "not-reached: Not reached",
		"booked": "not-reached: Not reached", "abandoned": "not-reached: Not reached", "quote": "done: Done",
	})
	if last := strings.LastIndex(got.Body, `data-step="`); !strings.HasPrefix(got.Body[last:], `data-step="quote"`) {
		t.Errorf("the step the loaded recipe lacks is not listed last")
	}
}

// triageYAML is a recipe whose first steps record nothing of their own
// (a set, a decide, a parallel step), for the steps table to tell from
// what came after them.
const triageYAML = `id: triage
version: "1"
title: Triage a report
reference_prefix: TR
form:
  pages:
    - id: report
      title: Your report
      fields:
        - { id: urgent, type: yesno, label: Is it urgent?, validate: required, example: "no" }
steps:
  - id: note
    set: { seen: "yes" }
    next: route
  - id: route
    decide:
      branches:
        - { when: 'form.urgent == "yes"', next: urgent }
      otherwise: both
  - id: urgent
    task:
      queue: waste-team
      title: Deal with it now
      outcomes: [{ id: done, label: Done, next: closed }]
  - id: both
    parallel:
      branches:
        - steps:
            - id: left
              task: { queue: waste-team, title: Look left, outcomes: [{ id: done, label: Done, next: left_seen }] }
            - id: left_seen
              set: { left: "yes" }
        - steps:
            - id: right
              task:
                queue: waste-team
                title: Look right
                outcomes: [{ id: clear, label: Clear, next: right_seen }, { id: blocked, label: Blocked, next: right_blocked }]
            - id: right_seen
              set: { right: "yes" }
            - id: right_blocked
              set: { right: "no" }
    next: closed
  - id: closed
    end: { outcome: Triaged }
`

// TestCaseProcessTellsStepsThatLeaveNoRecord: a set, a decide and a
// parallel step the case went through are done or in progress, and so is
// the set step a completed task's outcome led to; the branch the decide
// did not take and the outcome not chosen are not reached.
func TestCaseProcessTellsStepsThatLeaveNoRecord(t *testing.T) {
	r, err := recipe.Parse("triage.yaml", []byte(triageYAML), nil)
	if err != nil {
		t.Fatal(err)
	}
	ref := "TR-2345-6789"
	at := &olderCase{d: workflows.CaseDetail{
		CaseView: workflows.CaseView{
			Reference: ref, Service: "triage", RecipeVersion: r.Version + "+" + r.Hash, Status: workflows.StatusRunning,
			CurrentSteps: []string{"both", "left"},
			Timeline: []workflows.Event{{Kind: "submitted"}, {Step: "left", Kind: "task"}, {Step: "right", Kind: "task"},
				{Step: "right", Kind: "task"}},
		},
		Tasks: []*workflows.Task{
			{ID: ref + "/left", Step: "left", Queue: "waste-team", Title: "Look left"},
			{ID: ref + "/right", Step: "right", Queue: "waste-team", Title: "Look right", Completion: &workflows.Completion{Outcome: "clear", By: "pat"}},
		},
		Steps: map[string]any{"right": map[string]any{"outcome": "clear", "by": "pat"}},
	}}
	o := newBackOffice(t, withWork(at))
	o.Handler.Recipes = append(o.Handler.Recipes, r)
	got := o.signIn(t, "pat").get("/staff/cases/" + ref)
	doesNotSay(t, "a case on the loaded recipe", got, "The service has changed since this case started")
	wantStates(t, "a case in its parallel branches", got, map[string]string{
		"note": "done: Done", "route": "done: Done", "urgent": "not-reached: Not reached",
		"both": "current: In progress", "left": "current: In progress", "left_seen": "not-reached: Not reached",
		"right": "done: Done", "right_seen": "done: Done", "right_blocked": "not-reached: Not reached",
		"closed": "not-reached: Not reached",
	})
}

// snapshotCase is olderCase whose client also tells the recipe snapshot
// the case runs, as the real case client does.
type snapshotCase struct {
	olderCase
	r *recipe.Recipe
}

func (s *snapshotCase) Recipe(context.Context, string) (*recipe.Recipe, error) { return s.r, nil }

// TestCaseProcessDrawsTheCasesOwnRecipe: a case started on an older
// version is drawn on the snapshot it runs, not on today's recipe.
func TestCaseProcessDrawsTheCasesOwnRecipe(t *testing.T) {
	ref := "BK-2345-6789"
	older, err := recipe.Parse("booking.yaml", []byte(`id: booking
version: "0"
title: Book a collection
reference_prefix: BK
form:
  pages:
    - id: p
      title: Your booking
      fields:
        - { id: uprn, type: text, label: Property, example: "100001000001" }
steps:
  - id: quote
    set: { fee: "25" }
    next: check
  - id: check
    task:
      queue: waste-team
      title: Confirm booking
      outcomes:
        - { id: ok, label: Confirmed, next: booked }
  - id: booked
    end: { outcome: Booked }
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &snapshotCase{r: older, olderCase: olderCase{d: workflows.CaseDetail{
		CaseView: workflows.CaseView{
			Reference: ref, Service: "booking", RecipeVersion: "0+older", Status: workflows.StatusRunning,
			CurrentSteps: []string{"check"},
			Timeline:     []workflows.Event{{Kind: "submitted"}},
		},
		Tasks: []*workflows.Task{{ID: ref + "/check", Step: "check", Queue: "waste-team", Title: "Confirm booking"}},
	}}}
	o := newBackOffice(t, withWork(c))
	got := o.signIn(t, "pat").get("/staff/cases/" + ref)
	doesNotSay(t, "a case drawn on its own recipe", got, "The service has changed since this case started", `data-step="collect"`)
	wantStates(t, "a case drawn on its own recipe", got, map[string]string{
		"quote": "done: Done", "check": "current: In progress", "booked": "not-reached: Not reached",
	})
	if bpmn := o.signIn(t, "pat").get("/staff/cases/" + ref + "/bpmn"); !strings.Contains(bpmn.Body, `id="quote"`) || strings.Contains(bpmn.Body, `id="collect"`) {
		t.Errorf("the case's diagram is not of its own recipe:\n%.400s", bpmn.Body)
	}
}
