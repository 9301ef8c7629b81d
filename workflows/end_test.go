package workflows_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/workflows"
)

func TestEndStepClosesCase(t *testing.T) {
	sc := newStepCase(t)

	sc.run(t, "step-end", nil)

	sc.completed(t, "Question received")
	v := sc.view(t)
	if v.Status != workflows.StatusCompleted || v.Outcome != "Question received" || len(v.CurrentSteps) != 0 {
		t.Errorf("view = %+v", v)
	}
	if got := kinds(v); got != "submitted end" {
		t.Errorf("timeline kinds = %q", got)
	}
	sc.env.AssertExpectations(t)
}

// failedWith checks the case failed as a fail step does.
func (sc *stepCase) failedWith(t *testing.T, outcome string) {
	t.Helper()
	var app *temporal.ApplicationError
	err := sc.env.GetWorkflowError()
	if !errors.As(err, &app) || app.Type() != "CaseFailed" || !app.NonRetryable() {
		t.Fatalf("workflow error = %v, want a non-retryable CaseFailed", err)
	}
	var res workflows.CaseResult
	if err := app.Details(&res); err != nil || res.Status != workflows.StatusFailed || res.Outcome != outcome {
		t.Errorf("failure details = %+v, %v; want failed with %q", res, err, outcome)
	}
	if v := sc.view(t); v.Status != workflows.StatusFailed || v.Outcome != outcome {
		t.Errorf("view = %s %q, want failed %q", v.Status, v.Outcome, outcome)
	}
}

func TestFailStepUndoesCallsNewestFirst(t *testing.T) {
	sc := newStepCase(t)
	sc.on("reserve_vehicle", map[string]any{"vehicle": "VAN-7"}, nil).Once()
	sc.on("book_collection", map[string]any{"id": "BK-1", "status": "full"}, nil).Once()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "cancel_booking" && req.Input["booking"] == "BK-1" && req.IdempotencyKey == stepRef+"/book/undo"
	}), map[string]any{}, nil).Once()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "release_vehicle" && req.Input["vehicle"] == "VAN-7" && req.IdempotencyKey == stepRef+"/reserve/undo"
	}), map[string]any{}, nil).Once()

	sc.run(t, "step-fail", nil)

	sc.failedWith(t, "No collection slot available")
	want := []string{"reserve_vehicle", "book_collection", "cancel_booking", "release_vehicle"}
	if got := sc.operations(); !slices.Equal(got, want) {
		t.Errorf("operations = %v, want %v", got, want)
	}
	d := sc.detail(t)
	if d.Reason != "Booking BK-1 came back full" {
		t.Errorf("reason = %q", d.Reason)
	}
	if got := kinds(d.CaseView); got != "submitted call call undo undo failed" {
		t.Errorf("timeline kinds = %q", got)
	}
	sc.env.AssertExpectations(t)
}

// Security review, and then: an undo that fails raises an incident for
// staff (here they leave the booking as it is); the other undos still run.
func TestFailStepUndoThatFailsRaisesAnIncidentAndTheOthersStillRun(t *testing.T) {
	sc := newStepCase(t)
	sc.on("reserve_vehicle", map[string]any{"vehicle": "VAN-7"}, nil).Once()
	sc.on("book_collection", map[string]any{"id": "BK-1", "status": "full"}, nil).Once()
	sc.on("cancel_booking", nil, refused("with_crew", "booking is with a crew")).Once()
	sc.on("release_vehicle", map[string]any{}, nil).Once()
	var inc workflows.Incident
	var left *update
	sc.env.RegisterDelayedCallback(func() {
		if d := sc.detail(t); len(d.Incidents) == 1 {
			inc = *d.Incidents[0]
		}
		if slices.Contains(sc.operations(), "release_vehicle") {
			t.Error("the vehicle was released while the booking's undo waited for staff")
		}
		left = sc.resolve(workflows.Resolution{IncidentID: "book-1", Action: workflows.ActionCancel, By: "alex"})
	}, time.Hour)

	sc.run(t, "step-fail", nil)

	if inc.Step != "book" || inc.Code != "undo_failed" || inc.Error != "booking is with a crew" {
		t.Errorf("incident %+v, want an undo_failed incident at book with the system's reason", inc)
	}
	if left == nil || !left.accepted {
		t.Fatalf("staff's answer not accepted: %+v", left)
	}
	sc.failedWith(t, "No collection slot available")
	v := sc.detail(t) // staff's timeline, which names what was undone
	var notes []string
	for _, e := range v.Timeline {
		if e.Kind == "undo" || e.Kind == "incident" {
			notes = append(notes, e.Step+": "+e.Note)
		}
	}
	want := []string{"book: Could not undo", "book: Paused for staff to check this step", "book: Resolved: cancel", "reserve: Undone"}
	if len(notes) != len(want) {
		t.Fatalf("undo timeline = %q, want %q", notes, want)
	}
	for i := range want {
		if !strings.HasPrefix(notes[i], want[i]) {
			t.Errorf("undo timeline = %q, want %q", notes, want)
			break
		}
	}
	sc.env.AssertExpectations(t)
}

func TestFailStepUndoesEachPassOfALoop(t *testing.T) {
	sc := newStepCase(t)
	sc.on("book_collection", map[string]any{"id": "BK-1"}, nil).Once()
	sc.on("book_collection", map[string]any{"id": "BK-2"}, nil).Once()
	sc.on("cancel_booking", map[string]any{}, nil).Twice()
	sc.env.RegisterDelayedCallback(func() {
		sc.complete(workflows.Completion{TaskID: stepRef + "/check", Outcome: "rebook", By: "alex"})
	}, time.Hour)
	sc.env.RegisterDelayedCallback(func() {
		sc.complete(workflows.Completion{TaskID: stepRef + "/check-2", Outcome: "give_up", By: "alex"})
	}, 2*time.Hour)

	sc.run(t, "step-rebook", nil)

	sc.failedWith(t, "Collection abandoned")
	var undone []string
	for _, c := range sc.calls {
		if c.Operation == "cancel_booking" {
			undone = append(undone, c.IdempotencyKey+" "+c.Input["booking"].(string))
		}
	}
	want := []string{stepRef + "/book-2/undo BK-2", stepRef + "/book/undo BK-1"}
	if !slices.Equal(undone, want) {
		t.Errorf("cancelled %q, want %q: each undo sees the result of the call it undoes", undone, want)
	}
	sc.env.AssertExpectations(t)
}

// onBulkyWaste answers the calls of all.yaml up to the task.
func (sc *stepCase) onBulkyWaste() {
	sc.on("get_property", map[string]any{"uprn": "100001000001", "address": "1 Orchard Way, Larchester, LR1 1AA"}, nil).Once()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "book_collection" && req.Input["items"] == "Sofa, fridge, wardrobe, two chairs"
	}), map[string]any{"id": "BK-77"}, nil).Once()
}

func TestAllStepsBulkyWasteCollected(t *testing.T) {
	sc := newStepCase(t)
	sc.onBulkyWaste()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "take_payment" && req.Input["amount"] == float64(46)
	}), map[string]any{"payment_id": "PAY-1"}, nil).Once()
	sc.listensOn("BK-77")
	var done *update
	sc.env.RegisterDelayedCallback(func() {
		d := sc.detail(t)
		if len(d.Tasks) != 1 || !d.Tasks[0].Escalated || d.Tasks[0].Queue != "waste-managers" ||
			d.Tasks[0].Title != "Schedule bulky collection BK-77" {
			t.Errorf("tasks at 50h = %+v, want the escalated scheduling task", d.Tasks)
		}
		done = sc.complete(workflows.Completion{TaskID: stepRef + "/supervise", Outcome: "scheduled", By: "sup"})
	}, 50*time.Hour)
	// The case is still waiting for the crew, so a second completion reaches the validator.
	var again *update
	sc.env.RegisterDelayedCallback(func() {
		again = sc.complete(workflows.Completion{TaskID: stepRef + "/supervise", Outcome: "cannot_collect", By: "other"})
	}, 60*time.Hour)
	sc.env.RegisterDelayedCallback(func() {
		sc.env.SignalWorkflow(workflows.MessageSignal, workflows.Message{Name: "collected", Correlation: "BK-77"})
	}, 80*time.Hour)

	sc.run(t, "bulky-waste", nil)

	if done == nil || !done.completed || done.err != nil {
		t.Fatalf("task completion: %+v", done)
	}
	again.mustReject(t, "second completion", `task "`+stepRef+`/supervise" was already completed by sup`)
	sc.completed(t, "Items collected")
	want := []string{"get_property", "take_payment", "book_collection"}
	if got := sc.operations(); !slices.Equal(got, want) {
		t.Errorf("operations = %v, want %v", got, want)
	}
	var keys []string
	for _, m := range sc.emails {
		keys = append(keys, m.Key)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{stepRef + "/confirm", stepRef + "/supervise/escalation"}) {
		t.Errorf("emails keyed %v, want the confirmation and the escalation", keys)
	}
	d := sc.detail(t)
	if d.Vars["fee"] != float64(46) || stepResult(t, d, "payment")["outcome"] != "Paid" {
		t.Errorf("vars = %v, steps.payment = %v", d.Vars, d.Steps["payment"])
	}
	if got := kinds(d.CaseView); got != "submitted call subrecipe email call task escalated task wait end" &&
		got != "submitted call subrecipe call email task escalated task wait end" {
		t.Errorf("timeline kinds = %q", got)
	}
	sc.env.AssertExpectations(t)
}

func TestAllStepsConcessionSkipsPayment(t *testing.T) {
	sc := newStepCase(t)
	sc.onBulkyWaste()
	sc.on("take_payment", nil, nil).Never()
	sc.env.RegisterDelayedCallback(func() {
		sc.complete(workflows.Completion{TaskID: stepRef + "/supervise", Outcome: "scheduled", By: "sup"})
	}, time.Hour)

	sc.run(t, "bulky-waste", map[string]any{"concession": "yes"})

	sc.completed(t, "Collection overdue, we will be in touch")
	if got := stepResult(t, sc.detail(t), "await_collection")["timed_out"]; got != true {
		t.Errorf("steps.await_collection.timed_out = %v, want true after seven days", got)
	}
	sc.env.AssertExpectations(t)
}

func TestAllStepsCrewCannotCollectFails(t *testing.T) {
	sc := newStepCase(t)
	sc.onBulkyWaste()
	sc.on("take_payment", map[string]any{"payment_id": "PAY-1"}, nil).Once()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "cancel_booking" && req.Input["booking"] == "BK-77"
	}), map[string]any{}, nil).Once()
	// The fee was taken by the child case; the parent's failure refunds it.
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "refund_payment" && req.Input["payment"] == "PAY-1"
	}), map[string]any{}, nil).Once()
	sc.env.RegisterDelayedCallback(func() {
		sc.complete(workflows.Completion{TaskID: stepRef + "/supervise", Outcome: "cannot_collect", By: "sup",
			Values: map[string]any{"reason": "Items are inside a locked garage"}})
	}, time.Hour)

	sc.run(t, "bulky-waste", nil)

	sc.failedWith(t, "We could not collect your items")
	if got := sc.detail(t).Reason; got != "Items are inside a locked garage" {
		t.Errorf("reason = %q, want the supervisor's", got)
	}
	sc.env.AssertExpectations(t)
}

func TestCancelledCaseUndoesCallsAndRefundsChildPayment(t *testing.T) {
	sc := newStepCase(t)
	sc.onBulkyWaste()
	sc.on("take_payment", map[string]any{"payment_id": "PAY-9"}, nil).Once()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "cancel_booking" && req.Input["booking"] == "BK-77"
	}), map[string]any{}, nil).Once()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "refund_payment" && req.Input["payment"] == "PAY-9"
	}), map[string]any{}, nil).Once()
	// Staff cancel the case while the scheduling task is open.
	sc.env.RegisterDelayedCallback(func() { sc.env.CancelWorkflow() }, 10*time.Hour)

	sc.run(t, "bulky-waste", nil)

	if err := sc.env.GetWorkflowError(); !temporal.IsCanceledError(err) {
		t.Fatalf("workflow error = %v, want cancelled", err)
	}
	if v := sc.view(t); v.Status != workflows.StatusCancelled {
		t.Errorf("status = %s, want cancelled", v.Status)
	}
	var undone []string
	for _, c := range sc.calls {
		if c.Operation == "cancel_booking" || c.Operation == "refund_payment" {
			undone = append(undone, c.Operation)
		}
	}
	if strings.Join(undone, ",") != "cancel_booking,refund_payment" {
		t.Errorf("undos ran as %v, want the booking cancelled, then the payment refunded", undone)
	}
	sc.env.AssertExpectations(t)
}

// An undo is retried as its call is: a system worth seven tries for a
// booking is worth seven for its cancellation, not the default five.
func TestUndoIsRetriedAsItsCallIs(t *testing.T) {
	sc := newStepCase(t)
	sc.on("book_collection", map[string]any{"id": "BK-1", "status": "full"}, nil).Once()
	sc.on("cancel_booking", nil, outage()).Times(6)
	sc.on("cancel_booking", map[string]any{}, nil).Once()

	sc.runRecipe(t, `id: retried-undo
version: "1"
title: Book a bulky waste slot
reference_prefix: RU
form:
  pages:
    - id: collection
      title: Your collection
      fields:
        - { id: uprn, type: text, label: Property reference, validate: "required,uprn", example: "100001000001" }
steps:
  - id: book
    call:
      connector: waste
      operation: book_collection
      input: { uprn: "{{ form.uprn }}" }
      retry: { max_attempts: 7, interval: 1s }
      undo:
        operation: cancel_booking
        input: { booking: "{{ steps.book.id }}" }
    next: no_slot
  - id: no_slot
    fail:
      outcome: No collection slot available
`, map[string]any{"uprn": "100001000001"})

	sc.failedWith(t, "No collection slot available")
	if d := sc.detail(t); len(d.Incidents) != 0 {
		t.Errorf("incidents %+v; want the undo to succeed on its seventh try", d.Incidents)
	}
	sc.env.AssertExpectations(t)
}
