package workflows_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	"github.com/larder-council/larder/workflows"
)

// workingDaysPermit is due in 2 working days and escalates after 1.
const workingDaysPermit = permitForm + `steps:
  - id: review
    task:
      queue: highways
      title: Review skip permit
      outcomes:
        - { id: approve, label: Approve, next: approved }
      due: 2 working days
      escalate:
        after: 1 working day
        queue: highways-managers
  - id: approved
    end:
      outcome: Approved
`

// The case starts on Friday 1 May 2026 at 10:00 in the UK; Monday 4 May
// is the early May bank holiday in England and Wales.
func TestWorkingDaysSkipTheWeekendAndTheBankHoliday(t *testing.T) {
	sc := newStepCase(t)
	sc.onIndex(nil)
	wednesday := time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
	tuesday := time.Date(2026, 5, 5, 9, 0, 0, 0, time.UTC)
	sc.env.RegisterDelayedCallback(func() {
		task := sc.detail(t).Tasks[0]
		if task.DueAt == nil || !task.DueAt.Equal(wednesday) {
			t.Errorf("task due %v, want Wednesday %v: two working days after a Friday before a bank holiday", task.DueAt, wednesday)
		}
		if task.Escalated {
			t.Error("escalated before a working day had passed")
		}
	}, tuesday.Add(-time.Minute).Sub(started))
	sc.env.RegisterDelayedCallback(func() {
		task := sc.detail(t).Tasks[0]
		if !task.Escalated || task.Queue != "highways-managers" {
			t.Errorf("on Tuesday the task is %+v, want it escalated to highways-managers", task)
		}
		sc.complete(workflows.Completion{TaskID: task.ID, Outcome: "approve", By: "sam"})
	}, tuesday.Add(time.Minute).Sub(started))

	runInline(t, sc, "permit", workingDaysPermit)

	sc.completed(t, "Approved")
	d := sc.detail(t)
	at := slices.IndexFunc(d.Timeline, func(e workflows.Event) bool { return e.Kind == "escalated" })
	if at < 0 || !d.Timeline[at].At.Equal(tuesday) || d.Timeline[at].Note != "Escalated: not done within 1 working day" {
		t.Errorf("timeline %+v, want the escalation on Tuesday after 1 working day", d.Timeline)
	}
	if e := sc.index[0]; e.DueAt == nil || !e.DueAt.Equal(wednesday) {
		t.Errorf("the inbox has the task due %v, want %v", e.DueAt, wednesday)
	}
}

func TestDueInHoursNeedsNoCalendar(t *testing.T) {
	sc := newStepCase(t)
	sc.env.OnActivity(a.DueAt, mock.Anything, mock.Anything).Never()
	sc.env.RegisterDelayedCallback(func() {
		task := sc.detail(t).Tasks[0]
		if !task.Escalated || task.DueAt == nil || !task.DueAt.Equal(started.Add(48*time.Hour)) {
			t.Errorf("task %+v, want due in 48h and escalated after 24h", task)
		}
		sc.complete(workflows.Completion{TaskID: task.ID, Outcome: "approve", By: "sam"})
	}, 25*time.Hour)

	sc.run(t, "step-task", nil)

	sc.completed(t, "Request approved")
	sc.env.AssertExpectations(t)
}
