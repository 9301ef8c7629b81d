package cases

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/larder-council/larder/workflows"
)

// CompleteTask completes an open task of the case with an outcome and
// waits for the case to take it. A task already completed, an outcome the
// task does not offer or an unknown task is a *RefusedError: the case's own
// validator refuses it before it is written to history, so a second
// completion never becomes a second outcome. So is any update to a case
// that has closed.
func (c *Client) CompleteTask(ctx context.Context, ref string, done workflows.Completion) (string, error) {
	return c.update(ctx, ref, workflows.CompleteTask, done)
}

// ResolveIncident retries, skips or cancels at a step that failed with
// nowhere to route; a refusal is a *RefusedError.
func (c *Client) ResolveIncident(ctx context.Context, ref string, r workflows.Resolution) (string, error) {
	return c.update(ctx, ref, workflows.ResolveIncident, r)
}

// update sends an update and waits for the case to take it.
func (c *Client) update(ctx context.Context, ref, name string, arg any) (string, error) {
	if !ValidReference(ref) {
		return "", ErrNoCase
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	h, err := c.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: ref, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var result string
	if err == nil {
		err = h.Get(ctx, &result)
	}
	if err == nil {
		return result, nil
	}
	if errors.Is(notFound(err), ErrNoCase) {
		// Temporal says the same of a case that has closed (staff pressing
		// complete twice on a case's last task) as of one that never was.
		if c.closed(ctx, ref) {
			return "", &RefusedError{Reason: "this case has closed; nothing more can be done on it"}
		}
		return "", ErrNoCase
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return "", &RefusedError{Reason: app.Message()}
	}
	return "", fmt.Errorf("update case: %w", err)
}

// closed reports whether Temporal has a closed case with the reference.
func (c *Client) closed(ctx context.Context, ref string) bool {
	d, err := c.Temporal.DescribeWorkflowExecution(ctx, ref, "")
	return err == nil && d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
}

// Cancel asks the case to stop; calls it completed with an undo are
// reversed, newest first, before it closes as cancelled.
func (c *Client) Cancel(ctx context.Context, ref string) error {
	if !ValidReference(ref) {
		return ErrNoCase
	}
	// Temporal takes a cancellation of a closed case without complaint;
	// staff must not be told a finished case is being cancelled.
	d, err := c.Temporal.DescribeWorkflowExecution(ctx, ref, "")
	if err != nil {
		return notFound(err)
	}
	if d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return &RefusedError{Reason: "This case has already closed"}
	}
	if err := c.Temporal.CancelWorkflow(ctx, ref, ""); err != nil {
		return notFound(err)
	}
	return nil
}
