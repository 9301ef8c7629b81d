package workflows

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"go.temporal.io/sdk/workflow"
)

// MaxNote is the longest note staff may add to a task, in characters.
const MaxNote = 2000

// openTaskByID is the task with the id if it is still open, or an error
// saying why staff cannot work on it.
func (c *caseRun) openTaskByID(id string) (*Task, error) {
	t := c.taskByID(id)
	switch {
	case t == nil:
		return nil, fmt.Errorf("no task %q on this case", id)
	case t.Completion != nil:
		return nil, fmt.Errorf("task %q was already completed by %s", id, t.Completion.By)
	case t.stopped:
		return nil, fmt.Errorf("task %q has closed: its case stopped waiting for it", id)
	}
	return t, nil
}

// validateAssignment refuses an assignment of a task that is unknown or
// closed, or that someone else has claimed or released since the caller
// looked (From is not who holds it now), before it enters history.
// Assigning a task to whoever holds it already is accepted and changes
// nothing, so a claim sent twice is not refused.
func (c *caseRun) validateAssignment(as Assignment) error {
	t, err := c.openTaskByID(as.TaskID)
	switch {
	case err != nil:
		return err
	case as.By == "":
		return fmt.Errorf("say who is assigning the task")
	case t.Assignee == as.To:
		return nil
	case t.Assignee != as.From && t.Assignee == "":
		return fmt.Errorf("this task was released a moment ago: nobody holds it now")
	case t.Assignee != as.From:
		return fmt.Errorf("%s claimed this task a moment ago", t.Assignee)
	}
	return nil
}

// assignTask claims, releases or reassigns a task and writes the change to
// the inbox; it answers who holds the task now.
func (c *caseRun) assignTask(ctx workflow.Context, as Assignment) (string, error) {
	if err := c.validateAssignment(as); err != nil {
		return "", err
	}
	t := c.taskByID(as.TaskID)
	if t.Assignee != as.To {
		t.Assignee = as.To
		c.changeTask(ctx, t)
	}
	return t.Assignee, nil
}

// validateNote refuses a note on a task that is unknown or closed, an
// empty or overlong note, and one that does not say who wrote it.
func (c *caseRun) validateNote(n TaskNote) error {
	if _, err := c.openTaskByID(n.TaskID); err != nil {
		return err
	}
	text := strings.TrimSpace(n.Text)
	switch {
	case text == "":
		return fmt.Errorf("write the note")
	case utf8.RuneCountInString(text) > MaxNote:
		return fmt.Errorf("a note is at most %d characters; this one has %d", MaxNote, utf8.RuneCountInString(text))
	case n.By == "":
		return fmt.Errorf("say who is writing the note")
	}
	return nil
}

// addNote adds a note to a task, stamped with the case's clock.
func (c *caseRun) addNote(ctx workflow.Context, n TaskNote) (string, error) {
	if err := c.validateNote(n); err != nil {
		return "", err
	}
	t := c.taskByID(n.TaskID)
	t.Notes = append(t.Notes, Note{By: n.By, At: workflow.Now(ctx), Text: strings.TrimSpace(n.Text)})
	t.Seq++
	return "", nil
}
