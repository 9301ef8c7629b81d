// Package workflows interprets recipes. One workflow type, Case, runs every
// recipe: the recipe arrives as a validated snapshot in the input, so a case
// finishes on the version it started with and the workflow does no I/O.
package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/workflows/recipe"
)

// Names Temporal knows Larder's workflow and query by.
const (
	CaseWorkflow = "larder.case"
	CaseQuery    = "case"
)

// maxSteps stops a recipe that routes in circles from running forever.
const maxSteps = 1000

// Case statuses, as the API reports them.
const (
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
)

// CaseInput starts a case.
type CaseInput struct {
	// Reference is the case reference residents quote, e.g. MB-7K4Q-2PXD.
	Reference string `json:"reference"`
	// Recipe is the snapshot of the recipe version the case runs on.
	Recipe recipe.Recipe `json:"recipe"`
	// Answers are the resident's validated form answers.
	Answers map[string]any `json:"answers"`
	// SubmittedAt is when the resident submitted.
	SubmittedAt time.Time `json:"submitted_at"`
}

// CaseView is what the case query answers: progress without personal data.
type CaseView struct {
	Reference     string  `json:"reference"`
	Service       string  `json:"service"`
	RecipeVersion string  `json:"recipe_version"`
	Status        string  `json:"status"`
	Outcome       string  `json:"outcome,omitempty"`
	CurrentStep   string  `json:"current_step,omitempty"`
	Timeline      []Event `json:"timeline"`
}

// Event is one line of the case timeline.
type Event struct {
	At   time.Time `json:"at"`
	Step string    `json:"step"`
	Kind string    `json:"kind"`
	Note string    `json:"note"`
}

// caseRun is the state of one running case.
type caseRun struct {
	in    CaseInput
	steps map[string]any
	vars  map[string]any
	view  CaseView
}

// Case runs a recipe from its first step to an end.
func Case(ctx workflow.Context, in CaseInput) (CaseView, error) {
	c := &caseRun{
		in:    in,
		steps: map[string]any{},
		vars:  map[string]any{},
		view: CaseView{
			Reference:     in.Reference,
			Service:       in.Recipe.ID,
			RecipeVersion: in.Recipe.Version + "+" + in.Recipe.Hash,
			Status:        StatusRunning,
			Timeline:      []Event{},
		},
	}
	if err := workflow.SetQueryHandler(ctx, CaseQuery, func() (CaseView, error) { return c.view, nil }); err != nil {
		return c.view, err
	}
	c.record(ctx, "", "submitted", "Submitted")
	cur := in.Recipe.FirstStep()
	for n := 0; cur != ""; n++ {
		step, ok := in.Recipe.StepByID(cur)
		if !ok || n >= maxSteps {
			return c.fail(ctx, cur, fmt.Errorf("step %q: the recipe routes to a missing step or in circles", cur))
		}
		c.view.CurrentStep = cur
		next, err := c.execute(ctx, step)
		if err != nil {
			return c.fail(ctx, cur, fmt.Errorf("step %q: %w", cur, err))
		}
		cur = next
	}
	c.view.Status = StatusCompleted
	c.view.CurrentStep = ""
	return c.view, nil
}

// execute runs one step and returns the id of the next, or "" at an end.
func (c *caseRun) execute(ctx workflow.Context, s recipe.Step) (string, error) {
	switch {
	case s.Call != nil:
		return c.call(ctx, s)
	case s.Email != nil:
		return c.email(ctx, s)
	case s.Decide != nil:
		return c.decide(s)
	case s.End != nil:
		c.view.Outcome = s.End.Outcome
		c.record(ctx, s.ID, "end", s.End.Outcome)
		return "", nil
	}
	return "", fmt.Errorf("step has no kind")
}

// env is what expressions in the recipe see.
func (c *caseRun) env() recipe.Env {
	return recipe.Env{
		"form":  c.in.Answers,
		"vars":  c.vars,
		"steps": c.steps,
		"case": map[string]any{
			"reference":    c.in.Reference,
			"service":      c.in.Recipe.ID,
			"title":        c.in.Recipe.Title,
			"submitted_at": c.in.SubmittedAt,
		},
	}
}

func (c *caseRun) record(ctx workflow.Context, step, kind, note string) {
	c.view.Timeline = append(c.view.Timeline, Event{At: workflow.Now(ctx), Step: step, Kind: kind, Note: note})
}

func (c *caseRun) fail(ctx workflow.Context, step string, err error) (CaseView, error) {
	c.view.Status = StatusFailed
	c.record(ctx, step, "failed", err.Error())
	return c.view, err
}

// titleOr is the step's title for the timeline, or a default.
func titleOr(s recipe.Step, def string) string {
	if s.Title != "" {
		return s.Title
	}
	return def
}
