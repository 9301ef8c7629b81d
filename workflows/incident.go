package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/workflows/recipe"
)

// What staff can do about an incident.
const (
	ActionRetry  = "retry"
	ActionSkip   = "skip"
	ActionCancel = "cancel"
)

// Incident is a call that failed for good with no route for it: the case
// pauses until staff retry it, skip it with a value, or cancel the case.
type Incident struct {
	ID         string      `json:"id"`
	Step       string      `json:"step"`
	Error      string      `json:"error"`
	Code       string      `json:"code,omitempty"`
	RaisedAt   time.Time   `json:"raised_at"`
	Resolution *Resolution `json:"resolution,omitempty"`

	// stopped marks an incident whose case or branch was stopped before
	// staff resolved it.
	stopped bool
}

// Resolution is staff's answer to an incident.
type Resolution struct {
	// IncidentID names the incident.
	IncidentID string `json:"incident_id"`
	// Action is retry, skip or cancel.
	Action string `json:"action"`
	// Value stands in for the call's result when skipping.
	Value map[string]any `json:"value,omitempty"`
	// By is who resolved it.
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// raiseIncident pauses the case on a step until staff resolve the incident.
func (c *caseRun) raiseIncident(ctx workflow.Context, step string, lob connectors.Error) (Resolution, error) {
	inc := &Incident{
		ID: fmt.Sprintf("%s-%d", step, len(c.incidents)+1), Step: step,
		Error: lob.Message, Code: lob.Code, RaisedAt: workflow.Now(ctx),
	}
	c.incidents = append(c.incidents, inc)
	// The error is for staff, never the resident's timeline.
	c.recordDetail(ctx, step, "incident", "Paused for staff to check this step", c.redact(lob.Message))
	c.putWork(ctx, c.incidentEntry(inc, false))
	if err := workflow.Await(ctx, func() bool { return inc.Resolution != nil }); err != nil {
		inc.stopped = true
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		c.putWork(dctx, c.incidentEntry(inc, true))
		return Resolution{}, err
	}
	r := *inc.Resolution
	// Residents read the note; who resolved it is for staff.
	c.recordBy(ctx, step, "incident", "Resolved: "+r.Action, r.By)
	c.putWork(ctx, c.incidentEntry(inc, true))
	return r, nil
}

// codeStepFailed is the code of an incident raised by a step other than a
// call's final failure; codeUndoFailed of one raised by an undo that
// failed. Retry runs the undo again; skip takes it as undone by hand;
// cancel leaves it undone.
const (
	codeStepFailed = "step_failed"
	codeUndoFailed = "undo_failed"
)

// CodeEmailUnsure is the code of an incident raised by an email the relay
// may have taken: retry sends it again, skip takes it as sent.
const CodeEmailUnsure = "email_unsure"

// stepErrorMessage is what staff read: the cause, without the activity's
// or child case's bookkeeping around it ("Payment declined", not "child
// workflow execution error (...): Payment declined (type: CaseFailed, ...)").
func stepErrorMessage(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		if msg := app.Message(); msg != "" {
			return msg
		}
		return app.Error()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "timed out: " + timeout.Error()
	}
	return err.Error()
}

// stepIncident pauses the case on a step that failed with nowhere to route,
// and returns what staff decided: the next step, whether to run the step
// again, or errCancelled.
func (c *caseRun) stepIncident(ctx workflow.Context, s recipe.Step, err error) (next string, retry bool, _ error) {
	res, err := c.raiseIncident(ctx, s.ID, connectors.Error{Code: codeStepFailed, Message: c.redact(stepErrorMessage(err))})
	if err != nil {
		return "", false, err
	}
	switch res.Action {
	case ActionSkip:
		if len(res.Value) > 0 {
			c.steps[s.ID] = res.Value
		}
		return s.Next, false, nil
	case ActionCancel:
		return "", false, errCancelled
	}
	return s.ID, true, nil
}

// validateResolution refuses unknown or closed incidents and bad actions
// before the update is accepted into history.
func (c *caseRun) validateResolution(r Resolution) error {
	inc := c.openIncident(r.IncidentID)
	switch {
	case inc == nil:
		return fmt.Errorf("no open incident %q on this case", r.IncidentID)
	case r.Action != ActionRetry && r.Action != ActionSkip && r.Action != ActionCancel:
		return fmt.Errorf("action must be retry, skip or cancel, not %q", r.Action)
	case r.By == "":
		return fmt.Errorf("say who is resolving the incident")
	case r.Action == ActionSkip && inc.Code == codeStepFailed && !c.canSkip(inc.Step):
		return fmt.Errorf("step %q has no next step to skip to; retry it or cancel the case", inc.Step)
	}
	return nil
}

func (c *caseRun) resolveIncident(ctx workflow.Context, r Resolution) (string, error) {
	inc := c.openIncident(r.IncidentID)
	if inc == nil {
		return "", fmt.Errorf("no open incident %q on this case", r.IncidentID)
	}
	r.At = workflow.Now(ctx)
	if r.Value == nil {
		r.Value = map[string]any{}
	}
	inc.Resolution = &r
	return r.Action, nil
}

// redact removes answers to sensitive questions from a message, as the
// case detail does, since errors quote the values they could not use.
func (c *caseRun) redact(msg string) string {
	for _, f := range c.in.Recipe.Fields() {
		if v, ok := c.in.Answers[f.ID].(string); ok && f.Sensitive && v != "" {
			msg = strings.ReplaceAll(msg, v, Redacted)
		}
	}
	return msg
}

// canSkip says whether a step names the step after it, so that skipping it
// has somewhere to go; a decide, or a step that ends its flow, has not.
func (c *caseRun) canSkip(stepID string) bool {
	s, ok := c.in.Recipe.StepByID(stepID)
	return ok && s.Next != ""
}

func (c *caseRun) openIncident(id string) *Incident {
	for _, inc := range c.incidents {
		if inc.ID == id && inc.Resolution == nil && !inc.stopped {
			return inc
		}
	}
	return nil
}
