package staff_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/larder-council/larder/workflows"
)

// TestCancelStopsTheCaseAndUndoesItsCalls cancels a case whose booking
// went through: the case closes cancelled and the booking is cancelled in
// the line-of-business system.
func TestCancelStopsTheCaseAndUndoesItsCalls(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, _ := booked(t, o)
	var reply map[string]any
	if code := o.postCase(t, ref, "/cancel", nil, &reply); code != http.StatusAccepted || reply["reference"] != ref {
		t.Fatalf("cancel: %d %v, want 202", code, reply)
	}
	d := o.closed(t, ref)
	if d.Status != workflows.StatusCancelled {
		t.Errorf("case ended %s %q, want cancelled", d.Status, d.Outcome)
	}
	if got := o.LOB.cancellations(); !slices.Equal(got, []string{"BKG-1"}) {
		t.Errorf("bookings cancelled in the line-of-business system: %v, want BKG-1", got)
	}
	if task := d.Tasks[0]; task.Completion != nil {
		t.Errorf("the cancelled case's task was completed: %+v", task.Completion)
	}
}

// TestCancellingAClosedCaseIsRefused: staff are never told a finished case
// is being cancelled.
func TestCancellingAClosedCaseIsRefused(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, _ := booked(t, o)
	if code := o.postCase(t, ref, "/cancel", nil, nil); code != http.StatusAccepted {
		t.Fatalf("first cancel: %d, want 202", code)
	}
	o.closed(t, ref)
	var problem map[string]any
	if code := o.postCase(t, ref, "/cancel", nil, &problem); code != http.StatusConflict || problem["title"] != "This case has already closed" {
		t.Errorf("cancelling the closed case: %d %v, want 409 saying it has closed", code, problem)
	}
}
