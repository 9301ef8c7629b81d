package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/workflows/recipe"
)

// Task is a user task in a team's inbox.
type Task struct {
	ID           string           `json:"id"`
	Step         string           `json:"step"`
	Queue        string           `json:"queue"`
	Title        string           `json:"title"`
	Instructions string           `json:"instructions,omitempty"`
	Outcomes     []recipe.Outcome `json:"outcomes"`
	Fields       []recipe.Field   `json:"fields,omitempty"`
	OpenedAt     time.Time        `json:"opened_at"`
	DueAt        *time.Time       `json:"due_at,omitempty"`
	Escalated    bool             `json:"escalated"`
	Completion   *Completion      `json:"completion,omitempty"`
	// Assignee is the username of whoever has claimed the task, or empty.
	Assignee string `json:"assignee,omitempty"`
	// Notes are what staff wrote on the task, oldest first.
	Notes []Note `json:"notes,omitempty"`
	// Seq counts the task's changes (opened, claimed, moved, closed), so
	// the inbox index can ignore a write older than the one it holds.
	Seq int `json:"seq,omitempty"`

	// stopped marks a task the case no longer waits for: its branch or
	// the case was stopped. It takes no assignment, note or completion.
	stopped bool
}

// Note is a line staff add to a task.
type Note struct {
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// Assignment claims, releases or reassigns a task, sent as the
// assign-task update. From is who the caller saw holding the task (empty
// for nobody): if someone else claimed it meanwhile, the case refuses.
type Assignment struct {
	TaskID string `json:"task_id"`
	// From is the assignee the caller expects; To the new one, empty to
	// release the task.
	From string `json:"from"`
	To   string `json:"to"`
	// By is who is asking.
	By string `json:"by"`
}

// TaskNote adds a note to a task, sent as the add-note update.
type TaskNote struct {
	TaskID string `json:"task_id"`
	Text   string `json:"text"`
	By     string `json:"by"`
}

// Completion is staff finishing a task, sent as the complete-task update.
type Completion struct {
	TaskID  string         `json:"task_id"`
	Outcome string         `json:"outcome"`
	Values  map[string]any `json:"values,omitempty"`
	By      string         `json:"by"`
	At      time.Time      `json:"at"`
}

// task opens an inbox task and waits for staff to complete it; the outcome
// routes the case. An escalation timer runs alongside without closing it.
func (c *caseRun) task(ctx workflow.Context, s recipe.Step) (string, error) {
	ts := s.Task
	env := c.env()
	title, err := recipe.Render(ts.Title, env)
	if err != nil {
		return "", fmt.Errorf("title: %w", err)
	}
	instructions, err := recipe.Render(ts.Instructions, env)
	if err != nil {
		return "", fmt.Errorf("instructions: %w", err)
	}
	now := workflow.Now(ctx)
	t := &Task{
		ID: c.in.Reference + "/" + c.instance(s.ID), Step: s.ID, Queue: ts.Queue, Title: title,
		Instructions: instructions, Outcomes: ts.Outcomes, Fields: ts.Fields, OpenedAt: now,
	}
	if ts.Due.Duration > 0 || ts.Due.WorkingDays > 0 {
		due, err := c.dueAt(ctx, now, ts.Due)
		if err != nil {
			return "", fmt.Errorf("due: %w", err)
		}
		t.DueAt = &due
	}
	c.tasks = append(c.tasks, t)
	if s.Started == "" {
		c.record(ctx, s.ID, "task", "Passed to "+ts.Queue)
	}
	c.openTask(ctx, t)

	if e := ts.Escalate; e != nil {
		tctx, cancelTimer := workflow.WithCancel(ctx)
		defer cancelTimer()
		workflow.Go(tctx, func(gctx workflow.Context) { c.escalate(gctx, s, t, e) })
	}
	if err := workflow.Await(ctx, func() bool { return t.Completion != nil }); err != nil {
		c.stopTask(ctx, t)
		return "", err
	}
	done := t.Completion
	c.steps[s.ID] = map[string]any{"outcome": done.Outcome, "values": done.Values, "by": done.By, "completed_at": done.At}
	i := slices.IndexFunc(ts.Outcomes, func(o recipe.Outcome) bool { return o.ID == done.Outcome })
	// The title says the task is done, for residents too; staff read
	// the outcome either way.
	decided := "Decided: " + ts.Outcomes[i].Label
	c.recordBy(ctx, s.ID, "task", titleOr(s, decided), done.By)
	if s.Title != "" {
		c.timeline[len(c.timeline)-1].Result = decided
	}
	c.closeTask(ctx, t)
	return ts.Outcomes[i].Next, nil
}

// escalate waits for the escalation timer; if the task is still open it
// moves the task and sends the email, leaving the task open.
func (c *caseRun) escalate(ctx workflow.Context, s recipe.Step, t *Task, e *recipe.Escalation) {
	if err := c.sleepUntilEscalation(ctx, s, t, e.After); err != nil || t.Completion != nil {
		return
	}
	t.Escalated = true
	if e.Queue != "" {
		t.Queue = e.Queue
	}
	c.changeTask(ctx, t)
	c.record(ctx, s.ID, "escalated", "Escalated: not done within "+e.After.String())
	if e.Email != nil {
		if _, err := c.sendEmail(ctx, t.ID+"/escalation", e.Email, false); err != nil {
			note := "Escalation email not sent"
			if failedWith(err, activities.MaybeSentError) {
				note = "Escalation email may have gone" // not sent again: the task is there to be seen
			}
			c.recordDetail(ctx, s.ID, "escalated", note, c.redact(stepErrorMessage(err)))
		}
	}
}

// validateCompletion refuses unknown tasks, outcomes the task does not
// offer, and a second completion, before the update enters history.
func (c *caseRun) validateCompletion(done Completion) error {
	t := c.taskByID(done.TaskID)
	switch {
	case t == nil:
		return fmt.Errorf("no task %q on this case", done.TaskID)
	case t.Completion != nil:
		return fmt.Errorf("task %q was already completed by %s", done.TaskID, t.Completion.By)
	case t.stopped:
		return fmt.Errorf("task %q has closed: its case stopped waiting for it", done.TaskID)
	case !slices.ContainsFunc(t.Outcomes, func(o recipe.Outcome) bool { return o.ID == done.Outcome }):
		return fmt.Errorf("task %q has no outcome %q", done.TaskID, done.Outcome)
	case done.By == "":
		return fmt.Errorf("say who is completing the task")
	}
	return nil
}

func (c *caseRun) completeTask(ctx workflow.Context, done Completion) (string, error) {
	if err := c.validateCompletion(done); err != nil {
		return "", err
	}
	done.At = workflow.Now(ctx)
	c.taskByID(done.TaskID).Completion = &done
	return done.Outcome, nil
}

// taskByID is the newest task with the id: a step retried at an incident
// opens its task again with the same id.
func (c *caseRun) taskByID(id string) *Task {
	for i := len(c.tasks) - 1; i >= 0; i-- {
		if c.tasks[i].ID == id {
			return c.tasks[i]
		}
	}
	return nil
}
