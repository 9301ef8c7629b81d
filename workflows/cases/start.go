package cases

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// startAttributes are the search attributes a case starts with: its
// service, and the terms staff search finds it by.
func (c *Client) startAttributes(r *recipe.Recipe, answers map[string]any) temporal.SearchAttributes {
	updates := []temporal.SearchAttributeUpdate{workflows.ServiceKey.ValueSet(r.ID)}
	if terms := c.SearchTerms(r, answers); len(terms) > 0 {
		updates = append(updates, workflows.SearchKey.ValueSet(terms))
	}
	return temporal.NewSearchAttributes(updates...)
}

// Start starts a case of the recipe with validated answers and returns its
// reference. The reference is the workflow id and Temporal refuses a second
// workflow with it, so a repeat with the same idempotency key returns the
// case already started, even after it has finished. The case carries its
// service and the terms staff search finds it by (SearchTerms).
func (c *Client) Start(ctx context.Context, r *recipe.Recipe, answers map[string]any, idempotencyKey string) (string, error) {
	for range 3 {
		ref := c.NewReference(r, idempotencyKey)
		opts := client.StartWorkflowOptions{
			ID:                                       ref,
			TaskQueue:                                c.TaskQueue,
			WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			WorkflowExecutionErrorWhenAlreadyStarted: idempotencyKey == "",
			TypedSearchAttributes:                    c.startAttributes(r, answers),
		}
		in := workflows.CaseInput{Reference: ref, Recipe: *r, Answers: answers, SubmittedAt: time.Now().UTC()}
		_, err := c.Temporal.ExecuteWorkflow(ctx, opts, workflows.CaseWorkflow, in)
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		switch {
		case err == nil:
			return ref, nil
		case errors.As(err, &started) && idempotencyKey != "":
			return ref, nil
		case errors.As(err, &started):
			continue // a random reference collided; draw another
		}
		return "", fmt.Errorf("start case: %w", err)
	}
	return "", errors.New("start case: could not find a free reference")
}
