package workflows_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// runRecipe runs an inline recipe with answers to the end.
func (sc *stepCase) runRecipe(t *testing.T, yaml string, answers map[string]any) {
	t.Helper()
	r, err := recipe.Parse("test.yaml", []byte(yaml), stepConnectors)
	if err != nil {
		t.Fatal(err)
	}
	sc.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{Reference: stepRef, Recipe: *r, Answers: answers, SubmittedAt: started})
	if !sc.env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
}

// events lists the timeline's events of a kind as "step@offset: note",
// offset from the start of the case.
func events(v workflows.CaseView, kind string) []string {
	var out []string
	for _, e := range v.Timeline {
		if e.Kind == kind {
			out = append(out, e.Step+"@"+e.At.Sub(started).String()+": "+e.Note)
		}
	}
	return out
}

const arrangeRecipe = `id: arrange
version: "1"
title: Arrange a bulky waste collection
reference_prefix: AR
form:
  pages:
    - id: collection
      title: Your collection
      fields:
        - { id: uprn, type: text, label: Property reference, validate: required, example: "100001000001" }
steps:
  - id: vehicle
    call:
      connector: waste
      operation: reserve_vehicle
      input: { uprn: "{{ form.uprn }}" }
      undo:
        operation: release_vehicle
        input: { vehicle: "{{ steps.vehicle.vehicle }}" }
    next: arrange
  - id: arrange
    parallel:
      branches:
        - steps:
            - id: book
              call:
                connector: waste
                operation: book_collection
                input: { uprn: "{{ form.uprn }}" }
                timeout: 3h
                on_error: full
            - id: full
              fail:
                outcome: No collection slot available
        - steps:
            - id: crew
              call:
                connector: waste
                operation: notify_crew
                input: { uprn: "{{ form.uprn }}" }
                timeout: 3h
        - steps:
            - id: crew_ready
              wait:
                message: crew-ready
                for: 72h
    next: done
  - id: done
    end:
      outcome: Collection arranged
`

func TestFailingParallelBranchStopsItsSiblings(t *testing.T) {
	sc := newStepCase(t)
	sc.on("reserve_vehicle", map[string]any{"vehicle": "VAN-7"}, nil).Once()
	sc.on("book_collection", nil, refused("full", "no slots left")).Once().After(time.Hour)
	sc.on("notify_crew", map[string]any{}, nil).Once().After(2 * time.Hour)
	sc.on("release_vehicle", map[string]any{}, nil).Once()
	var cancelledCalls []string
	sc.env.SetOnActivityCanceledListener(func(info *activity.Info) { cancelledCalls = append(cancelledCalls, info.ActivityID) })
	var timers, cancelledTimers int
	sc.env.SetOnTimerScheduledListener(func(string, time.Duration) { timers++ })
	sc.env.SetOnTimerCanceledListener(func(string) { cancelledTimers++ })

	sc.runRecipe(t, arrangeRecipe, map[string]any{"uprn": "100001000001"})

	sc.failedWith(t, "No collection slot available")
	if !slices.Equal(cancelledCalls, []string{"crew"}) {
		t.Errorf("cancelled calls %v, want the crew's notice still running when booking failed", cancelledCalls)
	}
	if timers != 1 || cancelledTimers != 1 {
		t.Errorf("%d of %d timers cancelled, want the crew_ready wait's", cancelledTimers, timers)
	}
	v := sc.view(t)
	want := []string{"crew_ready@1h0m0s: Stopped: a parallel branch failed", "crew@1h0m0s: Stopped: a parallel branch failed"}
	if got := events(v, "stopped"); !slices.Equal(got, want) {
		t.Errorf("stopped events %q, want %q", got, want)
	}
	if got := events(v, "failed"); len(got) != 1 || !strings.HasPrefix(got[0], "@1h0m0s") {
		t.Errorf("failed events %q, want the case failed when booking did, at 1h", got)
	}
	if ops := sc.operations(); !slices.Equal(ops, []string{"reserve_vehicle", "book_collection", "release_vehicle"}) {
		t.Errorf("operations %v, want the vehicle released once the case failed", ops)
	}
	if len(v.CurrentSteps) != 0 {
		t.Errorf("current steps %v after the case failed", v.CurrentSteps)
	}
	sc.env.AssertExpectations(t)
}

// startToCloseTimeout is what Temporal reports when an attempt of a call
// runs past the step's timeout.
func startToCloseTimeout() error {
	return temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_START_TO_CLOSE, nil)
}

func TestCallThatTimesOutIsRetriedThenPausesForStaff(t *testing.T) {
	for _, local := range []bool{false, true} {
		t.Run(map[bool]string{false: "scheduled", true: "local"}[local], func(t *testing.T) {
			callThatTimesOutIsRetriedThenPausesForStaff(t, local)
		})
	}
}

func callThatTimesOutIsRetriedThenPausesForStaff(t *testing.T, local bool) {
	sc := newStepCase(t)
	if !local {
		scheduledCalls(sc)
	}
	sc.on("book_collection", nil, startToCloseTimeout()).Times(3)
	sc.on("book_collection", map[string]any{"id": "BK-1"}, nil).Once()
	var inc workflows.Incident
	var retried *update
	sc.env.RegisterDelayedCallback(func() {
		if d := sc.detail(t); len(d.Incidents) == 1 {
			inc = *d.Incidents[0]
		}
		retried = sc.resolve(workflows.Resolution{IncidentID: "book-1", Action: workflows.ActionRetry, By: "alex"})
	}, time.Hour)

	sc.run(t, "step-call", nil)

	if inc.ID != "book-1" || inc.Code != "timeout" || inc.Error != "the system did not answer in time" {
		t.Errorf("incident %+v, want book-1 saying the system did not answer in time", inc)
	}
	if retried == nil || !retried.accepted {
		t.Fatalf("retry not accepted: %+v", retried)
	}
	sc.completed(t, "Collection booked") // a timeout is not a refusal: on_error is not taken
	var offsets []time.Duration
	for _, at := range sc.at {
		offsets = append(offsets, at.Sub(started))
	}
	if want := []time.Duration{0, 2 * time.Second, 6 * time.Second, time.Hour}; !slices.Equal(offsets, want) {
		t.Errorf("attempts at %v, want %v: the recipe's three attempts 2s then 4s apart, then staff's retry", offsets, want)
	}
	if want := []string{"book", "book", "book", "book#2"}; !local && !slices.Equal(sc.activityIDs, want) {
		t.Errorf("activity ids %v, want %v", sc.activityIDs, want)
	}
	for _, c := range sc.calls {
		if c.IdempotencyKey != stepRef+"/book" {
			t.Errorf("attempt keyed %q, want every attempt keyed %s/book", c.IdempotencyKey, stepRef)
		}
	}
	sc.env.AssertExpectations(t)
}

func TestEscalationEmailThatFailsLeavesTaskOpen(t *testing.T) {
	sc := newStepCase(t)
	sc.mailFailures = 20 // every attempt the retry policy allows
	var task workflows.Task
	var done *update
	sc.env.RegisterDelayedCallback(func() {
		d := sc.detail(t)
		task = *d.Tasks[0]
		if len(d.Incidents) != 0 {
			t.Errorf("incidents %+v, want none: an escalation email is not a step", d.Incidents)
		}
		done = sc.complete(workflows.Completion{TaskID: task.ID, Outcome: "approve", By: "sup"})
	}, 26*time.Hour)

	sc.run(t, "step-task", nil)

	if !task.Escalated || task.Queue != "waste-supervisors" || task.Completion != nil {
		t.Errorf("task at 26h %+v, want escalated to waste-supervisors and open", task)
	}
	if done == nil || !done.completed || done.rejected != nil {
		t.Fatalf("completing the task: %+v", done)
	}
	sc.completed(t, "Request approved")
	if len(sc.emails) != 0 {
		t.Errorf("sent %+v, want nothing: the relay refused every attempt", sc.emails)
	}
	got := events(sc.view(t), "escalated")
	if len(got) != 2 || got[0] != "review@24h0m0s: Escalated: not done within 24h0m0s" ||
		!strings.HasPrefix(got[1], "review@") || !strings.HasSuffix(got[1], ": Escalation email not sent") {
		t.Errorf("escalation events %q, want the escalation and the email not sent", got)
	}
	for _, e := range sc.view(t).Timeline {
		if e.Detail != "" || strings.Contains(e.Note, "451") {
			t.Errorf("the resident's timeline shows the relay's error: %+v", e)
		}
	}
	var detail []string
	for _, e := range sc.detail(t).Timeline {
		detail = append(detail, e.Detail)
	}
	if !strings.Contains(strings.Join(detail, "\n"), "smtp: 451 try again later") {
		t.Errorf("staff's timeline %q lacks the relay's answer", detail)
	}
	if strings.Contains(strings.Join(got, "\n"), "scheduledEventID") {
		t.Errorf("the timeline quotes Temporal's bookkeeping: %q", got)
	}
	sc.env.AssertExpectations(t)
}

func TestChildCaseThatFailsWithoutOnErrorPausesForStaff(t *testing.T) {
	r := stepRecipe(t, "step-subrecipe")
	r.Steps[0].Subrecipe.OnError = ""
	sc := newStepCase(t)
	sc.on("take_payment", nil, refused("card_declined", "card declined")).Once()
	sc.on("take_payment", map[string]any{"payment_id": "PAY-2"}, nil).Once()
	sc.on("book_collection", map[string]any{"id": "BK-1"}, nil).Once()
	var inc workflows.Incident
	var running string
	sc.env.RegisterDelayedCallback(func() {
		d := sc.detail(t)
		if len(d.Incidents) == 1 {
			inc = *d.Incidents[0]
		}
		running = d.Status
		sc.resolve(workflows.Resolution{IncidentID: "payment-1", Action: workflows.ActionRetry, By: "alex"})
	}, time.Hour)

	sc.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{
		Reference: stepRef, Recipe: *r, Answers: map[string]any{"uprn": "100001000001", "email": "sam@example.com"}, SubmittedAt: started,
	})

	if inc.ID != "payment-1" || inc.Step != "payment" || inc.Code != "step_failed" || inc.Error != "Payment declined" || running != workflows.StatusRunning {
		t.Errorf("case %s with incident %+v, want running with payment-1 giving the child's outcome", running, inc)
	}
	sc.completed(t, "Collection booked")
	if ops := sc.operations(); !slices.Equal(ops, []string{"take_payment", "take_payment", "book_collection"}) {
		t.Errorf("operations %v, want the child run again on retry, then the booking", ops)
	}
	if b := sc.calls[2]; b.Input["payment"] != "PAY-2" || b.Input["paid"] != "Paid" {
		t.Errorf("booked with %v, want the payment the second child took", b.Input)
	}
	if res := stepResult(t, sc.detail(t), "payment"); res["status"] != workflows.StatusCompleted {
		t.Errorf("steps.payment = %v, want the second child's result", res)
	}
}

const handoverRecipe = `id: handover
version: "1"
title: Hand over a skip
reference_prefix: HO
form:
  pages:
    - id: booking
      title: Your booking
      fields:
        - { id: booking, type: text, label: Booking number, validate: required, example: BK-1001 }
        - { id: permit, type: text, label: Permit number, validate: required, example: PM-77 }
steps:
  - id: handover
    parallel:
      branches:
        - steps:
            - id: collected
              wait: { message: collected, correlation: "{{ form.booking }}", for: 72h }
        - steps:
            - id: weighed
              wait: { message: weighed, correlation: "{{ form.booking }}", for: 72h }
        - steps:
            - id: permit
              wait: { message: permit-issued, correlation: "{{ form.permit }}", for: 72h }
        - steps:
            - id: signed
              wait: { message: signed, for: 72h }
    next: done
  - id: done
    end:
      outcome: Handed over
`

func TestWaitsOnSeveralKeysEachTakeTheirOwnMessage(t *testing.T) {
	sc := newStepCase(t)
	var listed []string
	sc.env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil).Run(func(args mock.Arguments) {
		keys, ok := args.Get(0).(temporal.SearchAttributes).GetKeywordList(workflows.CorrelationKeys)
		if !ok {
			listed = append(listed, "none")
			return
		}
		listed = append(listed, strings.Join(keys, " "))
	})
	send := func(at time.Duration, msgs ...workflows.Message) {
		sc.env.RegisterDelayedCallback(func() {
			for _, m := range msgs {
				sc.env.SignalWorkflow(workflows.MessageSignal, m)
			}
		}, at)
	}
	var waiting []workflows.Waiting
	sc.env.RegisterDelayedCallback(func() { waiting = sc.detail(t).Waiting }, 30*time.Minute)
	send(time.Hour,
		workflows.Message{Name: "collected", Correlation: "BK-9999", Data: map[string]any{"from": "another booking"}},
		workflows.Message{Name: "weighed", Correlation: "PM-77", Data: map[string]any{"from": "the wrong key"}},
		workflows.Message{Name: "permit-issued", Correlation: "PM-77", Data: map[string]any{"from": "highways"}})
	send(2*time.Hour, workflows.Message{Name: "weighed", Correlation: "BK-1001", Data: map[string]any{"from": "weighbridge"}})
	send(3*time.Hour, workflows.Message{Name: "signed", Correlation: stepRef, Data: map[string]any{"from": "resident"}})
	send(4*time.Hour, workflows.Message{Name: "collected", Correlation: "BK-1001", Data: map[string]any{"from": "crew"}})

	sc.runRecipe(t, handoverRecipe, map[string]any{"booking": "BK-1001", "permit": "PM-77"})

	sc.completed(t, "Handed over")
	var open []string
	for _, w := range waiting {
		open = append(open, w.Step+" "+w.Message+" "+w.Correlation)
	}
	if want := []string{"collected collected BK-1001", "weighed weighed BK-1001", "permit permit-issued PM-77", "signed signed " + stepRef}; !slices.Equal(open, want) {
		t.Errorf("waiting %q, want %q", open, want)
	}
	// Each wait's key is listed once, and stays listed while another wait
	// still listens on it; the case's own reference is never listed.
	if want := []string{"BK-1001", "BK-1001 PM-77", "BK-1001", "BK-1001", "none"}; !slices.Equal(listed, want) {
		t.Errorf("correlation keys set to %q, want %q", listed, want)
	}
	d := sc.detail(t)
	for step, want := range map[string]string{"permit": "highways", "weighed": "weighbridge", "signed": "resident", "collected": "crew"} {
		res := stepResult(t, d, step)
		if msg, _ := res["message"].(map[string]any); res["timed_out"] != false || msg["from"] != want {
			t.Errorf("steps.%s = %v, want the message from %s", step, res, want)
		}
	}
	if got := eventAt(t, d.CaseView, "collected"); !got.Equal(started.Add(4 * time.Hour)) {
		t.Errorf("collected heard at %v, want when the crew's message came", got)
	}
	if len(d.Waiting) != 0 {
		t.Errorf("still waiting on %+v", d.Waiting)
	}
}
