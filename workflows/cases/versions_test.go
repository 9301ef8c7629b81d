package cases_test

import (
	"context"
	"testing"

	"github.com/larder-council/larder/workflows"
)

// TestCaseFinishesOnTheVersionItStartedOn deploys version 2 of a recipe
// while a version 1 case waits on a task, then completes both: each ends
// as its own version says.
func TestCaseFinishesOnTheVersionItStartedOn(t *testing.T) {
	v1, v2 := permit(t, "1"), permit(t, "2")
	e := newEnv(t, v2) // the folder now holds version 2
	old := e.start(t, v1, map[string]any{"street": "Orchard Way"})
	e.waitDetail(t, old, hasOpenTask)
	fresh := e.start(t, v2, map[string]any{"street": "Orchard Way"})

	for _, ref := range []string{old, fresh} {
		task := openTask(e.waitDetail(t, ref, hasOpenTask))
		if _, err := e.cases.CompleteTask(context.Background(), ref, workflows.Completion{TaskID: task.ID, Outcome: "approve", By: "pat"}); err != nil {
			t.Fatalf("complete %s: %v", ref, err)
		}
	}
	if v := e.waitClosed(t, old); v.Outcome != "Approved on version 1" || v.RecipeVersion != "1+"+v1.Hash {
		t.Errorf("case started on version 1 finished %q on %s", v.Outcome, v.RecipeVersion)
	}
	if v := e.waitClosed(t, fresh); v.Outcome != "Approved on version 2" || v.RecipeVersion != "2+"+v2.Hash {
		t.Errorf("case started on version 2 finished %q on %s", v.Outcome, v.RecipeVersion)
	}
}
