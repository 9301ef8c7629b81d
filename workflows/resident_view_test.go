package workflows_test

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/workflows"
)

// pausedAndEscalated looks a property up (the lookup fails and pauses the
// case for staff), then passes the case to a team whose task escalates to
// another team before it is done.
const pausedAndEscalated = permitForm + `steps:
  - id: lookup
    call:
      connector: waste
      operation: get_property
      input: { uprn: "{{ form.street }}" }
      retry: { max_attempts: 1 }
    next: review
  - id: review
    task:
      queue: street-scene
      title: "Review the permit for {{ form.street }}"
      outcomes:
        - { id: approve, label: Approve after site visit, next: approved }
      escalate:
        after: 24h
        queue: street-scene-managers
  - id: approved
    end:
      outcome: Permit approved
`

// connectionRefused is the error a connector gives when the back-office
// system is down, as a review saw it on a resident's track page.
func connectionRefused() error {
	msg := "GET /api/properties/100001000001: dial tcp 127.0.0.1:33375: connect: connection refused"
	return temporal.NewApplicationError("connector waste: "+msg, "ConnectorUnavailable",
		connectors.Error{Status: 0, Code: "unavailable", Message: msg})
}

// staffWords are what a resident must not read: the connector's error,
// the system and operation called, the queues and the staff.
var staffWords = []string{
	"dial tcp", "connection refused", "127.0.0.1", "/api/properties", "get_property",
	"street-scene", "street-scene-managers", "alex.morgan", "priya.shah", "Approve after site visit",
}

// Security finding 10: the resident's timeline showed internal errors,
// escalation notes and staff names.
func TestFinding10ResidentTimelineCarriesNoErrorQueueOrStaffName(t *testing.T) {
	sc := newStepCase(t)
	sc.onIndex(nil)
	sc.on("get_property", nil, connectionRefused()).Once()
	sc.env.RegisterDelayedCallback(func() {
		sc.resolve(workflows.Resolution{IncidentID: "lookup-1", Action: workflows.ActionSkip, Value: map[string]any{}, By: "alex.morgan"})
	}, time.Hour)
	sc.env.RegisterDelayedCallback(func() {
		sc.complete(workflows.Completion{TaskID: stepRef + "/review", Outcome: "approve", By: "priya.shah"})
	}, 26*time.Hour)

	runInline(t, sc, "permit", pausedAndEscalated)

	sc.completed(t, "Permit approved")
	view := sc.view(t)
	if got := kinds(view); got != "submitted incident incident task escalated task end" {
		t.Fatalf("timeline kinds = %q, want the incident, its resolution, the escalation and the decision", got)
	}
	var notes []string
	for _, e := range view.Timeline {
		notes = append(notes, e.Note)
		if e.Detail != "" || e.By != "" || e.Result != "" {
			t.Errorf("the resident's timeline carries staff's details: %+v", e)
		}
	}
	resident := strings.Join(notes, "\n")
	for _, w := range staffWords {
		if strings.Contains(resident, w) {
			t.Errorf("the resident's timeline says %q:\n%s", w, resident)
		}
	}
	want := []string{"Submitted", "Paused for staff to check this step", "Checked by our staff", "Passed to our staff",
		"Escalated: not done within 24h0m0s", "Checked by our staff", "Permit approved"}
	if strings.Join(want, "\n") != resident {
		t.Errorf("the resident's timeline reads\n%s\nwant\n%s", resident, strings.Join(want, "\n"))
	}

	// Staff keep every word.
	var staff []string
	for _, e := range sc.detail(t).Timeline {
		staff = append(staff, e.Note, e.Detail, e.By)
	}
	for _, w := range []string{"connection refused", "Passed to street-scene", "Resolved: skip", "alex.morgan", "Decided: Approve after site visit", "priya.shah"} {
		if !strings.Contains(strings.Join(staff, "\n"), w) {
			t.Errorf("staff's timeline lacks %q:\n%s", w, strings.Join(staff, "\n"))
		}
	}
}

// TestResidentTimelineKeepsOnlyWordsForResidents puts together the notes
// the interpreter records and checks what a resident reads of each: the
// recipe's own words are kept, anything built from the case is replaced.
func TestResidentTimelineKeepsOnlyWordsForResidents(t *testing.T) {
	r := stepRecipe(t, "step-subrecipe")
	child := r.Subrecipes[r.Steps[0].Subrecipe.Recipe]
	childOutcome := ""
	for _, s := range child.AllSteps() {
		if s.Fail != nil {
			childOutcome = s.Fail.Outcome
		}
	}
	var end string
	for _, s := range r.AllSteps() {
		if s.End != nil {
			end = s.End.Outcome
		}
	}
	temporalError := "child workflow execution error (type: case, workflowID: BK-TEST-0001.payment, runID: 1): connector payments: dial tcp 10.0.0.7:443: i/o timeout"
	for _, tc := range []struct {
		kind, step, note, want string
	}{
		{"submitted", "", "Submitted", "Submitted"},
		{"subrecipe", "payment", child.Title + ": " + childOutcome, child.Title + ": " + childOutcome},
		{"subrecipe", "payment", child.Title + ": " + temporalError, child.Title + ": could not be finished"},
		{"call", "book", "Called waste book_collection", "Processed"},
		{"undo", "pay", "Undone: payments refund_payment", "An earlier step was undone"},
		{"wait", "crew", "Heard crew-ready", "Update received"},
		{"task", "review", "Passed to waste-team", "Passed to our staff"},
		{"task", "review", "Decided: Refer to enforcement", "Checked by our staff"},
		{"incident", "book", "Resolved: retry", "Checked by our staff"},
		{"escalated", "review", "Escalated to waste-supervisors by alex", "Taking longer than expected"},
		{"end", "done", end, end},
		{"failed", "", "connector waste: 500 internal server error", "Closed: the case could not be finished"},
		{"email", "confirm", "Email sent to sam@example.com", "Email sent"},
		{"something new", "x", "panic: runtime error", "Updated"},
	} {
		got := workflows.ResidentTimeline(r, []workflows.Event{{Kind: tc.kind, Step: tc.step, Note: tc.note, Detail: "d", By: "b", Result: "r"}})
		if len(got) != 1 || got[0].Note != tc.want || got[0].Detail+got[0].By+got[0].Result != "" {
			t.Errorf("%s %q: the resident reads %+v, want %q", tc.kind, tc.note, got, tc.want)
		}
	}
}
