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
// workflow with it. With an idempotency key the reference is derived from
// the key and the day (see keyDay), so a repeat returns the case already
// started, even after it has finished: always within a day of the first
// submission, never after two, and never, once Temporal has deleted the
// case, the old reference for a new one. The case carries its service and
// the terms staff search finds it by (SearchTerms).
func (c *Client) Start(ctx context.Context, r *recipe.Recipe, answers map[string]any, idempotencyKey string) (string, error) {
	return c.start(ctx, r, answers, idempotencyKey, time.Now())
}

// start is Start at the time now.
func (c *Client) start(ctx context.Context, r *recipe.Recipe, answers map[string]any, idempotencyKey string, now time.Time) (string, error) {
	if idempotencyKey == "" {
		for range 3 {
			ref, err := c.startAs(ctx, r, answers, c.NewReference(r, ""), false, now)
			var started *serviceerror.WorkflowExecutionAlreadyStarted
			if errors.As(err, &started) {
				continue // a random reference collided; draw another
			}
			return ref, err
		}
		return "", errors.New("start case: could not find a free reference")
	}
	day := dayOf(now)
	// A repeat just after midnight UTC finds the case the key started the
	// day before.
	yesterday := c.keyReference(r, idempotencyKey, day-1)
	_, err := c.Temporal.DescribeWorkflowExecution(ctx, yesterday, "")
	var none *serviceerror.NotFound
	switch {
	case err == nil:
		return yesterday, nil
	case !errors.As(err, &none):
		return "", fmt.Errorf("start case: %w", err)
	}
	return c.startAs(ctx, r, answers, c.keyReference(r, idempotencyKey, day), true, now)
}

// startAs starts the case with reference ref; when repeat, a case already
// started with it is the one asked for, running or finished.
func (c *Client) startAs(ctx context.Context, r *recipe.Recipe, answers map[string]any, ref string, repeat bool, now time.Time) (string, error) {
	opts := client.StartWorkflowOptions{
		ID:                                       ref,
		TaskQueue:                                c.TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: !repeat,
		TypedSearchAttributes:                    c.startAttributes(r, answers),
	}
	in := workflows.CaseInput{Reference: ref, Recipe: *r, Answers: answers, SubmittedAt: now.UTC()}
	_, err := c.Temporal.ExecuteWorkflow(ctx, opts, workflows.CaseWorkflow, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case err == nil, errors.As(err, &started) && repeat:
		return ref, nil
	case errors.As(err, &started):
		return "", err
	}
	return "", fmt.Errorf("start case: %w", err)
}
