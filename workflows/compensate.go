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
	// Retry is the call's own retry policy: a system worth retrying the
	// call on is worth retrying its undo on.
	Retry *recipe.Retry `json:"retry,omitempty"`
}

// undoFor renders a call step's undo right after the call succeeded.
func (c *caseRun) undoFor(s recipe.Step, key string) (Undo, error) {
	input, err := recipe.Values(s.Call.Undo.Input, c.env())
	if err != nil {
		return Undo{}, fmt.Errorf("undo input: %w", err)
	}
	return Undo{Step: s.ID, Timeout: s.Call.Timeout, Retry: s.Call.Retry, Request: activities.CallRequest{
		Connector: s.Call.Connector, Operation: s.Call.Undo.Operation, Input: input, IdempotencyKey: key + "/undo",
	}}, nil
}

// compensate runs the undos of completed calls, newest first (BPMN
// compensation). An undo that fails raises an incident, and the case waits
// for staff to retry it, mark it undone (done by hand) or leave it; cases
// started before undoIncidentsChange note the failure and go on. The rest
// of the undos run either way.
func (c *caseRun) compensate(ctx workflow.Context) {
	for i := len(c.undos) - 1; i >= 0; i-- {
		c.undo(ctx, c.undos[i])
	}
	c.undos = nil
}

// undo runs one undo until it succeeds or staff settle its incident.
func (c *caseRun) undo(ctx workflow.Context, u Undo) {
	for {
		opts := callOptions(&recipe.CallStep{Timeout: u.Timeout, Retry: u.Retry})
		err := c.runActivity(ctx, u.Request.IdempotencyKey, opts, a.Call, u.Request).Get(ctx, nil)
		if err == nil {
			c.record(ctx, u.Step, "undo", "Undone: "+u.Request.Connector+" "+u.Request.Operation)
			return
		}
		c.recordDetail(ctx, u.Step, "undo", "Could not undo", c.redact(stepErrorMessage(err)))
		if workflow.GetVersion(ctx, undoIncidentsChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			return
		}
		lob, _ := lobError(err)
		lob.Code = codeUndoFailed
		res, err := c.raiseIncident(ctx, u.Step, lob)
		if err != nil || res.Action != ActionRetry {
			return
		}
	}
}
