package cases_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
)

// TestViewOfARunningAndAFinishedCase is what a resident tracking a case
// sees while staff have it and once they have decided.
func TestViewOfARunningAndAFinishedCase(t *testing.T) {
	r := permit(t, "1")
	e := newEnv(t, r)
	ctx := context.Background()
	ref := e.start(t, r, map[string]any{"street": "Orchard Way"})
	task := openTask(e.waitDetail(t, ref, hasOpenTask))

	v, err := e.cases.View(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if v.Reference != ref || v.Service != "permit" || v.Status != workflows.StatusRunning || v.Outcome != "" ||
		v.RecipeVersion != "1+"+r.Hash || !slices.Equal(v.CurrentSteps, []string{"review"}) || v.SummaryOnly {
		t.Errorf("running case: %+v", v)
	}
	if len(v.Timeline) < 2 || v.Timeline[0].Note != "Submitted" {
		t.Errorf("running case's timeline: %+v; want Submitted, then the task", v.Timeline)
	}

	if _, err := e.cases.CompleteTask(ctx, ref, workflows.Completion{TaskID: task.ID, Outcome: "refuse", By: "pat"}); err != nil {
		t.Fatal(err)
	}
	e.waitClosed(t, ref)
	v, err = e.cases.View(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != workflows.StatusCompleted || v.Outcome != "Refused" || len(v.CurrentSteps) != 0 || v.SummaryOnly {
		t.Errorf("finished case: %+v", v)
	}
	if last := v.Timeline[len(v.Timeline)-1]; last.Note != "Refused" {
		t.Errorf("finished case's timeline ends %+v; want its outcome", last)
	}
}

// TestViewWhenNoWorkerAnswers stops the worker, as when every worker is
// down or restarting: a resident asking after a closed case still learns
// its status and outcome, and one asking after an open case learns it is
// in progress, from Temporal's own record, instead of an error.
func TestViewWhenNoWorkerAnswers(t *testing.T) {
	permitR, bin := permit(t, "1"), parse(t, "bin-size", binSizeRecipe)
	e := newEnv(t, permitR, bin)
	open := e.start(t, permitR, map[string]any{"street": "Orchard Way"})
	e.waitDetail(t, open, hasOpenTask)
	closed := e.start(t, bin, map[string]any{"litres": "240"})
	e.waitClosed(t, closed)
	e.stop()

	for ref, want := range map[string]workflows.CaseView{
		open:   {Service: "permit", Status: workflows.StatusRunning},
		closed: {Service: "bin-size", Status: workflows.StatusCompleted, Outcome: "Bin ordered"},
	} {
		v, err := e.cases.View(context.Background(), ref)
		if err != nil {
			t.Fatalf("%s with no worker: %v; want its status", ref, err)
		}
		if !v.SummaryOnly || v.Reference != ref || v.Service != want.Service || v.Status != want.Status || v.Outcome != want.Outcome {
			t.Errorf("%s with no worker: %+v; want %+v from Temporal's record", ref, v, want)
		}
		if v.CurrentSteps == nil || v.Timeline == nil {
			t.Errorf("%s with no worker: steps and timeline should be empty lists for the API, got %+v", ref, v)
		}
	}
}

// TestNoCase: a reference no case has is ErrNoCase everywhere, and one
// that is not a reference at all is turned away before Temporal is asked
// (the client here has no Temporal connection to ask).
func TestNoCase(t *testing.T) {
	r := permit(t, "1")
	e := newEnv(t, r)
	ctx := context.Background()
	unknown := e.cases.NewReference(r, "")
	offline := &cases.Client{Recipes: e.cases.Recipes}
	for _, tc := range []struct {
		name string
		c    *cases.Client
		ref  string
	}{
		{"unknown", e.cases, unknown},
		{"lower case", offline, strings.ToLower(unknown)},
		{"path", offline, "../../etc/passwd"},
		{"empty", offline, ""},
		{"confusable letters", offline, "SP-0OIL-UV11"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := map[string]error{}
			_, calls["View"] = tc.c.View(ctx, tc.ref)
			_, calls["Detail"] = tc.c.Detail(ctx, tc.ref)
			_, calls["CompleteTask"] = tc.c.CompleteTask(ctx, tc.ref, workflows.Completion{TaskID: tc.ref + "/review", Outcome: "approve", By: "pat"})
			_, calls["ResolveIncident"] = tc.c.ResolveIncident(ctx, tc.ref, workflows.Resolution{IncidentID: "review-1", Action: workflows.ActionRetry, By: "pat"})
			calls["Cancel"] = tc.c.Cancel(ctx, tc.ref)
			for name, err := range calls {
				if !errors.Is(err, cases.ErrNoCase) {
					t.Errorf("%s(%q) = %v; want ErrNoCase", name, tc.ref, err)
				}
			}
		})
	}
}

// TestDetail is what staff see of a case: its task and the answers, with
// sensitive ones redacted.
func TestDetail(t *testing.T) {
	r := permit(t, "1")
	e := newEnv(t, r)
	ref := e.start(t, r, map[string]any{"street": "Orchard Way", "phone": "01632 960001"})
	d := e.waitDetail(t, ref, hasOpenTask)
	if d.Reference != ref || d.Service != "permit" || d.Status != workflows.StatusRunning {
		t.Errorf("detail's view: %+v", d.CaseView)
	}
	if d.Form["street"] != "Orchard Way" || d.Form["phone"] != workflows.Redacted {
		t.Errorf("detail's answers: %v; want the street, and the phone number redacted", d.Form)
	}
	task := openTask(d)
	if len(d.Tasks) != 1 || task.ID != ref+"/review" || task.Queue != "highways" || task.Title != "Review skip permit on Orchard Way" || len(task.Outcomes) != 2 {
		t.Errorf("detail's tasks: %+v", d.Tasks)
	}
	if d.Incidents == nil || len(d.Incidents) != 0 || d.Waiting == nil {
		t.Errorf("detail lists no incidents or waits as empty lists: %+v, %+v", d.Incidents, d.Waiting)
	}
}
