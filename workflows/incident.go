package workflows

import (
	"fmt"
	"time"

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

func (c *caseRun) raiseIncident(ctx workflow.Context, s recipe.Step, lob connectors.Error) (Resolution, error) {
	inc := &Incident{
		ID: fmt.Sprintf("%s-%d", s.ID, len(c.incidents)+1), Step: s.ID,
		Error: lob.Message, Code: lob.Code, RaisedAt: workflow.Now(ctx),
	}
	c.incidents = append(c.incidents, inc)
	c.record(ctx, s.ID, "incident", "Paused for staff: "+lob.Message)
	if err := workflow.Await(ctx, func() bool { return inc.Resolution != nil }); err != nil {
		return Resolution{}, err
	}
	r := *inc.Resolution
	c.record(ctx, s.ID, "incident", fmt.Sprintf("Resolved by %s: %s", r.By, r.Action))
	return r, nil
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

func (c *caseRun) openIncident(id string) *Incident {
	for _, inc := range c.incidents {
		if inc.ID == id && inc.Resolution == nil {
			return inc
		}
	}
	return nil
}
