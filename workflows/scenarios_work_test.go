package workflows_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// taskAssignScenario has pat claim a task and note it, a supervisor pass
// it to alex, and alex complete it.
func taskAssignScenario(t *testing.T, r *recipe.Recipe) {
	ref := startCase(t, caseWorker(t, &backOffice{}, r), r, nil)
	d := waitFor(t, ref, "task", func(d workflows.CaseDetail) bool { return len(d.Tasks) == 1 })
	id := d.Tasks[0].ID
	sendUpdate(t, ref, workflows.AssignTask, workflows.Assignment{TaskID: id, To: "pat", By: "pat"})
	sendUpdate(t, ref, workflows.AddNote, workflows.TaskNote{TaskID: id, Text: "Asked the resident about the fridge", By: "pat"})
	sendUpdate(t, ref, workflows.AssignTask, workflows.Assignment{TaskID: id, From: "pat", To: "alex", By: "sam"})
	d = waitFor(t, ref, "assignment", func(d workflows.CaseDetail) bool { return d.Tasks[0].Assignee == "alex" })
	if task := d.Tasks[0]; len(task.Notes) != 1 || task.Notes[0].By != "pat" {
		t.Fatalf("task %+v, want pat's note on it", task)
	}
	sendUpdate(t, ref, workflows.CompleteTask, workflows.Completion{TaskID: id, Outcome: "approve", By: "alex"})
	if d = waitFor(t, ref, "end", closed); d.Outcome != "Request approved" {
		t.Fatalf("case ended %s %q, want Request approved", d.Status, d.Outcome)
	}
	if recording() {
		recordHistory(t, casetest.Client(t), ref, "task-assign")
	}
}

// taskCancelScenario cancels a case while its task is open: the task
// leaves the inbox as the case closes.
func taskCancelScenario(t *testing.T, r *recipe.Recipe) {
	ref := startCase(t, caseWorker(t, &backOffice{}, r), r, nil)
	waitFor(t, ref, "task", func(d workflows.CaseDetail) bool { return len(d.Tasks) == 1 })
	if err := casetest.Client(t).CancelWorkflow(context.Background(), ref, ""); err != nil {
		t.Fatal(err)
	}
	if d := waitFor(t, ref, "end", closed); d.Status != workflows.StatusCancelled {
		t.Fatalf("case ended %s, want cancelled", d.Status)
	}
	if recording() {
		recordHistory(t, casetest.Client(t), ref, "task-cancel")
	}
}

// taskWorkingDaysScenario opens a task due in working days, counted on the
// council calendar, and completes it before it escalates.
func taskWorkingDaysScenario(t *testing.T) {
	r, err := recipe.Parse("permit.yaml", []byte(workingDaysPermit), nil)
	if err != nil {
		t.Fatal(err)
	}
	ref := startCase(t, caseWorker(t, &backOffice{}), r, nil)
	d := waitFor(t, ref, "task", func(d workflows.CaseDetail) bool { return len(d.Tasks) == 1 })
	task := d.Tasks[0]
	if task.DueAt == nil || task.DueAt.Sub(task.OpenedAt) < 48*time.Hour {
		t.Fatalf("task due %v, opened %v: want two working days later", task.DueAt, task.OpenedAt)
	}
	sendUpdate(t, ref, workflows.CompleteTask, workflows.Completion{TaskID: task.ID, Outcome: "approve", By: "sam"})
	if d = waitFor(t, ref, "end", closed); d.Outcome != "Approved" {
		t.Fatalf("case ended %s %q, want Approved", d.Status, d.Outcome)
	}
	if recording() {
		recordHistory(t, casetest.Client(t), ref, "task-working-days")
	}
}

// undoFailsScenario fails a booking whose cancellation the waste system
// refuses once: the case raises an incident for the undo, staff retry it,
// the booking is cancelled and the vehicle released, and the case closes.
func undoFailsScenario(t *testing.T, r *recipe.Recipe) {
	office := &backOffice{
		replies: map[string]map[string]any{"book_collection": {"status": "full"}},
		refuse:  map[string]int{"cancel_booking": 1},
	}
	ref := startCase(t, caseWorker(t, office, r), r, nil)
	d := waitFor(t, ref, "incident", func(d workflows.CaseDetail) bool { return len(d.Incidents) == 1 })
	inc := d.Incidents[0]
	if inc.Step != "book" || inc.Code != "undo_failed" || !strings.Contains(inc.Error, "booking is with a crew") || d.Status != workflows.StatusRunning {
		t.Fatalf("case %s with incident %+v, want running with an undo_failed incident at book giving the system's reason", d.Status, inc)
	}
	if slices.Contains(office.called(), "release_vehicle") {
		t.Errorf("the vehicle was released while the booking's undo waited for staff: undos run newest first, one at a time")
	}
	sendUpdate(t, ref, workflows.ResolveIncident, workflows.Resolution{IncidentID: inc.ID, Action: workflows.ActionRetry, By: "sam"})
	d = waitFor(t, ref, "end", closed)
	if d.Status != workflows.StatusFailed {
		t.Fatalf("case ended %s %q, want failed", d.Status, d.Outcome)
	}
	calls := office.called()
	if n := countOf(calls, "cancel_booking"); n != 2 || !slices.Contains(calls, "release_vehicle") {
		t.Errorf("calls %v; want cancel_booking twice (refused, then retried) and release_vehicle", calls)
	}
	if recording() {
		recordHistory(t, casetest.Client(t), ref, "undo-fails")
	}
}

func countOf(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

// waitFloodScenario has a system post a message nobody waits for more
// times than a case keeps, then the one the case waits for.
func waitFloodScenario(t *testing.T) {
	r, err := recipe.Parse("garden.yaml", []byte(gardenRecipe), nil)
	if err != nil {
		t.Fatal(err)
	}
	ref := startCase(t, caseWorker(t, &backOffice{}), r, nil)
	waitFor(t, ref, "wait", func(d workflows.CaseDetail) bool { return len(d.Waiting) == 1 })
	for i := range workflows.MaxQueuedMessages + 5 {
		sendMessage(t, ref, workflows.Message{Name: "weighed", Correlation: "GB-5521", Data: map[string]any{"kg": i}})
	}
	sendMessage(t, ref, workflows.Message{Name: "collected", Correlation: "GB-5521", Data: map[string]any{"crew": "C7"}})
	d := waitFor(t, ref, "task", func(d workflows.CaseDetail) bool { return len(d.Tasks) == 1 })
	sendUpdate(t, ref, workflows.CompleteTask, workflows.Completion{TaskID: d.Tasks[0].ID, Outcome: "done", By: "pat"})
	if d = waitFor(t, ref, "end", closed); d.Outcome != "Collected" {
		t.Fatalf("case ended %s %q, want Collected", d.Status, d.Outcome)
	}
	if recording() {
		recordHistory(t, casetest.Client(t), ref, "wait-flood")
	}
}

// A child case names the recipe it runs in LarderService, as a case a
// resident starts does, so a hook for that service finds it.
func TestChildCaseNamesItsService(t *testing.T) {
	r := scenarioRecipes(t)["step-subrecipe"]
	ref := startCase(t, caseWorker(t, &backOffice{}, r), r, nil)
	waitFor(t, ref, "end", closed)
	desc, err := casetest.Client(t).DescribeWorkflowExecution(context.Background(), ref+".payment", "")
	if err != nil {
		t.Fatal(err)
	}
	got := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()[workflows.ServiceKey.GetName()]
	if got == nil || !strings.Contains(string(got.GetData()), "bulky-fee") {
		t.Errorf("child case %s.payment has LarderService %v, want bulky-fee", ref, got)
	}
}
