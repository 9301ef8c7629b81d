package workflows_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/workflows"
)

// rebookThenGiveUp books, has staff send the booking round again, then
// give up: the case fails and cancels both bookings.
func rebookThenGiveUp(t *testing.T, sc *stepCase) {
	t.Helper()
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
	sc.env.AssertExpectations(t)
}

// scheduledCalls has the case schedule its calls as activities, as cases
// started before localCallsChange do, and calls longer than a minute.
func scheduledCalls(sc *stepCase) {
	sc.env.OnGetVersion("local-calls", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
}

func TestActivitiesAreNamedForTheirStepInstances(t *testing.T) {
	sc := newStepCase(t)
	scheduledCalls(sc)
	rebookThenGiveUp(t, sc)

	if want := []string{"book", "book-2", "book-2/undo", "book/undo"}; !slices.Equal(sc.activityIDs, want) {
		t.Errorf("activity ids %q, want %q: each visit of a step and each undo named for it", sc.activityIDs, want)
	}
}

func TestUndoHandedUpByChildCaseIsNamedForIt(t *testing.T) {
	sc := newStepCase(t)
	scheduledCalls(sc)
	sc.onBulkyWaste()
	sc.on("take_payment", map[string]any{"payment_id": "PAY-9"}, nil).Once()
	sc.on("cancel_booking", map[string]any{}, nil).Once()
	sc.on("refund_payment", map[string]any{}, nil).Once()
	sc.env.RegisterDelayedCallback(func() { sc.env.CancelWorkflow() }, 10*time.Hour)

	sc.run(t, "bulky-waste", nil)

	// pay is the child case's own call, named within the child.
	if want := []string{"check", "pay", "book", "book/undo", "payment/pay/undo"}; !slices.Equal(sc.activityIDs, want) {
		t.Errorf("activity ids %q, want %q", sc.activityIDs, want)
	}
	sc.env.AssertExpectations(t)
}

func TestCasesStartedBeforeNamedActivitiesKeepNumberingThem(t *testing.T) {
	sc := newStepCase(t)
	scheduledCalls(sc)
	sc.env.OnGetVersion("step-activity-ids", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	rebookThenGiveUp(t, sc)

	if len(sc.activityIDs) != 4 {
		t.Fatalf("activity ids %q, want four calls", sc.activityIDs)
	}
	for i, id := range sc.activityIDs {
		if n, err := strconv.Atoi(id); err != nil || (i > 0 && strconv.Itoa(n) == sc.activityIDs[i-1]) {
			t.Errorf("activity ids %q, want Temporal's sequence numbers as before step-activity-ids", sc.activityIDs)
			break
		}
	}
}

func TestQuickCallsAndTheirUndosRunAsLocalActivities(t *testing.T) {
	sc := newStepCase(t)
	rebookThenGiveUp(t, sc)

	if want := []bool{true, true, true, true}; !slices.Equal(sc.local, want) {
		t.Errorf("calls ran locally %v, want %v: each call and undo within a minute runs in the workflow task", sc.local, want)
	}
}

func TestCasesStartedBeforeLocalCallsKeepSchedulingActivities(t *testing.T) {
	sc := newStepCase(t)
	scheduledCalls(sc)
	rebookThenGiveUp(t, sc)

	if want := []bool{false, false, false, false}; !slices.Equal(sc.local, want) {
		t.Errorf("calls ran locally %v, want %v: a case keeps the scheme it started on", sc.local, want)
	}
}
