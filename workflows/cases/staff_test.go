package cases_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
)

// licenceRecipe has staff review an application, then issue the licence.
const licenceRecipe = `id: licence
version: "1"
title: Apply for a street trading licence
reference_prefix: ST
form:
  pages:
    - id: pitch
      title: Where will you trade?
      fields:
        - { id: street, type: text, label: Street, validate: required, example: Market Square }
steps:
  - id: review
    task:
      queue: licensing
      title: Review the application
      outcomes:
        - { id: approve, label: Approve, next: issue }
        - { id: refuse, label: Refuse, next: refused }
  - id: issue
    task:
      queue: licensing
      title: Issue the licence
      outcomes:
        - { id: issued, label: Issued, next: done }
  - id: done
    end:
      outcome: Licence issued
  - id: refused
    end:
      outcome: Refused
`

// TestCompleteTaskOnlyOnce has two staff complete the same task: the
// second is refused, so the case takes one outcome only; and completing
// the last task again once the case has closed is refused too, not
// reported as a case that does not exist.
func TestCompleteTaskOnlyOnce(t *testing.T) {
	r := parse(t, "licence", licenceRecipe)
	e := newEnv(t, r)
	ctx := context.Background()
	ref := e.start(t, r, map[string]any{"street": "Market Square"})
	review := openTask(e.waitDetail(t, ref, hasOpenTask))

	var refused *cases.RefusedError
	_, err := e.cases.CompleteTask(ctx, ref, workflows.Completion{TaskID: review.ID, Outcome: "shrug", By: "pat"})
	if !errors.As(err, &refused) || !strings.Contains(refused.Reason, `no outcome "shrug"`) {
		t.Errorf("an outcome the task does not offer: %v; want a refusal naming it", err)
	}
	got, err := e.cases.CompleteTask(ctx, ref, workflows.Completion{TaskID: review.ID, Outcome: "approve", By: "pat"})
	if err != nil || got != "approve" {
		t.Fatalf("first completion: %q, %v", got, err)
	}
	_, err = e.cases.CompleteTask(ctx, ref, workflows.Completion{TaskID: review.ID, Outcome: "refuse", By: "sam"})
	if !errors.As(err, &refused) || !strings.Contains(refused.Error(), "already completed by pat") {
		t.Errorf("second completion: %v; want a refusal saying pat completed it", err)
	}

	issue := openTask(e.waitDetail(t, ref, func(d workflows.CaseDetail) bool { return hasOpenTask(d) && openTask(d).Step == "issue" }))
	if _, err := e.cases.CompleteTask(ctx, ref, workflows.Completion{TaskID: issue.ID, Outcome: "issued", By: "pat"}); err != nil {
		t.Fatal(err)
	}
	if v := e.waitClosed(t, ref); v.Outcome != "Licence issued" {
		t.Errorf("case ended %q; want the first completions' outcomes", v.Outcome)
	}
	_, err = e.cases.CompleteTask(ctx, ref, workflows.Completion{TaskID: issue.ID, Outcome: "issued", By: "sam"})
	if !errors.As(err, &refused) || !strings.Contains(refused.Reason, "case has closed") {
		t.Errorf("completing the last task again after the case closed: %v; want a refusal saying the case has closed", err)
	}
}

// TestResolveIncident has a resident's answer meet a sum it cannot take:
// the case pauses for staff, who skip the step, and the case goes on.
func TestResolveIncident(t *testing.T) {
	r := parse(t, "bin-size", binSizeRecipe)
	e := newEnv(t, r)
	ctx := context.Background()
	ref := e.start(t, r, map[string]any{"litres": "lots"})
	d := e.waitDetail(t, ref, func(d workflows.CaseDetail) bool { return len(d.Incidents) == 1 })
	inc := d.Incidents[0]
	if inc.Step != "price" || d.Status != workflows.StatusRunning {
		t.Fatalf("incident %+v on a %s case; want one at price, the case paused", inc, d.Status)
	}

	var refused *cases.RefusedError
	_, err := e.cases.ResolveIncident(ctx, ref, workflows.Resolution{IncidentID: inc.ID, Action: "ignore", By: "sam"})
	if !errors.As(err, &refused) || !strings.Contains(refused.Reason, "retry, skip or cancel") {
		t.Errorf("a bad action: %v; want a refusal naming the actions", err)
	}
	got, err := e.cases.ResolveIncident(ctx, ref, workflows.Resolution{IncidentID: inc.ID, Action: workflows.ActionSkip, By: "sam"})
	if err != nil || got != workflows.ActionSkip {
		t.Fatalf("skip: %q, %v", got, err)
	}
	if v := e.waitClosed(t, ref); v.Status != workflows.StatusCompleted || v.Outcome != "Bin ordered" {
		t.Errorf("case ended %s %q", v.Status, v.Outcome)
	}
	// The case has closed: nothing takes the update any more.
	_, err = e.cases.ResolveIncident(ctx, ref, workflows.Resolution{IncidentID: inc.ID, Action: workflows.ActionRetry, By: "sam"})
	if !errors.As(err, &refused) {
		t.Errorf("resolving an incident on a finished case: %v; want a refusal", err)
	}
}

// TestCancel ends a case waiting on staff as cancelled.
func TestCancel(t *testing.T) {
	r := permit(t, "1")
	e := newEnv(t, r)
	ref := e.start(t, r, map[string]any{"street": "Orchard Way"})
	e.waitDetail(t, ref, hasOpenTask)
	if err := e.cases.Cancel(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	if v := e.waitClosed(t, ref); v.Status != workflows.StatusCancelled || v.Outcome != "Cancelled" {
		t.Errorf("cancelled case: %s %q", v.Status, v.Outcome)
	}
}
