package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/workflows/recipe"
)

// subrecipe runs another recipe as a child case on the snapshot the parent
// carries. Its result (status, outcome, vars) becomes steps.<id>.
func (c *caseRun) subrecipe(ctx workflow.Context, s recipe.Step) (string, error) {
	sr := s.Subrecipe
	child, ok := c.in.Recipe.Subrecipes[sr.Recipe]
	if !ok {
		return "", fmt.Errorf("recipe %q was not part of this case's snapshot", sr.Recipe)
	}
	answers, err := recipe.Values(sr.Input, c.env())
	if err != nil {
		return "", fmt.Errorf("input: %w", err)
	}
	in := CaseInput{
		Reference:   c.in.Reference + "." + c.instance(s.ID),
		Recipe:      *child,
		Answers:     answers,
		SubmittedAt: workflow.Now(ctx),
	}
	// The child names the recipe it runs, as every case does, so hooks and
	// staff searches by service find it.
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            in.Reference,
		TypedSearchAttributes: temporal.NewSearchAttributes(ServiceKey.ValueSet(child.ID)),
	})
	var res CaseResult
	err = workflow.ExecuteChildWorkflow(cctx, CaseWorkflow, in).Get(ctx, &res)
	if err == nil {
		c.undos = append(c.undos, res.Undos...)
		c.steps[s.ID] = map[string]any{"status": res.Status, "outcome": res.Outcome, "vars": res.Vars}
		c.record(ctx, s.ID, "subrecipe", titleOr(s, child.Title+": "+res.Outcome))
		return s.Next, nil
	}
	if temporal.IsCanceledError(err) || sr.OnError == "" {
		return "", err
	}
	outcome := err.Error()
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		var failed CaseResult
		if app.HasDetails() && app.Details(&failed) == nil {
			outcome = failed.Outcome
		}
	}
	c.steps[s.ID] = map[string]any{"status": StatusFailed, "outcome": outcome, "error": map[string]any{"message": outcome}}
	c.record(ctx, s.ID, "subrecipe", child.Title+": "+outcome)
	return sr.OnError, nil
}
