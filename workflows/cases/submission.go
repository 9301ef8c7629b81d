package cases

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// A Submission is a case to start whose reference the resident already
// has: intake answers the resident first and starts the case after.
type Submission struct {
	// Reference is the case's reference, as the resident was told it.
	Reference string
	// Recipe is the snapshot of the recipe version answered.
	Recipe *recipe.Recipe
	// Answers are the validated answers.
	Answers map[string]any
	// SubmittedAt is when the resident submitted.
	SubmittedAt time.Time
	// Hash is AnswersHash of Answers: the case keeps it, so a second start
	// (after a crash between the start and intake's record of it) knows
	// the case as its own.
	Hash string
	// Keyed marks a reference derived from an idempotency key: a case
	// already started with it and without a hash is taken as the same, as
	// Start does.
	Keyed bool
}

// ErrReferenceTaken means a random reference drawn for a submission names
// another case: the submission needs a new one.
var ErrReferenceTaken = errors.New("the reference names another case")

// AnswersHash is the SHA-256 of the answers as canonical JSON: the hash a
// case started through an idempotency key or from intake keeps.
func AnswersHash(answers map[string]any) (string, error) { return answersHash(answers) }

// KeyReferences are the references the idempotency key names for recipe
// r at now: today's, which a new submission gets, and yesterday's, which
// a repeat just after midnight UTC finds (see keyDay).
func (c *Client) KeyReferences(r *recipe.Recipe, idempotencyKey string, now time.Time) (today, yesterday string) {
	day := dayOf(now)
	return c.keyReference(r, idempotencyKey, day), c.keyReference(r, idempotencyKey, day-1)
}

// StartSubmission starts the case s describes under its reference. A case
// already started with it is this one when it keeps the same answers'
// hash (or, keyed, no hash), and then StartSubmission does nothing; with
// other answers it is ErrKeyReused when keyed and ErrReferenceTaken when not.
func (c *Client) StartSubmission(ctx context.Context, s Submission) error {
	opts := c.startOptions(s.Reference, s.Recipe, s.Answers, s.Hash)
	in := workflows.CaseInput{Reference: s.Reference, Recipe: *s.Recipe, Answers: s.Answers, SubmittedAt: s.SubmittedAt.UTC()}
	_, err := c.Temporal.ExecuteWorkflow(ctx, opts, workflows.CaseWorkflow, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &started):
		return fmt.Errorf("start case: %w", err)
	case s.Keyed:
		return c.sameAnswers(ctx, s.Reference, s.Hash)
	}
	switch got, err := c.keptHash(ctx, s.Reference); {
	case err != nil:
		return err
	case got != s.Hash:
		return ErrReferenceTaken
	}
	return nil
}
