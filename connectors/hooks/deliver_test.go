package hooks_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/workflows"
)

func TestHookDeliversByReferenceWhileTheCaseWaits(t *testing.T) {
	e := start(t)
	ref := e.submit(t, "bulky", map[string]any{"items": "Sofa"})
	hook := e.base + "/hooks/bulky/collected"
	var delivered struct{ Delivered []string }
	if code := post(t, hook, token, message(ref), &delivered); code != http.StatusAccepted || !slices.Equal(delivered.Delivered, []string{ref}) {
		t.Fatalf("hook: %d %v, want 202 delivered to %s", code, delivered, ref)
	}
	d := e.waitFor(t, ref, func(d workflows.CaseDetail) bool { return d.Status != workflows.StatusRunning })
	if d.Outcome != "Collected" {
		t.Errorf("case ended %s %q, want collected", d.Status, d.Outcome)
	}
	if got, _ := d.Steps["collected"].(map[string]any); fmt.Sprint(got["message"]) != "map[crew:C7]" {
		t.Errorf("the wait heard %v, want the crew's data", d.Steps["collected"])
	}
	if code := post(t, hook, token, message(ref), nil); code != http.StatusNotFound {
		t.Errorf("the same message once the case has closed: %d, want 404", code)
	}
}

// TestHookFindsCaseByBusinessKeyOnlyWhileItWaits posts a message by the
// booking number, then posts it again once the case has moved on: the
// second finds no case listening, rather than piling up in one that will
// never read it.
func TestHookFindsCaseByBusinessKeyOnlyWhileItWaits(t *testing.T) {
	e := start(t)
	// The test's own booking number: cases of other tests wait on theirs.
	booking := fmt.Sprintf("GB-%d", time.Now().UnixNano())
	ref := e.submit(t, "garden", map[string]any{"booking": booking})
	// Another service waits for a message of the same name on the same key.
	other := e.submit(t, "garden-renewal", map[string]any{"booking": booking})
	older := e.startWithoutService(t, booking)

	hook := e.base + "/hooks/garden/collected"
	// A search attribute is visible a moment after the case sets it.
	waitListed(t, fmt.Sprintf("LarderCorrelation = '%s' AND ExecutionStatus = 'Running'", booking), 3)
	var delivered struct{ Delivered []string }
	if code := post(t, hook, token, message(booking), &delivered); code != http.StatusAccepted {
		t.Fatalf("hook: %d %v", code, delivered)
	}
	if got := delivered.Delivered; len(got) != 2 || !slices.Contains(got, ref) || !slices.Contains(got, older) {
		t.Fatalf("delivered = %v, want %s and the older %s, not the other service's %s", got, ref, older, other)
	}
	task := e.waitFor(t, ref, func(d workflows.CaseDetail) bool { return len(d.Tasks) == 1 }).Tasks[0]

	var code int
	for range 50 {
		if code = post(t, hook, token, message(booking), nil); code == http.StatusNotFound {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code != http.StatusNotFound {
		t.Errorf("the same message after the wait: %d, want 404 as no case listens for %s now", code, booking)
	}
	if d := e.waitFor(t, other, func(workflows.CaseDetail) bool { return true }); len(d.Waiting) != 1 {
		t.Errorf("the other service's case stopped waiting: %+v", d.Waiting)
	}

	if _, err := e.cases.CompleteTask(t.Context(), ref, workflows.Completion{TaskID: task.ID, Outcome: "done", By: "pat"}); err != nil {
		t.Fatal(err)
	}
	if d := e.waitFor(t, ref, func(d workflows.CaseDetail) bool { return d.Status != workflows.StatusRunning }); d.Outcome != "Collected" {
		t.Errorf("case ended %s %q", d.Status, d.Outcome)
	}
}

// startWithoutService starts a garden case as Larder did before cases
// carried the service they belong to, and waits for its wait.
func (e *env) startWithoutService(t *testing.T, booking string) string {
	t.Helper()
	r := e.recipe(t, "garden")
	ref := e.cases.NewReference(r, "")
	in := workflows.CaseInput{Reference: ref, Recipe: *r, Answers: map[string]any{"booking": booking}, SubmittedAt: time.Now()}
	if _, err := e.cases.Temporal.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{ID: ref, TaskQueue: e.cases.TaskQueue}, workflows.CaseWorkflow, in); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, ref, func(d workflows.CaseDetail) bool { return len(d.Waiting) == 1 })
	return ref
}

// waitListed waits until Temporal's visibility lists n cases for the query.
func waitListed(t *testing.T, query string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := casetest.Client(t).ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err == nil && len(resp.Executions) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("visibility lists %d cases for %s, want %d (err %v)", len(resp.GetExecutions()), query, n, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestHookByReferenceReachesOnlyItsOwnService: a system allowed to post to
// one service's hook cannot move another service's case on by naming its
// reference.
func TestHookByReferenceReachesOnlyItsOwnService(t *testing.T) {
	e := start(t)
	ref := e.submit(t, "bulky", map[string]any{"items": "Sofa"})
	if code := post(t, e.base+"/hooks/garden/collected", token, message(ref), nil); code != http.StatusNotFound {
		t.Errorf("a garden hook naming a bulky case: %d, want 404", code)
	}
	if d := e.waitFor(t, ref, func(workflows.CaseDetail) bool { return true }); d.Status != workflows.StatusRunning {
		t.Errorf("the bulky case moved on to %s %q", d.Status, d.Outcome)
	}
}
