package staff_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows"
)

func TestDetailShowsStaffTheCase(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, task := booked(t, o)
	d := o.detail(t, ref)
	if d.Reference != ref || d.Service != "booking" || d.Status != workflows.StatusRunning {
		t.Fatalf("detail %+v, want the running booking %s", d.CaseView, ref)
	}
	if d.Form["uprn"] != "100001000001" || d.Form["email"] != workflows.Redacted {
		t.Errorf("answers %v, want the UPRN shown and the email redacted", d.Form)
	}
	if book, _ := d.Steps["book"].(map[string]any); book["id"] != "BKG-1" {
		t.Errorf("step results %v, want the booking's id", d.Steps)
	}
	if task.Title != "Confirm booking BKG-1" || task.Queue != "waste-team" || len(task.Outcomes) != 2 || len(task.Fields) != 1 {
		t.Errorf("task %+v, want the crew's task with its outcomes and field", task)
	}
}

func TestTaskIsCompletedOnce(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, task := booked(t, o)
	var done map[string]any
	if code := o.postCase(t, ref, taskPath(ref, task), map[string]any{"outcome": "ok", "by": "pat", "values": map[string]any{"crew": "C7"}}, &done); code != http.StatusOK || done["result"] != "ok" || done["reference"] != ref {
		t.Fatalf("complete: %d %v, want 200 with the outcome", code, done)
	}
	var p problem
	if code := o.postCase(t, ref, taskPath(ref, task), map[string]any{"outcome": "no", "by": "alex", "values": map[string]any{"crew": "C9"}}, &p); code != http.StatusConflict || !strings.Contains(p.Title, "already completed by pat") {
		t.Errorf("a second completion: %d %+v, want 409 naming who completed it", code, p)
	}
	d := o.waitFor(t, ref, func(d workflows.CaseDetail) bool { return len(d.Tasks) == 2 })
	if collect := openTask(d); collect == nil || collect.Step != "collect" {
		t.Fatalf("after the first outcome the open task is %+v, want the collection", collect)
	}
	if out, _ := d.Steps["check"].(map[string]any); out["outcome"] != "ok" || out["by"] != "pat" {
		t.Errorf("the task's result is %v, want pat's outcome", d.Steps["check"])
	}
	if c := d.Tasks[0].Completion; c == nil || c.By != "pat" || c.Outcome != "ok" || c.Values["crew"] != "C7" {
		t.Errorf("task completion %+v, want pat's", c)
	}
	decided := 0
	for _, ev := range d.Timeline {
		if strings.HasPrefix(ev.Note, "Decided") {
			decided++
		}
	}
	if decided != 1 {
		t.Errorf("%d decisions on the timeline, want one: %+v", decided, d.Timeline)
	}
}

func TestOutcomeNotOfferedIsRefused(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, task := booked(t, o)
	var p problem
	if code := o.postCase(t, ref, taskPath(ref, task), map[string]any{"outcome": "maybe", "by": "pat", "values": map[string]any{"crew": "C7"}}, &p); code != http.StatusConflict || !strings.Contains(p.Title, `no outcome "maybe"`) {
		t.Errorf("an outcome the task does not offer: %d %+v, want 409", code, p)
	}
	if code := o.postCase(t, ref, taskPath(ref, task), map[string]any{"outcome": "ok", "values": map[string]any{"crew": "C7"}}, &p); code != http.StatusConflict || !strings.Contains(p.Title, "who") {
		t.Errorf("a completion by nobody: %d %+v, want 409 asking who", code, p)
	}
	if d := o.detail(t, ref); openTask(d) == nil || d.Status != workflows.StatusRunning {
		t.Errorf("after refusals the task is %+v, want it still open", d.Tasks)
	}
}

func TestTaskFieldsAreChecked(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, task := booked(t, o)
	for name, values := range map[string]map[string]any{
		"missing":   nil,
		"too long":  {"crew": "C7-NIGHT"},
		"not asked": {"crew": "C7", "colour": "green"},
	} {
		var p problem
		if code := o.postCase(t, ref, taskPath(ref, task), map[string]any{"outcome": "ok", "by": "pat", "values": values}, &p); code != http.StatusUnprocessableEntity || len(p.Errors) != 1 {
			t.Errorf("%s: %d %+v, want 422 with one answer to fix", name, code, p)
		}
	}
	if d := o.detail(t, ref); openTask(d) == nil {
		t.Error("a completion with answers to fix closed the task")
	}
}

func TestUnknownTaskIs404(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, _ := booked(t, o)
	var p problem
	if code := o.postCase(t, ref, "/tasks/nope/complete", map[string]any{"outcome": "ok", "by": "pat"}, &p); code != http.StatusNotFound || !strings.Contains(p.Title, "no such task") {
		t.Errorf("an unknown task: %d %+v, want 404", code, p)
	}
}
