package workflows_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows"
)

func TestTaskStepCompletedByStaff(t *testing.T) {
	sc := newStepCase(t)
	taskID := stepRef + "/review"
	var unknown, badOutcome, nobody, good *update
	sc.env.RegisterDelayedCallback(func() {
		d := sc.detail(t)
		if len(d.Tasks) != 1 {
			t.Fatalf("tasks = %+v, want one", d.Tasks)
		}
		task := d.Tasks[0]
		if task.ID != taskID || task.Queue != "waste-team" || task.Title != "Check bulky items for "+stepRef ||
			!strings.Contains(task.Instructions, "listed: Sofa, fridge.") || task.Completion != nil || task.Escalated {
			t.Errorf("task = %+v", task)
		}
		if task.DueAt == nil || !task.DueAt.Equal(started.Add(48*time.Hour)) {
			t.Errorf("task due %v, want 48h after it opened", task.DueAt)
		}
		if len(task.Fields) != 1 || task.Fields[0].ID != "crew_notes" {
			t.Errorf("task fields = %+v, want crew_notes", task.Fields)
		}
		if !slices.Equal(d.CurrentSteps, []string{"review"}) {
			t.Errorf("current steps = %v, want [review]", d.CurrentSteps)
		}
		unknown = sc.complete(workflows.Completion{TaskID: stepRef + "/nope", Outcome: "approve", By: "alex"})
		badOutcome = sc.complete(workflows.Completion{TaskID: taskID, Outcome: "maybe", By: "alex"})
		nobody = sc.complete(workflows.Completion{TaskID: taskID, Outcome: "approve"})
		good = sc.complete(workflows.Completion{TaskID: taskID, Outcome: "approve", By: "alex",
			Values: map[string]any{"crew_notes": "Fridge is in the front garden"}})
	}, 2*time.Hour)

	sc.run(t, "step-task", nil)

	unknown.mustReject(t, "unknown task", `no task "`+stepRef+`/nope"`)
	badOutcome.mustReject(t, "outcome the task does not offer", `has no outcome "maybe"`)
	nobody.mustReject(t, "completion without who", "say who")
	if good.rejected != nil || !good.completed || good.err != nil || good.result != "approve" {
		t.Errorf("completion: %+v, want accepted with result approve", good)
	}
	sc.completed(t, "Request approved")
	d := sc.detail(t)
	res := stepResult(t, d, "review")
	if res["outcome"] != "approve" || res["by"] != "alex" {
		t.Errorf("steps.review = %v", res)
	}
	if v, _ := res["values"].(map[string]any); v["crew_notes"] != "Fridge is in the front garden" {
		t.Errorf("steps.review.values = %v", res["values"])
	}
	if c := d.Tasks[0].Completion; c == nil || !c.At.Equal(started.Add(2*time.Hour)) {
		t.Errorf("completion = %+v, want stamped at the time of the update", c)
	}
	if len(sc.emails) != 0 {
		t.Errorf("sent %d emails for a task done in time, want no escalation", len(sc.emails))
	}
	sc.env.AssertExpectations(t)
}

func TestTaskStepEscalatesAndStaysOpen(t *testing.T) {
	sc := newStepCase(t)
	taskID := stepRef + "/review"
	sc.env.RegisterDelayedCallback(func() {
		if task := sc.detail(t).Tasks[0]; task.Escalated || task.Queue != "waste-team" || len(sc.emails) != 0 {
			t.Errorf("before 24h: task %+v, %d emails; want not escalated", task, len(sc.emails))
		}
	}, 23*time.Hour)
	var done *update
	sc.env.RegisterDelayedCallback(func() {
		d := sc.detail(t)
		task := d.Tasks[0]
		if !task.Escalated || task.Queue != "waste-supervisors" || task.Completion != nil {
			t.Errorf("after 24h: task = %+v, want escalated to waste-supervisors and still open", task)
		}
		if !slices.Equal(d.CurrentSteps, []string{"review"}) {
			t.Errorf("current steps = %v, want [review]: escalating does not close the task", d.CurrentSteps)
		}
		sc.mu.Lock()
		sent := slices.Clone(sc.emails)
		sc.mu.Unlock()
		if len(sent) != 1 {
			t.Fatalf("sent %d emails, want the escalation", len(sent))
		}
		if m := sent[0]; m.To != "waste-supervisors@larchester.gov.uk" || m.Key != taskID+"/escalation" ||
			m.Subject != "Overdue bulky waste check "+stepRef {
			t.Errorf("escalation email %q to %q keyed %q", m.Subject, m.To, m.Key)
		}
		done = sc.complete(workflows.Completion{TaskID: taskID, Outcome: "reject", By: "sup"})
	}, 25*time.Hour)

	sc.run(t, "step-task", nil)

	if done == nil || !done.completed || done.rejected != nil {
		t.Fatalf("completing the escalated task: %+v", done)
	}
	sc.completed(t, "Request rejected")
	if len(sc.emails) != 1 {
		t.Errorf("sent %d emails, want one escalation", len(sc.emails))
	}
	if got := kinds(sc.view(t)); got != "submitted task escalated task end" {
		t.Errorf("timeline kinds = %q", got)
	}
	sc.env.AssertExpectations(t)
}

// A task's `started` line is on the timeline as it opens, and its title
// once staff complete it, so a title that says what was done ("Checked
// by the waste team") never shows before anyone has looked. Staff read
// the outcome beside the title.
func TestTaskTimelineSaysStartedThenTitleWhenDone(t *testing.T) {
	sc := newStepCase(t)
	var atOpen workflows.CaseView
	sc.env.RegisterDelayedCallback(func() {
		atOpen = sc.view(t)
		sc.complete(workflows.Completion{TaskID: stepRef + "/check", Outcome: "ok", By: "pat"})
	}, time.Hour)
	sc.runRecipe(t, `id: checked
version: "1"
title: Report a missed bin collection
reference_prefix: CK
form:
  pages:
    - id: bin
      title: Which bin?
      fields:
        - { id: bin_type, type: text, label: Bin, example: general }
steps:
  - id: check
    started: Passed to the waste team to check
    title: Checked by the waste team
    task:
      queue: waste-team
      title: Check the missed bin
      outcomes:
        - { id: ok, label: Bin emptied, next: done }
  - id: done
    end:
      outcome: Reported
`, map[string]any{"bin_type": "general"})
	sc.completed(t, "Reported")
	notes := func(v workflows.CaseView) []string {
		var out []string
		for _, e := range v.Timeline {
			if e.Step == "check" {
				out = append(out, e.Note)
			}
		}
		return out
	}
	if got := notes(atOpen); !slices.Equal(got, []string{"Passed to the waste team to check"}) {
		t.Errorf("while the task is open residents read %q, want only the started line", got)
	}
	if got := notes(sc.view(t)); !slices.Equal(got, []string{"Passed to the waste team to check", "Checked by the waste team"}) {
		t.Errorf("once done residents read %q, want the started line then the title", got)
	}
	d := sc.detail(t)
	last := d.Timeline[len(d.Timeline)-2] // before the end
	if last.Step != "check" || last.Result != "Decided: Bin emptied" || last.By != "pat" {
		t.Errorf("staff read %+v for the completion, want the title with the outcome and who decided", last)
	}
}
