package cases_test

import (
	"context"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
)

// TestStartOncePerIdempotencyKey submits the same form twice, as a
// resident double-clicking or a client retrying does, and again after the
// case has finished: each time the resident gets the one case.
func TestStartOncePerIdempotencyKey(t *testing.T) {
	r := permit(t, "1")
	e := newEnv(t, r)
	ctx := context.Background()
	answers := map[string]any{"street": "Orchard Way"}

	ref, err := e.cases.Start(ctx, r, answers, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	if !cases.ValidReference(ref) || !strings.HasPrefix(ref, "SP-") {
		t.Fatalf("reference %q does not look like SP-7K4Q-2PXD", ref)
	}
	first, err := e.cases.Temporal.DescribeWorkflowExecution(ctx, ref, "")
	if err != nil {
		t.Fatal(err)
	}
	runID := first.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	if again, err := e.cases.Start(ctx, r, answers, "key-1"); err != nil || again != ref {
		t.Fatalf("repeat with the same key: %q, %v; want %s", again, err, ref)
	}

	task := openTask(e.waitDetail(t, ref, hasOpenTask))
	if _, err := e.cases.CompleteTask(ctx, ref, workflows.Completion{TaskID: task.ID, Outcome: "approve", By: "pat"}); err != nil {
		t.Fatal(err)
	}
	if v := e.waitClosed(t, ref); v.Status != workflows.StatusCompleted {
		t.Fatalf("case ended %s", v.Status)
	}
	if again, err := e.cases.Start(ctx, r, answers, "key-1"); err != nil || again != ref {
		t.Fatalf("repeat after the case finished: %q, %v; want %s", again, err, ref)
	}
	// Still the finished case, not a new one waiting on a new task.
	now, err := e.cases.Temporal.DescribeWorkflowExecution(ctx, ref, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := now.GetWorkflowExecutionInfo().GetExecution().GetRunId(); got != runID {
		t.Errorf("repeat after the case finished started run %s; want the first, %s", got, runID)
	}
	if v, err := e.cases.View(ctx, ref); err != nil || v.Status != workflows.StatusCompleted {
		t.Errorf("after the repeat the case is %+v, %v; want it completed still", v, err)
	}

	other, err := e.cases.Start(ctx, r, answers, "key-2")
	if err != nil || other == ref {
		t.Errorf("another key: %q, %v; want a case other than %s", other, err, ref)
	}
	a, errA := e.cases.Start(ctx, r, answers, "")
	b, errB := e.cases.Start(ctx, r, answers, "")
	if errA != nil || errB != nil || a == b || a == ref || b == ref {
		t.Errorf("two submissions without a key: %q (%v) and %q (%v); want two new cases", a, errA, b, errB)
	}
}

// TestStartRefusedIsAnError shows a start Temporal turns down reaches the
// caller as an error, not as a reference to a case that does not exist.
func TestStartRefusedIsAnError(t *testing.T) {
	r := permit(t, "1")
	e := newEnv(t, r)
	bad := *e.cases
	bad.TaskQueue = "" // Temporal requires a task queue
	if ref, err := bad.Start(context.Background(), r, map[string]any{"street": "Orchard Way"}, "key-1"); err == nil {
		t.Errorf("start with no task queue gave %q and no error", ref)
	}
}
