package cases

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/larder-council/larder/workflows"
)

// CompleteTask completes an open task of the case with an outcome and
// waits for the case to take it. A task already completed, an outcome the
// task does not offer or an unknown task is a *RefusedError: the case's own
// validator refuses it before it is written to history, so a second
// completion never becomes a second outcome.
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
		return "", ErrNoCase
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return "", &RefusedError{Reason: app.Message()}
	}
	return "", fmt.Errorf("update case: %w", err)
}

// Cancel asks the case to stop; calls it completed with an undo are
// reversed, newest first, before it closes as cancelled.
func (c *Client) Cancel(ctx context.Context, ref string) error {
	if !ValidReference(ref) {
		return ErrNoCase
	}
	if err := c.Temporal.CancelWorkflow(ctx, ref, ""); err != nil {
		return notFound(err)
	}
	return nil
}
