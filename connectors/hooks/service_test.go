package hooks_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/larder-council/larder/workflows"
)

// TestHookByKeyReachesOnlyItsOwnServiceWithoutTheAttribute: a case
// started before cases carried their service is reached by another
// service's hook only if its reference is not that other service's.
// Security review, "And then": hooks skip the per-service check.
func TestHookByKeyReachesOnlyItsOwnServiceWithoutTheAttribute(t *testing.T) {
	e := start(t)
	booking := fmt.Sprintf("GB-%d", time.Now().UnixNano())
	ref := e.submit(t, "garden", map[string]any{"booking": booking})
	// A garden-renewal case, also waiting for "collected" on the booking,
	// started as Larder did before cases carried their service.
	r := e.recipe(t, "garden-renewal")
	renewal := e.cases.NewReference(r, "")
	in := workflows.CaseInput{Reference: renewal, Recipe: *r, Answers: map[string]any{"booking": booking}, SubmittedAt: time.Now()}
	if _, err := e.cases.Temporal.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{ID: renewal, TaskQueue: e.cases.TaskQueue}, workflows.CaseWorkflow, in); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, renewal, func(d workflows.CaseDetail) bool { return len(d.Waiting) == 1 })
	waitListed(t, fmt.Sprintf("LarderCorrelation = '%s' AND ExecutionStatus = 'Running'", booking), 2)

	var delivered struct{ Delivered []string }
	if code := post(t, e.base+"/hooks/garden/collected", token, message(booking), &delivered); code != http.StatusAccepted {
		t.Fatalf("garden hook: %d %v", code, delivered)
	}
	if !slices.Equal(delivered.Delivered, []string{ref}) {
		t.Errorf("a garden hook reached %v, want only the garden case %s, not the renewal %s", delivered.Delivered, ref, renewal)
	}
	if d := e.waitFor(t, renewal, func(workflows.CaseDetail) bool { return true }); len(d.Waiting) != 1 {
		t.Errorf("the renewal case stopped waiting: %+v", d.Waiting)
	}
}
