package cases_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"

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

// TestFinding15ReferenceIsNeverGivenToASecondCase repeats a submission's
// idempotency key after Temporal has deleted its case, as retention does:
// the new case gets a reference of its own, and the old reference still
// names no case. Before then, a repeat across midnight finds the case.
//
// Security finding 15: a repeated key after the case was gone started a
// new case with the same reference.
func TestFinding15ReferenceIsNeverGivenToASecondCase(t *testing.T) {
	r := permit(t, "1")
	e := newEnv(t, r)
	ctx := context.Background()
	first := time.Date(2026, time.March, 2, 23, 0, 0, 0, time.UTC)

	ref, err := e.cases.StartAt(ctx, r, map[string]any{"street": "Orchard Way"}, "key-1", first)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := e.cases.StartAt(ctx, r, map[string]any{"street": "Orchard Way"}, "key-1", first.Add(2*time.Hour)); err != nil || again != ref {
		t.Fatalf("repeat two hours later, after midnight: %q, %v; want the case %s", again, err, ref)
	}

	// Retention ends: Temporal deletes the case.
	if _, err := e.cases.Temporal.WorkflowService().DeleteWorkflowExecution(ctx, &workflowservice.DeleteWorkflowExecutionRequest{
		Namespace: e.cases.Namespace, WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: ref},
	}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := e.cases.View(ctx, ref); errors.Is(err, cases.ErrNoCase) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("case %s not deleted after 30 seconds", ref)
		}
	}

	seen := map[string]string{ref: "the deleted case"}
	for _, later := range []time.Duration{24 * time.Hour, 2160 * time.Hour, 3 * 2160 * time.Hour} {
		street := "Mill Lane " + later.String()
		got, err := e.cases.StartAt(ctx, r, map[string]any{"street": street}, "key-1", first.Add(later))
		if err != nil {
			t.Fatalf("key repeated %s later: %v", later, err)
		}
		if before, ok := seen[got]; ok {
			t.Fatalf("key repeated %s later, after its case was deleted, got %s, the reference of %s", later, got, before)
		}
		seen[got] = "the case started " + later.String() + " later"
		d := e.waitDetail(t, got, hasOpenTask)
		if d.Form["street"] != street {
			t.Errorf("case %s has the answers %v; want the street %q", got, d.Form, street)
		}
	}
	if _, err := e.cases.View(ctx, ref); !errors.Is(err, cases.ErrNoCase) {
		t.Errorf("the deleted case's reference %s names a case again: %v", ref, err)
	}
}

// TestCheckRetentionRefusesLessThanADay refuses a namespace where a case
// could be deleted on the day it started, and its reference minted again.
func TestCheckRetentionRefusesLessThanADay(t *testing.T) {
	e := newEnv(t, permit(t, "1"))
	ctx := context.Background()
	if err := e.cases.CheckRetention(ctx); err != nil {
		t.Errorf("the test server's namespace: %v", err)
	}
	short := *e.cases
	short.Namespace = "short-" + strings.ReplaceAll(e.cases.TaskQueue, "/", "-")
	if _, err := short.Temporal.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: short.Namespace, WorkflowExecutionRetentionPeriod: durationpb.New(time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	err := short.CheckRetention(ctx)
	for _, want := range []string{short.Namespace, "keeps closed cases for 1h0m0s", "raise the namespace's retention"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckRetention on a namespace keeping cases an hour: %v; want it to say %q", err, want)
		}
	}
}

// TestFinding5KeyWithOtherAnswersIsRefused repeats an idempotency key with
// other answers, the same day and the day after: each is ErrKeyReused,
// and no second case starts. The same answers still find the case.
//
// Security finding 5: a repeat with other answers was given the first
// case's reference, and its answers were dropped.
func TestFinding5KeyWithOtherAnswersIsRefused(t *testing.T) {
	r := permit(t, "1")
	e := newEnv(t, r)
	ctx := context.Background()
	first := time.Date(2026, time.March, 2, 23, 0, 0, 0, time.UTC)
	orchard := map[string]any{"street": "Orchard Way"}

	ref, err := e.cases.StartAt(ctx, r, orchard, "key-1", first)
	if err != nil {
		t.Fatal(err)
	}
	for _, later := range []time.Duration{time.Minute, 2 * time.Hour} {
		if got, err := e.cases.StartAt(ctx, r, map[string]any{"street": "Mill Lane"}, "key-1", first.Add(later)); !errors.Is(err, cases.ErrKeyReused) {
			t.Errorf("key repeated %s later with another street: %q, %v; want ErrKeyReused", later, got, err)
		}
		if got, err := e.cases.StartAt(ctx, r, map[string]any{"street": "Orchard Way"}, "key-1", first.Add(later)); err != nil || got != ref {
			t.Errorf("key repeated %s later with the same street: %q, %v; want %s", later, got, err, ref)
		}
	}
	if d := e.waitDetail(t, ref, hasOpenTask); d.Form["street"] != "Orchard Way" {
		t.Errorf("case %s has the answers %v; want the first street", ref, d.Form)
	}
	if got, err := e.cases.StartAt(ctx, r, orchard, cases.ScopedKey("someone else", "key-1"), first); err != nil || got == ref {
		t.Errorf("the key from another scope: %q, %v; want a case other than %s", got, err, ref)
	}
}
