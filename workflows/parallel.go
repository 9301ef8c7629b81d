package workflows

import (
	"errors"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/workflows/recipe"
)

// parallel runs every branch at once and carries on when all are done. If
// one branch fails, the others are cancelled where they stand (their
// calls, timers, tasks and child cases), the timeline records the step
// each was stopped at, and the step fails with the first failure.
func (c *caseRun) parallel(ctx workflow.Context, s recipe.Step) (string, error) {
	branches := s.Parallel.Branches
	bctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(branches))
	done := 0
	for i, b := range branches {
		workflow.Go(bctx, func(gctx workflow.Context) {
			defer func() { done++ }()
			at, err := c.runFlow(gctx, b.Steps[0].ID)
			if err == nil {
				return
			}
			errs[i] = err
			if temporal.IsCanceledError(err) && ctx.Err() == nil {
				// Stopped by a sibling's failure, not by the case being cancelled.
				c.record(ctx, at, "stopped", "Stopped: a parallel branch failed")
			}
			cancel()
		})
	}
	if err := workflow.Await(ctx, func() bool { return done == len(branches) }); err != nil {
		return "", err
	}
	// A branch cancelled because a sibling failed is not the cause.
	var cause error
	for _, err := range errs {
		if err != nil && (cause == nil || temporal.IsCanceledError(cause)) {
			cause = err
		}
	}
	if cause != nil {
		if temporal.IsCanceledError(cause) && ctx.Err() == nil {
			return "", errors.New("a parallel branch was cancelled")
		}
		return "", cause
	}
	return s.Next, nil
}
