package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/workflows/recipe"
)

// dueAt is when a period starting at from ends. A length of time is added
// here, with no activity, as it always was, so cases recorded before
// working days replay unchanged; working days are counted on the council
// calendar by the DueAt local activity, whose answer the history keeps, so
// a later change to the calendar moves no task already open.
func (c *caseRun) dueAt(ctx workflow.Context, from time.Time, p recipe.Period) (time.Time, error) {
	if p.WorkingDays == 0 {
		return from.Add(p.Duration), nil
	}
	var at time.Time
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	err := workflow.ExecuteLocalActivity(lctx, a.DueAt, activities.DueRequest{From: from, Period: p}).Get(lctx, &at)
	return at, err
}

// sleepUntilEscalation waits until a task's escalation is due: a timer for
// a length of time, as before working days; for working days, a timer to
// the time the calendar gives. If the calendar cannot answer, the timeline
// says so for staff and the task never escalates.
func (c *caseRun) sleepUntilEscalation(ctx workflow.Context, s recipe.Step, t *Task, after recipe.Period) error {
	if after.WorkingDays == 0 {
		return workflow.NewTimer(ctx, after.Duration).Get(ctx, nil)
	}
	at, err := c.dueAt(ctx, t.OpenedAt, after)
	if err != nil {
		if ctx.Err() == nil {
			c.recordDetail(ctx, s.ID, "escalated", "Escalation time not worked out", stepErrorMessage(err))
		}
		return err
	}
	if wait := at.Sub(workflow.Now(ctx)); wait > 0 {
		return workflow.NewTimer(ctx, wait).Get(ctx, nil)
	}
	return nil
}
