package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/workflows/recipe"
)

// Undo is a completed call's reversal, ready to run: its inputs were
// rendered when the call succeeded, so each pass of a loop undoes its own
// booking. A child case hands its undos to its parent in CaseResult.
type Undo struct {
	Step    string                 `json:"step"`
	Request activities.CallRequest `json:"request"`
	Timeout time.Duration          `json:"timeout"`
}

// undoFor renders a call step's undo right after the call succeeded.
func (c *caseRun) undoFor(s recipe.Step, key string) (Undo, error) {
	input, err := recipe.Values(s.Call.Undo.Input, c.env())
	if err != nil {
		return Undo{}, fmt.Errorf("undo input: %w", err)
	}
	return Undo{Step: s.ID, Timeout: s.Call.Timeout, Request: activities.CallRequest{
		Connector: s.Call.Connector, Operation: s.Call.Undo.Operation, Input: input, IdempotencyKey: key + "/undo",
	}}, nil
}

// compensate runs the undos of completed calls, newest first (BPMN
// compensation). A failed undo is recorded for staff and the rest still run.
func (c *caseRun) compensate(ctx workflow.Context) {
	for i := len(c.undos) - 1; i >= 0; i-- {
		u := c.undos[i]
		opts := callOptions(&recipe.CallStep{Timeout: u.Timeout})
		opts.ActivityID = c.activityID(u.Request.IdempotencyKey)
		err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), a.Call, u.Request).Get(ctx, nil)
		if err != nil {
			c.recordDetail(ctx, u.Step, "undo", "Could not undo", c.redact(stepErrorMessage(err)))
			continue
		}
		c.record(ctx, u.Step, "undo", "Undone: "+u.Request.Connector+" "+u.Request.Operation)
	}
	c.undos = nil
}
