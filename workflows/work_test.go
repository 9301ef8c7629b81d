package workflows_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// onIndex records every inbox index write, the case's memo of its open
// work and the queues it lists, answering each write with err.
func (sc *stepCase) onIndex(err error) {
	sc.env.OnActivity(a.IndexWork, mock.Anything, mock.Anything).Return(func(_ context.Context, e inbox.Entry) error {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		sc.index = append(sc.index, e)
		return err
	})
	sc.env.OnUpsertMemo(mock.Anything).Return(nil).Run(func(args mock.Arguments) {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		sc.memos = append(sc.memos, args.Get(0).(map[string]any))
	})
	sc.env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil).Run(func(args mock.Arguments) {
		if qs, ok := args.Get(0).(temporal.SearchAttributes).GetKeywordList(workflows.QueuesKey); ok {
			sc.mu.Lock()
			defer sc.mu.Unlock()
			sc.queues = qs
		}
	})
}

// indexed lists the index writes: "seq assignee@queue" for an open task,
// "seq closed" for a closed one.
func (sc *stepCase) indexed() []string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	var out []string
	for _, e := range sc.index {
		s := strconv.Itoa(e.Seq) + " " + e.ID + " "
		if e.Closed {
			out = append(out, s+"closed")
		} else {
			out = append(out, s+e.Assignee+"@"+e.Queue)
		}
	}
	return out
}

// lastMemo is the case's memo as it last set it.
func (sc *stepCase) lastMemo(t *testing.T) map[string]any {
	t.Helper()
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if len(sc.memos) == 0 {
		t.Fatal("the case set no memo")
	}
	return sc.memos[len(sc.memos)-1]
}

// permitForm is the form of the skip permit the recipes written in these
// tests share; each adds its own steps.
const permitForm = `id: permit
version: "1"
title: Apply for a skip permit
reference_prefix: SP
form:
  pages:
    - id: where
      title: Where will the skip go?
      fields:
        - { id: street, type: text, label: Street, validate: required, example: Orchard Way }
`

// reviewThenWait is a task followed by a day's wait, so the case is still
// running, and takes updates, after the task closes.
const reviewThenWait = permitForm + `steps:
  - id: review
    task:
      queue: highways
      title: "Review skip permit on {{ form.street }}"
      outcomes:
        - { id: approve, label: Approve, next: settle }
      due: 72h
  - id: settle
    wait:
      for: 24h
    next: approved
  - id: approved
    end:
      outcome: Approved
`

// runInline runs the recipe written in the test, answering each question
// with its example.
func runInline(t *testing.T, sc *stepCase, name, yaml string) {
	t.Helper()
	r, err := recipe.Parse(name+".yaml", []byte(yaml), stepConnectors)
	if err != nil {
		t.Fatal(err)
	}
	answers := map[string]any{}
	for _, f := range r.Fields() {
		answers[f.ID] = f.Example
	}
	sc.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{Reference: stepRef, Recipe: *r, Answers: answers, SubmittedAt: started})
	if !sc.env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
}

func TestTaskClaimedNotedReassignedAndCompleted(t *testing.T) {
	sc := newStepCase(t)
	sc.onIndex(nil)
	id := stepRef + "/review"
	u := map[string]*update{}
	at := func(d time.Duration, f func()) { sc.env.RegisterDelayedCallback(f, d) }
	at(time.Hour, func() {
		u["claim"] = sc.update(workflows.AssignTask, workflows.Assignment{TaskID: id, To: "pat", By: "pat"})
		u["claim again"] = sc.update(workflows.AssignTask, workflows.Assignment{TaskID: id, To: "pat", By: "pat"})
		u["sam claims"] = sc.update(workflows.AssignTask, workflows.Assignment{TaskID: id, To: "sam", By: "sam"})
		u["unknown"] = sc.update(workflows.AssignTask, workflows.Assignment{TaskID: stepRef + "/nope", To: "sam", By: "sam"})
		u["nobody"] = sc.update(workflows.AssignTask, workflows.Assignment{TaskID: id, From: "pat", To: "sam"})
		u["empty note"] = sc.update(workflows.AddNote, workflows.TaskNote{TaskID: id, Text: "  \n ", By: "pat"})
		u["long note"] = sc.update(workflows.AddNote, workflows.TaskNote{TaskID: id, Text: strings.Repeat("é", workflows.MaxNote+1), By: "pat"})
		u["anonymous note"] = sc.update(workflows.AddNote, workflows.TaskNote{TaskID: id, Text: "Skip on the verge"})
		u["note"] = sc.update(workflows.AddNote, workflows.TaskNote{TaskID: id, Text: " Skip on the verge, not the road \n", By: "pat"})
		u["longest note"] = sc.update(workflows.AddNote, workflows.TaskNote{TaskID: id, Text: strings.Repeat("é", workflows.MaxNote), By: "pat"})
	})
	at(2*time.Hour, func() {
		if task := sc.detail(t).Tasks[0]; task.Assignee != "pat" || len(task.Notes) != 2 || task.Seq != 4 {
			t.Errorf("after the claim and notes the task is %+v, want pat's with two notes at seq 4", task)
		}
		u["stale release"] = sc.update(workflows.AssignTask, workflows.Assignment{TaskID: id, From: "sam", To: "", By: "sam"})
		u["reassign"] = sc.update(workflows.AssignTask, workflows.Assignment{TaskID: id, From: "pat", To: "alex", By: "sam"})
	})
	at(3*time.Hour, func() {
		u["complete"] = sc.complete(workflows.Completion{TaskID: id, Outcome: "approve", By: "alex"})
	})
	at(4*time.Hour, func() {
		u["claim closed"] = sc.update(workflows.AssignTask, workflows.Assignment{TaskID: id, From: "alex", To: "pat", By: "pat"})
		u["note closed"] = sc.update(workflows.AddNote, workflows.TaskNote{TaskID: id, Text: "Too late", By: "pat"})
	})

	runInline(t, sc, "permit", reviewThenWait)

	for _, ok := range []string{"claim", "claim again", "note", "longest note", "reassign", "complete"} {
		if x := u[ok]; x == nil || x.rejected != nil || !x.completed || x.err != nil {
			t.Errorf("%s: %+v, want accepted", ok, x)
		}
	}
	u["sam claims"].mustReject(t, "claim of a task pat holds", "pat claimed this task a moment ago")
	u["unknown"].mustReject(t, "claim of an unknown task", `no task "`+stepRef+`/nope"`)
	u["nobody"].mustReject(t, "assignment without who", "say who")
	u["empty note"].mustReject(t, "empty note", "write the note")
	u["long note"].mustReject(t, "note of 2001 characters", "at most 2000 characters")
	u["anonymous note"].mustReject(t, "note without who", "say who")
	u["stale release"].mustReject(t, "release by someone who never held it", "pat claimed this task a moment ago")
	u["claim closed"].mustReject(t, "claim of a completed task", "already completed by alex")
	u["note closed"].mustReject(t, "note on a completed task", "already completed by alex")
	sc.completed(t, "Approved")

	want := []string{"1 " + id + " @highways", "2 " + id + " pat@highways", "5 " + id + " alex@highways", "6 " + id + " closed"}
	if got := sc.indexed(); !slices.Equal(got, want) {
		t.Errorf("index writes %q, want %q: opened, claimed, reassigned, completed, each later than the last", got, want)
	}
	e := sc.index[0]
	if e.Kind != inbox.KindTask || e.Reference != stepRef || e.Service != "permit" || e.ServiceTitle != "Apply for a skip permit" ||
		e.Step != "review" || e.Title != "Review skip permit on Orchard Way" || !e.OpenedAt.Equal(started) ||
		e.DueAt == nil || !e.DueAt.Equal(started.Add(72*time.Hour)) {
		t.Errorf("opened task indexed as %+v", e)
	}
	d := sc.detail(t)
	task := d.Tasks[0]
	if task.Assignee != "alex" || task.Seq != 6 || len(task.Notes) != 2 {
		t.Fatalf("task = %+v, want alex's, closed at seq 6, with two notes", task)
	}
	if n := task.Notes[0]; n.By != "pat" || n.Text != "Skip on the verge, not the road" || !n.At.Equal(started.Add(time.Hour)) {
		t.Errorf("note = %+v, want pat's, trimmed, stamped at the update", n)
	}
	if !slices.Equal(sc.queues, []string{"highways"}) {
		t.Errorf("the case lists queues %v, want [highways]", sc.queues)
	}
	if m := sc.lastMemo(t); m[workflows.StatusMemo] != workflows.StatusCompleted || len(m[workflows.WorkMemo].([]inbox.Entry)) != 0 {
		t.Errorf("the case's last memo is %v, want it completed with no open work", m)
	}
	decided := slices.IndexFunc(d.Timeline, func(e workflows.Event) bool { return strings.HasPrefix(e.Note, "Decided") })
	if decided < 0 || d.Timeline[decided].By != "alex" {
		t.Errorf("staff timeline %+v, want the decision by alex", d.Timeline)
	}
	for _, e := range sc.view(t).Timeline {
		if e.By != "" {
			t.Errorf("the resident's timeline names %q on %q", e.By, e.Note)
		}
	}
}

func TestOpenWorkIsKeptInTheMemoWhileOpen(t *testing.T) {
	sc := newStepCase(t)
	sc.onIndex(nil)
	sc.env.RegisterDelayedCallback(func() {
		work, _ := sc.lastMemo(t)[workflows.WorkMemo].([]inbox.Entry)
		if len(work) != 1 || work[0].ID != stepRef+"/review" || work[0].Queue != "highways" || work[0].Seq != 1 {
			t.Errorf("while the task is open the memo holds %+v, want the task", work)
		}
		sc.update(workflows.AssignTask, workflows.Assignment{TaskID: stepRef + "/review", To: "pat", By: "pat"})
	}, time.Hour)
	sc.env.RegisterDelayedCallback(func() {
		work, _ := sc.lastMemo(t)[workflows.WorkMemo].([]inbox.Entry)
		if len(work) != 1 || work[0].Assignee != "pat" || work[0].Seq != 2 {
			t.Errorf("after the claim the memo holds %+v, want pat's task at seq 2", work)
		}
		sc.complete(workflows.Completion{TaskID: stepRef + "/review", Outcome: "approve", By: "pat"})
	}, 2*time.Hour)
	sc.env.RegisterDelayedCallback(func() {
		if work, _ := sc.lastMemo(t)[workflows.WorkMemo].([]inbox.Entry); len(work) != 0 {
			t.Errorf("after the completion the memo holds %+v, want no open work", work)
		}
	}, 3*time.Hour)

	runInline(t, sc, "permit", reviewThenWait)

	sc.completed(t, "Approved")
}

// A case that never had a task or an incident closes without a memo, one
// history event fewer: nothing of it was in the inbox, and Temporal's own
// status tells how it ended. A case with work still records its status.
func TestCaseWithoutWorkClosesWithoutAMemo(t *testing.T) {
	sc := newStepCase(t)
	sc.onIndex(nil)
	sc.on("reserve_vehicle", map[string]any{"vehicle": "VAN-7"}, nil).Once()
	sc.on("book_collection", map[string]any{"id": "BK-1", "status": "confirmed"}, nil).Once()
	sc.run(t, "step-call", nil)
	sc.completed(t, "Collection booked")
	if len(sc.memos) != 0 {
		t.Errorf("a case without work set memos %v, want none", sc.memos)
	}

	withWork := newStepCase(t)
	withWork.onIndex(nil)
	withWork.env.RegisterDelayedCallback(func() {
		withWork.complete(workflows.Completion{TaskID: stepRef + "/review", Outcome: "approve", By: "pat"})
	}, time.Hour)
	withWork.run(t, "step-task", nil)
	withWork.completed(t, "Request approved")
	if m := withWork.lastMemo(t); m[workflows.StatusMemo] != workflows.StatusCompleted {
		t.Errorf("a case with a task closed with memo %v, want its status", m)
	}
}
