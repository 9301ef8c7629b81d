package workflows_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/workflows"
)

func TestEscalationMovesTheTaskInTheIndex(t *testing.T) {
	sc := newStepCase(t)
	sc.onIndex(nil)
	id := stepRef + "/review"
	sc.env.RegisterDelayedCallback(func() {
		sc.complete(workflows.Completion{TaskID: id, Outcome: "approve", By: "sup"})
	}, 25*time.Hour)

	sc.run(t, "step-task", nil)

	sc.completed(t, "Request approved")
	want := []string{"1 " + id + " @waste-team", "2 " + id + " @waste-supervisors", "3 " + id + " closed"}
	if got := sc.indexed(); !slices.Equal(got, want) {
		t.Errorf("index writes %q, want %q", got, want)
	}
	if !sc.index[1].Escalated || sc.index[0].Escalated {
		t.Errorf("escalated marks %v then %v, want the move marked escalated", sc.index[0].Escalated, sc.index[1].Escalated)
	}
	if !slices.Equal(sc.queues, []string{"waste-team", "waste-supervisors"}) {
		t.Errorf("the case lists queues %v, want both the task has been in", sc.queues)
	}
}

func TestCancelledCaseClosesItsOpenTask(t *testing.T) {
	sc := newStepCase(t)
	sc.onIndex(nil)
	sc.env.RegisterDelayedCallback(sc.env.CancelWorkflow, time.Hour)

	sc.run(t, "step-task", nil)

	id := stepRef + "/review"
	if want := []string{"1 " + id + " @waste-team", "2 " + id + " closed"}; !slices.Equal(sc.indexed(), want) {
		t.Errorf("index writes %q, want %q", sc.indexed(), want)
	}
	if m := sc.lastMemo(t); m[workflows.StatusMemo] != workflows.StatusCancelled {
		t.Errorf("the case's last memo is %v, want it cancelled", m)
	}
}

// taskBesideFailure runs a task beside a branch that fails the case.
const taskBesideFailure = permitForm + `steps:
  - id: both
    parallel:
      branches:
        - steps:
            - id: review
              task:
                queue: highways
                title: Review
                outcomes:
                  - { id: approve, label: Approve, next: noted }
            - id: noted
              set:
                approved: "yes"
        - steps:
            - id: pause
              wait:
                for: 1h
              next: refuse
            - id: refuse
              fail:
                outcome: Refused
    next: done
  - id: done
    end:
      outcome: Approved
`

func TestFailedBranchClosesTheTaskBesideIt(t *testing.T) {
	sc := newStepCase(t)
	sc.onIndex(nil)

	runInline(t, sc, "permit", taskBesideFailure)

	id := stepRef + "/review"
	if want := []string{"1 " + id + " @highways", "2 " + id + " closed"}; !slices.Equal(sc.indexed(), want) {
		t.Errorf("index writes %q, want %q", sc.indexed(), want)
	}
	if m := sc.lastMemo(t); m[workflows.StatusMemo] != workflows.StatusFailed {
		t.Errorf("the case's last memo is %v, want it failed", m)
	}
}

func TestIncidentIsIndexedUntilResolved(t *testing.T) {
	sc := newStepCase(t)
	sc.onIndex(nil)
	sc.on("book_collection", nil, outage()).Times(3)
	sc.env.RegisterDelayedCallback(func() {
		sc.resolve(workflows.Resolution{IncidentID: "book-1", Action: workflows.ActionSkip, Value: map[string]any{"id": "BK-9"}, By: "alex"})
	}, time.Hour)

	sc.run(t, "step-call", nil)

	sc.completed(t, "Collection booked")
	id := stepRef + "/book-1"
	if want := []string{"1 " + id + " @", "2 " + id + " closed"}; !slices.Equal(sc.indexed(), want) {
		t.Fatalf("index writes %q, want %q", sc.indexed(), want)
	}
	e := sc.index[0]
	if e.Kind != inbox.KindIncident || e.Step != "book" || e.Service != "step-call" || e.Title == "" ||
		!strings.Contains(e.Error, "temporarily unavailable") || e.OpenedAt.Before(started) {
		t.Errorf("incident indexed as %+v, want the step and the real error", e)
	}
	d := sc.detail(t)
	resolved := slices.IndexFunc(d.Timeline, func(e workflows.Event) bool { return e.Note == "Resolved: skip" })
	if resolved < 0 || d.Timeline[resolved].By != "alex" {
		t.Errorf("staff timeline %+v, want the resolution by alex", d.Timeline)
	}
	for _, e := range sc.view(t).Timeline {
		if e.By != "" || strings.Contains(e.Note, "alex") {
			t.Errorf("the resident's timeline names staff: %+v", e)
		}
	}
}

func TestIndexThatCannotBeWrittenDoesNotStopTheCase(t *testing.T) {
	sc := newStepCase(t)
	sc.onIndex(errors.New("redis: connection refused"))
	sc.env.RegisterDelayedCallback(func() {
		sc.complete(workflows.Completion{TaskID: stepRef + "/review", Outcome: "approve", By: "pat"})
	}, time.Hour)

	sc.run(t, "step-task", nil)

	sc.completed(t, "Request approved")
	if n := len(sc.indexed()); n < 4 {
		t.Errorf("%d index writes, want each write retried", n)
	}
	if c := sc.detail(t).Tasks[0].Completion; c == nil || c.At.After(started.Add(time.Hour+time.Minute)) {
		t.Errorf("completion %+v, want it taken at once though the index is down", c)
	}
	if end := sc.view(t).Timeline; end[len(end)-1].At.After(started.Add(time.Hour + time.Minute)) {
		t.Errorf("the case ended at %v, want within a minute of the completion", end[len(end)-1].At)
	}
}

func TestCasesStartedBeforeTheInboxIndexWriteNothing(t *testing.T) {
	sc := newStepCase(t)
	sc.onIndex(nil)
	sc.env.OnGetVersion("inbox-index", workflow.DefaultVersion, 2).Return(workflow.DefaultVersion)
	var claimed *update
	sc.env.RegisterDelayedCallback(func() {
		claimed = sc.update(workflows.AssignTask, workflows.Assignment{TaskID: stepRef + "/review", To: "pat", By: "pat"})
		sc.complete(workflows.Completion{TaskID: stepRef + "/review", Outcome: "approve", By: "pat"})
	}, 25*time.Hour)

	sc.run(t, "step-task", nil)

	sc.completed(t, "Request approved")
	if claimed == nil || !claimed.completed || claimed.err != nil {
		t.Errorf("claim on a case from before the index: %+v, want taken", claimed)
	}
	if len(sc.index) != 0 || len(sc.memos) != 0 || sc.queues != nil {
		t.Errorf("a case from before the index wrote %q, memos %v, queues %v; want nothing", sc.indexed(), sc.memos, sc.queues)
	}
}

func TestEmailStepTellsStaffWhomItWentTo(t *testing.T) {
	sc := newStepCase(t)

	sc.run(t, "step-email", nil)

	sc.completed(t, "Request received")
	for _, e := range sc.detail(t).Timeline {
		if e.Kind == "email" && e.Detail != "to s***@example.com" {
			t.Errorf("staff timeline email detail %q, want to s***@example.com", e.Detail)
		}
	}
	for _, e := range sc.view(t).Timeline {
		if strings.Contains(e.Note+e.Detail, "example.com") {
			t.Errorf("the resident's timeline shows the address: %+v", e)
		}
	}
}

func TestMaskAddresses(t *testing.T) {
	for in, want := range map[string]string{
		"sam@example.com":                       "s***@example.com",
		"Sam Resident <sam@example.com>":        "s***@example.com",
		"sam@example.com, alex@larchester.test": "s***@example.com, a***@larchester.test",
		"émile@example.com":                     "é***@example.com",
		"not an address":                        "***",
		"":                                      "",
	} {
		if got := workflows.MaskAddresses(in); got != want {
			t.Errorf("MaskAddresses(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCancelledCaseClosesItsOpenIncident(t *testing.T) {
	sc := newStepCase(t)
	sc.onIndex(nil)
	sc.on("book_collection", nil, outage()).Times(3)
	sc.env.RegisterDelayedCallback(sc.env.CancelWorkflow, time.Hour)

	sc.run(t, "step-call", nil)

	id := stepRef + "/book-1"
	if want := []string{"1 " + id + " @", "2 " + id + " closed"}; !slices.Equal(sc.indexed(), want) {
		t.Errorf("index writes %q, want %q: the incident leaves the inbox with the case", sc.indexed(), want)
	}
	if m := sc.lastMemo(t); m[workflows.StatusMemo] != workflows.StatusCancelled || len(m[workflows.WorkMemo].([]inbox.Entry)) != 0 {
		t.Errorf("the case's last memo is %v, want it cancelled with no open work", m)
	}
}
