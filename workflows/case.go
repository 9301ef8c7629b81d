// Package workflows interprets recipes. One workflow type, Case, runs every
// recipe: the recipe arrives as a validated snapshot in the input, so a case
// finishes on the version it started with and the workflow does no I/O.
// Decisions, variables and templates run inline; side effects are activities.
package workflows

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/workflows/recipe"
)

// Names Temporal knows Larder's workflow, queries, updates and signals by.
const (
	CaseWorkflow = "larder.case"
	CaseQuery    = "case"
	DetailQuery  = "case-detail"
	// SensitiveDetailQuery is the detail with answers to sensitive
	// questions, for staff whose role may see them.
	SensitiveDetailQuery = "case-detail-sensitive"
	// RecipeQuery is the recipe snapshot the case runs, for drawing it.
	RecipeQuery     = "case-recipe"
	CompleteTask    = "complete-task"
	ResolveIncident = "resolve-incident"
	AssignTask      = "assign-task"
	AddNote         = "add-note"
	MessageSignal   = "message"
)

// maxSteps stops a recipe that routes in circles from running forever.
const maxSteps = 10000

// Case statuses, as the API reports them.
const (
	// StatusReceived is a submission taken in whose case has not started
	// yet (see package cases/intake); the case itself never has it.
	StatusReceived  = "received"
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
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

// CaseResult is what a finished case returns; a parent case sees it as
// steps.<id> of its subrecipe step.
type CaseResult struct {
	Status  string         `json:"status"`
	Outcome string         `json:"outcome"`
	Vars    map[string]any `json:"vars"`
	// Undos are the completed case's reversible calls, for a parent case to
	// run if it fails later.
	Undos []Undo `json:"undos,omitempty"`
}

// caseRun is the state of one running case.
type caseRun struct {
	in        CaseInput
	steps     map[string]any
	vars      map[string]any
	status    string
	outcome   string
	reason    string
	current   map[string]int
	visits    map[string]int
	timeline  []Event
	tasks     []*Task
	incidents []*Incident
	waiting   []Waiting
	undos     []Undo
	messages  []Message
	// namedActivities says the case names activities for their steps;
	// activityNames counts each name used (see activityID).
	namedActivities bool
	// localCalls says the case runs quick calls and emails as local
	// activities (localCallsChange).
	localCalls    bool
	activityNames map[string]int
	// indexes says the case writes its open work to the inbox index;
	// work is that open work, queues every queue it has had a task in.
	indexes bool
	// quietClose says a case that never had work writes no memo at its
	// close (inboxIndexChange version 2).
	quietClose bool
	work       []inbox.Entry
	queues     []string
}

// errCaseFailed carries a fail step's outcome up through parallel branches.
type errCaseFailed struct{ outcome, reason string }

func (e *errCaseFailed) Error() string { return "case failed: " + e.outcome }

// errCancelled is a case cancelled by staff resolving an incident.
var errCancelled = errors.New("case cancelled by staff")

// Case runs a recipe from its first step to an end.
func Case(ctx workflow.Context, in CaseInput) (CaseResult, error) {
	c := &caseRun{
		in: in, steps: map[string]any{}, vars: map[string]any{}, status: StatusRunning,
		current: map[string]int{}, visits: map[string]int{}, timeline: []Event{},
		activityNames: map[string]int{},
	}
	if err := c.register(ctx); err != nil {
		return CaseResult{}, err
	}
	c.namedActivities = namesActivities(ctx)
	c.localCalls = runsCallsLocally(ctx)
	index := indexesWork(ctx)
	c.indexes, c.quietClose = index >= 1, index >= 2
	c.receiveMessages(ctx)
	c.record(ctx, "", "submitted", "Submitted")
	countCaseStarted(ctx, in.Recipe.ID)
	_, err := c.runFlow(ctx, in.Recipe.FirstStep())
	res, err := c.finish(ctx, err)
	countCaseClosed(ctx, in.Recipe.ID, res)
	return res, err
}

// finish settles the case's status; on failure or cancellation it first
// reverses completed calls that have an undo.
func (c *caseRun) finish(ctx workflow.Context, err error) (CaseResult, error) {
	result := func() CaseResult { return CaseResult{Status: c.status, Outcome: c.outcome, Vars: c.vars} }
	if err == nil {
		c.status = StatusCompleted
		c.closeWork(ctx)
		res := result()
		res.Undos = c.undos
		return res, nil
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	c.compensate(dctx)
	var failed *errCaseFailed
	switch {
	case errors.As(err, &failed):
		c.status, c.outcome, c.reason = StatusFailed, failed.outcome, failed.reason
		c.record(ctx, "", "failed", failed.outcome)
		c.closeWork(dctx)
		return result(), temporal.NewNonRetryableApplicationError(failed.outcome, "CaseFailed", nil, result())
	case errors.Is(err, errCancelled) || temporal.IsCanceledError(err):
		c.status, c.outcome = StatusCancelled, "Cancelled"
		c.record(dctx, "", "cancelled", "Cancelled")
		c.closeWork(dctx)
		if errors.Is(err, errCancelled) {
			return result(), temporal.NewNonRetryableApplicationError("case cancelled", "CaseCancelled", nil, result())
		}
		return result(), err
	}
	c.status = StatusFailed
	c.recordDetail(dctx, "", "failed", "Closed: the case could not be finished", c.redact(err.Error()))
	c.closeWork(dctx)
	return result(), err
}

// runFlow runs steps from first until a step routes nowhere: the case's end
// at the top level, or the end of a parallel branch. A step that fails in a
// way the recipe has no route for (an email the relay never took, an
// expression that cannot be evaluated on these answers) raises an incident
// and waits for staff, like a call that exhausts its retries. On an error
// it also returns the step the flow stopped at.
func (c *caseRun) runFlow(ctx workflow.Context, first string) (string, error) {
	cur, again := first, false
	for n := 0; cur != ""; n++ {
		step, ok := c.in.Recipe.StepByID(cur)
		if !ok || n >= maxSteps {
			return cur, fmt.Errorf("step %q: the recipe routes to a missing step or in circles", cur)
		}
		if !again {
			c.visits[cur]++ // a retry is the same visit: same task ids, same idempotency keys
		}
		c.current[cur]++
		if step.Started != "" && !again {
			c.record(ctx, step.ID, "started", step.Started)
		}
		began := workflow.Now(ctx)
		next, err := c.execute(ctx, step)
		c.observeStep(ctx, step, began)
		if c.current[cur]--; c.current[cur] == 0 {
			delete(c.current, cur)
		}
		if err != nil {
			var failed *errCaseFailed
			if errors.As(err, &failed) || errors.Is(err, errCancelled) || temporal.IsCanceledError(err) {
				return cur, err
			}
			if workflow.GetVersion(ctx, stepIncidentsChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
				return cur, fmt.Errorf("step %q: %w", cur, err) // cases started before step incidents fail as they did
			}
			var retry bool
			if next, retry, err = c.stepIncident(ctx, step, err); err != nil {
				return cur, err
			}
			if again = retry; again {
				continue
			}
		}
		again = false
		cur = next
	}
	return "", nil
}

// execute runs one step and returns the id of the next, or "" when the flow ends.
func (c *caseRun) execute(ctx workflow.Context, s recipe.Step) (string, error) {
	switch {
	case s.Call != nil:
		return c.call(ctx, s)
	case s.Email != nil:
		return c.email(ctx, s)
	case s.Task != nil:
		return c.task(ctx, s)
	case s.Decide != nil:
		return c.decide(s)
	case s.Parallel != nil:
		return c.parallel(ctx, s)
	case s.Wait != nil:
		return c.wait(ctx, s)
	case s.Set != nil:
		return c.set(s)
	case s.Subrecipe != nil:
		return c.subrecipe(ctx, s)
	case s.End != nil:
		c.outcome = s.End.Outcome
		c.record(ctx, s.ID, "end", s.End.Outcome)
		return "", nil
	case s.Fail != nil:
		reason, err := recipe.Render(s.Fail.Reason, c.env())
		if err != nil {
			reason = err.Error()
		}
		return "", &errCaseFailed{outcome: s.Fail.Outcome, reason: reason}
	}
	return "", fmt.Errorf("step has no kind")
}

// env is what expressions in the recipe see.
func (c *caseRun) env() recipe.Env {
	// form, and the option labels label(form.x) gives
	env := recipe.FormEnv(&c.in.Recipe, c.in.Answers, nil)
	env["vars"] = c.vars
	env["steps"] = c.steps
	env["case"] = map[string]any{
		"reference":    c.in.Reference,
		"service":      c.in.Recipe.ID,
		"title":        c.in.Recipe.Title,
		"submitted_at": c.in.SubmittedAt,
	}
	return env
}

func (c *caseRun) record(ctx workflow.Context, step, kind, note string) {
	c.timeline = append(c.timeline, Event{At: workflow.Now(ctx), Step: step, Kind: kind, Note: note})
}

// recordBy adds a note residents may read of something staff did, with
// who did it for staff only.
func (c *caseRun) recordBy(ctx workflow.Context, step, kind, note, by string) {
	c.timeline = append(c.timeline, Event{At: workflow.Now(ctx), Step: step, Kind: kind, Note: note, By: by})
}

// recordDetail adds a note residents may read and, beside it for staff
// only, a detail: the error behind it, or whom an email went to.
func (c *caseRun) recordDetail(ctx workflow.Context, step, kind, note, detail string) {
	c.timeline = append(c.timeline, Event{At: workflow.Now(ctx), Step: step, Kind: kind, Note: note, Detail: detail})
}

// instance names the n-th visit of a step, so a step visited again in a
// loop gets fresh task ids and idempotency keys.
func (c *caseRun) instance(stepID string) string {
	if n := c.visits[stepID]; n > 1 {
		return fmt.Sprintf("%s-%d", stepID, n)
	}
	return stepID
}

// currentSteps lists the steps running now, sorted.
//
//workflowcheck:ignore the ids are sorted before anything uses them
func (c *caseRun) currentSteps() []string {
	out := make([]string, 0, len(c.current))
	for id := range c.current {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// titleOr is the step's title for the timeline, or a default.
func titleOr(s recipe.Step, def string) string {
	if s.Title != "" {
		return s.Title
	}
	return def
}
