package workflows_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// kindScenarios are the recipes of each step kind, and the shipped
// missed-bin recipe, with where each ends when staff pick every task's
// first outcome, the awaited messages arrive, and the back office gives
// the replies. step-wait, whose first wait is an hour, is left out;
// step-wait-timers waits on the real server.
var kindScenarios = []struct {
	recipe, outcome string
	replies         map[string]map[string]any
}{
	{"bulky-waste", "Items collected", nil},
	{"missed-bin", "Missed collection reported", map[string]map[string]any{"get_property": {"bins": []any{map[string]any{"type": "general"}}}}},
	{"step-call", "Collection booked", nil},
	{"step-decide", "Standard collection", nil},
	{"step-email", "Request received", nil},
	{"step-end", "Question received", nil},
	{"step-fail", "No collection slot available", map[string]map[string]any{"book_collection": {"status": "full"}}},
	{"step-parallel", "Collection arranged", nil},
	{"step-rebook", "Collection booked", nil},
	{"step-set", "Priced", nil},
	{"step-subrecipe", "Collection booked", nil},
	{"step-task", "Request approved", nil},
	{"step-wait-timers", "Collected", nil},
}

// scenarioRecipes loads the step-kind recipes and missed-bin.
func scenarioRecipes(t *testing.T) map[string]*recipe.Recipe {
	t.Helper()
	rs, err := recipe.LoadDir(stepsDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	missedBin, err := recipe.LoadFile("../recipes/missed-bin.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*recipe.Recipe{}
	for _, r := range append(rs, missedBin) {
		byID[r.ID] = r
	}
	return byID
}

// TestCaseHistories runs a case of every step kind, a step incident
// resolved by staff and a wait on a business key on the embedded Temporal
// server, each to its expected end. Recording, it saves each history for
// TestReplayRecordedHistories (see recordCommand).
func TestCaseHistories(t *testing.T) {
	recipes := scenarioRecipes(t)
	for _, sc := range kindScenarios {
		t.Run(sc.recipe, func(t *testing.T) {
			t.Parallel()
			r := recipes[sc.recipe]
			office := &backOffice{replies: sc.replies}
			ref := startCase(t, caseWorker(t, office, r), r, nil)
			d := drive(t, ref)
			if d.Outcome != sc.outcome {
				t.Fatalf("ended %s with %q, want %q; timeline %+v", d.Status, d.Outcome, sc.outcome, d.Timeline)
			}
			if sc.recipe == "step-fail" && !slices.Contains(office.called(), "cancel_booking") {
				t.Error("no undo ran: the failed case should cancel its booking")
			}
			if recording() {
				recordHistory(t, casetest.Client(t), ref, sc.recipe)
			}
		})
	}
	t.Run("step-incident", func(t *testing.T) {
		t.Parallel()
		stepIncidentScenario(t)
	})
	t.Run("wait-forget-key", func(t *testing.T) {
		t.Parallel()
		waitForgetKeyScenario(t)
	})
	t.Run("task-assign", func(t *testing.T) {
		t.Parallel()
		taskAssignScenario(t, recipes["step-task"])
	})
	t.Run("task-cancel", func(t *testing.T) {
		t.Parallel()
		taskCancelScenario(t, recipes["step-task"])
	})
	t.Run("wait-flood", func(t *testing.T) {
		t.Parallel()
		waitFloodScenario(t)
	})
	t.Run("undo-fails", func(t *testing.T) {
		t.Parallel()
		undoFailsScenario(t, recipes["step-fail"])
	})
	t.Run("task-working-days", func(t *testing.T) {
		t.Parallel()
		taskWorkingDaysScenario(t)
	})
}

const binSizeRecipe = `id: bin-size
version: "1"
title: Order a larger bin
reference_prefix: OB
form:
  pages:
    - id: size
      title: What size of bin?
      fields:
        - { id: litres, type: text, label: Bin size in litres, validate: required, example: "240" }
steps:
  - id: price
    set:
      fee: "{{ int(form.litres) / 10 }}"
    next: done
  - id: done
    end:
      outcome: Bin ordered
`

// stepIncidentScenario has a designer's slip (no numeric rule on a number
// the recipe does sums with) meet an answer the sum cannot take: the case
// pauses with an incident, and staff skip the step.
func stepIncidentScenario(t *testing.T) {
	r, err := recipe.Parse("bin-size.yaml", []byte(binSizeRecipe), nil)
	if err != nil {
		t.Fatal(err)
	}
	ref := startCase(t, caseWorker(t, &backOffice{}), r, map[string]any{"litres": "the big one"})
	d := waitFor(t, ref, "incident", func(d workflows.CaseDetail) bool { return len(d.Incidents) == 1 })
	inc := d.Incidents[0]
	if inc.Step != "price" || inc.Code != "step_failed" || !strings.Contains(inc.Error, "the big one") || d.Status != workflows.StatusRunning {
		t.Fatalf("case %s with incident %+v, want running with one at price naming the answer", d.Status, inc)
	}
	sendUpdate(t, ref, workflows.ResolveIncident, workflows.Resolution{IncidentID: inc.ID, Action: workflows.ActionSkip, By: "sam"})
	if d = waitFor(t, ref, "end", closed); d.Status != workflows.StatusCompleted || d.Outcome != "Bin ordered" {
		t.Fatalf("case ended %s %q, want completed: Bin ordered", d.Status, d.Outcome)
	}
	if recording() {
		recordHistory(t, casetest.Client(t), ref, "step-incident")
	}
}

const gardenRecipe = `id: garden
version: "1"
title: Report a garden waste collection
reference_prefix: GW
form:
  pages:
    - id: booking
      title: Your booking
      fields:
        - { id: booking, type: text, label: Booking number, validate: required, example: GB-5521 }
steps:
  - id: collected
    wait:
      message: collected
      correlation: "{{ form.booking }}"
      for: 72h
    next: check
  - id: check
    task:
      queue: waste-team
      title: Check the collection
      outcomes:
        - { id: done, label: Done, next: finished }
  - id: finished
    end:
      outcome: Collected
`

// waitForgetKeyScenario waits for a message by booking number: the case
// lists the number while it waits and takes it off once the message came.
func waitForgetKeyScenario(t *testing.T) {
	r, err := recipe.Parse("garden.yaml", []byte(gardenRecipe), nil)
	if err != nil {
		t.Fatal(err)
	}
	ref := startCase(t, caseWorker(t, &backOffice{}), r, nil)
	waitFor(t, ref, "wait", func(d workflows.CaseDetail) bool { return len(d.Waiting) == 1 })
	if keys := correlationKeys(t, ref); !slices.Equal(keys, []string{"GB-5521"}) {
		t.Errorf("while waiting the case lists keys %v, want [GB-5521]", keys)
	}
	sendMessage(t, ref, workflows.Message{Name: "collected", Correlation: "GB-5521", Data: map[string]any{"crew": "C7"}})
	d := waitFor(t, ref, "task", func(d workflows.CaseDetail) bool { return len(d.Tasks) == 1 })
	if keys := correlationKeys(t, ref); len(keys) != 0 {
		t.Errorf("after the wait the case lists keys %v, want none", keys)
	}
	sendUpdate(t, ref, workflows.CompleteTask, workflows.Completion{TaskID: d.Tasks[0].ID, Outcome: "done", By: "pat"})
	if d = waitFor(t, ref, "end", closed); d.Outcome != "Collected" {
		t.Fatalf("case ended %s %q, want Collected", d.Status, d.Outcome)
	}
	if recording() {
		recordHistory(t, casetest.Client(t), ref, "wait-forget-key")
	}
}
