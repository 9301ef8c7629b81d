package workflows

import (
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/workflows/recipe"
)

// CaseView is what the case query answers: progress without personal data.
type CaseView struct {
	Reference     string   `json:"reference"`
	Service       string   `json:"service"`
	RecipeVersion string   `json:"recipe_version"`
	Status        string   `json:"status"`
	Outcome       string   `json:"outcome,omitempty"`
	CurrentSteps  []string `json:"current_steps"`
	Timeline      []Event  `json:"timeline"`
	// SummaryOnly marks a view built from what Temporal records of the
	// case (status and outcome) because no worker could answer for it.
	SummaryOnly bool `json:"summary_only,omitempty"`
}

// CaseDetail is what staff see: the view, open work and the case's data,
// with answers to sensitive questions redacted.
type CaseDetail struct {
	CaseView
	Reason    string         `json:"reason,omitempty"`
	Form      map[string]any `json:"form"`
	Vars      map[string]any `json:"vars"`
	Steps     map[string]any `json:"steps"`
	Tasks     []*Task        `json:"tasks"`
	Incidents []*Incident    `json:"incidents"`
	Waiting   []Waiting      `json:"waiting"`
}

// Event is one line of the case timeline.
type Event struct {
	At   time.Time `json:"at"`
	Step string    `json:"step"`
	Kind string    `json:"kind"`
	Note string    `json:"note"`
	// Detail is the error behind the note, or whom an email went to
	// (masked: s***@example.com), for staff: the case detail carries it,
	// a resident's view of the case never does.
	Detail string `json:"detail,omitempty"`
	// By is the member of staff who did what the note says (completed a
	// task, resolved an incident), for staff only like Detail.
	By string `json:"by,omitempty"`
	// Result is what a call answered, in short ("waste report_missed:
	// ref MC-000123"), for staff; a resident's view never carries it.
	Result string `json:"result,omitempty"`
}

// Redacted replaces a sensitive answer in staff views.
const Redacted = "[redacted]"

func (c *caseRun) view() CaseView {
	return CaseView{
		Reference:     c.in.Reference,
		Service:       c.in.Recipe.ID,
		RecipeVersion: c.in.Recipe.Version + "+" + c.in.Recipe.Hash,
		Status:        c.status,
		Outcome:       c.outcome,
		CurrentSteps:  c.currentSteps(),
		Timeline:      residentTimeline(&c.in.Recipe, c.timeline),
	}
}

// residentTimeline is the timeline as a resident reads it, on the case
// query: without staff's details (Detail, By, Result), and each note in
// words written for residents, by the recipe's author (a step's title, an
// end's outcome) or fixed here for the event's kind. A note the
// interpreter put together from a queue, a connector's operation, a
// message, a staff member's choice or an error never reaches a resident;
// staff's detail keeps every note as recorded. Queries write no history,
// so this wording can change without a new interpreter version.
func residentTimeline(r *recipe.Recipe, events []Event) []Event {
	out := make([]Event, len(events))
	for i, e := range events {
		e.Detail, e.By, e.Result = "", "", ""
		e.Note = residentNote(r, e)
		out[i] = e
	}
	return out
}

// residentNote is the note of one event as a resident reads it.
func residentNote(r *recipe.Recipe, e Event) string {
	if fixedNote(e.Note) {
		return e.Note
	}
	s, _ := r.StepByID(e.Step)
	if (s.Title != "" && e.Note == s.Title) || (s.Started != "" && e.Kind == "started" && e.Note == s.Started) {
		return e.Note
	}
	switch e.Kind {
	case "end":
		if slices.Contains(outcomes(r), e.Note) {
			return e.Note
		}
		return "Finished"
	case "failed":
		if slices.Contains(outcomes(r), e.Note) {
			return e.Note
		}
		return "Closed: the case could not be finished"
	case "subrecipe":
		if s.Subrecipe == nil || r.Subrecipes[s.Subrecipe.Recipe] == nil {
			return "Part of your case finished"
		}
		child := r.Subrecipes[s.Subrecipe.Recipe]
		for _, o := range outcomes(child) {
			if e.Note == child.Title+": "+o {
				return e.Note
			}
		}
		return child.Title + ": could not be finished"
	case "escalated":
		if s.Task != nil && s.Task.Escalate != nil && e.Note == "Escalated: not done within "+s.Task.Escalate.After.String() {
			return e.Note
		}
		return "Taking longer than expected"
	case "task":
		if strings.HasPrefix(e.Note, "Decided: ") {
			return "Checked by our staff"
		}
		return "Passed to our staff"
	case "incident":
		return "Checked by our staff"
	case "call":
		return "Processed"
	case "undo":
		return "An earlier step was undone"
	case "wait":
		return "Update received"
	case "email":
		return "Email sent"
	}
	return "Updated"
}

// fixedNote reports whether the interpreter writes note in these words
// whatever the case: words for residents, with nothing of the case in them.
func fixedNote(note string) bool {
	switch note {
	case "Submitted", "Cancelled", "Closed: the case could not be finished",
		"Paused for staff to check this step", "Not accepted", "Could not undo",
		"Escalation time not worked out", "Escalation email not sent",
		"Email sent", "Email not sent", "Waited", "Stopped: a parallel branch failed":
		return true
	}
	return false
}

// outcomes lists the outcomes the recipe's end and fail steps give, the
// words its author wrote for residents.
func outcomes(r *recipe.Recipe) []string {
	var out []string
	for _, s := range r.AllSteps() {
		switch {
		case s.End != nil:
			out = append(out, s.End.Outcome)
		case s.Fail != nil:
			out = append(out, s.Fail.Outcome)
		}
	}
	return out
}

// detail is the case for staff; answers to sensitive questions are
// redacted unless sensitive asks for them.
func (c *caseRun) detail(sensitive bool) CaseDetail {
	form := make(map[string]any, len(c.in.Answers))
	hide := map[string]bool{}
	for _, f := range c.in.Recipe.Fields() {
		hide[f.ID] = f.Sensitive && !sensitive
	}
	for _, k := range recipe.SortedKeys(c.in.Answers) {
		v := c.in.Answers[k]
		if hide[k] {
			v = Redacted
		}
		form[k] = v
	}
	view := c.view()
	view.Timeline = c.timeline
	return CaseDetail{
		CaseView: view, Reason: c.reason, Form: form, Vars: c.vars, Steps: c.steps,
		Tasks: nonNil(c.tasks), Incidents: nonNil(c.incidents), Waiting: nonNil(c.waiting),
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// register installs the queries, updates and their validators.
func (c *caseRun) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, CaseQuery, func() (CaseView, error) { return c.view(), nil }); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, DetailQuery, func() (CaseDetail, error) { return c.detail(false), nil }); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, SensitiveDetailQuery, func() (CaseDetail, error) { return c.detail(true), nil }); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, RecipeQuery, func() (recipe.Recipe, error) { return c.in.Recipe, nil }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, CompleteTask, c.completeTask,
		workflow.UpdateHandlerOptions{Validator: c.validateCompletion}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, AssignTask, c.assignTask,
		workflow.UpdateHandlerOptions{Validator: c.validateAssignment}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, AddNote, c.addNote,
		workflow.UpdateHandlerOptions{Validator: c.validateNote}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, ResolveIncident, c.resolveIncident,
		workflow.UpdateHandlerOptions{Validator: c.validateResolution})
}
