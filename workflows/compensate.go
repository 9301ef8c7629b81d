package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/workflows/recipe"
)

// undo is a completed call that can be reversed.
type undo struct {
	step string
	key  string
	call *recipe.CallStep
}

// compensate runs the undos of completed calls, newest first (BPMN
// compensation). A failed undo is recorded for staff and the rest still run.
func (c *caseRun) compensate(ctx workflow.Context) {
	for i := len(c.undos) - 1; i >= 0; i-- {
		u := c.undos[i]
		input, err := recipe.Values(u.call.Undo.Input, c.env())
		if err == nil {
			opts := callOptions(u.call)
			err = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), a.Call, activities.CallRequest{
				Connector: u.call.Connector, Operation: u.call.Undo.Operation, Input: input, IdempotencyKey: u.key + "/undo",
			}).Get(ctx, nil)
		}
		if err != nil {
			c.record(ctx, u.step, "undo", "Could not undo: "+err.Error())
			continue
		}
		c.record(ctx, u.step, "undo", "Undone: "+u.call.Connector+" "+u.call.Undo.Operation)
	}
	c.undos = nil
}
