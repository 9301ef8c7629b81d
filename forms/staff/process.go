package staff

import (
	"bytes"
	"cmp"
	"context"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/bpmn"
	"github.com/larder-council/larder/workflows/recipe"
)

// Step states on the case page's process, as the steps table says them
// and as the diagram's markers (larder-<state>) draw them.
const (
	stepDone       = "done"
	stepCurrent    = "current"
	stepFailed     = "failed"
	stepNotReached = "not-reached"
)

// stepStateWords say a step's state to staff.
var stepStateWords = map[string]string{
	stepDone:       "Done",
	stepCurrent:    "In progress",
	stepFailed:     "Failed",
	stepNotReached: "Not reached",
}

// processStep is one row of the case page's steps table: the text the
// diagram draws.
type processStep struct {
	ID, Title string
	// State is done, current, failed or not-reached.
	State string
	// Missing marks a step the case went through that the drawn recipe
	// no longer has.
	Missing bool
}

// Words is the step's state in words.
func (s processStep) Words() string { return stepStateWords[s.State] }

// Tag is the GOV.UK tag colour the table shows the state in.
func (s processStep) Tag() string {
	return map[string]string{stepDone: "green", stepCurrent: "blue", stepFailed: "red", stepNotReached: "grey"}[s.State]
}

// caseProcess is the case page's Process section: the recipe drawn and
// each of its steps' state in this case.
type caseProcess struct {
	// Version is the drawn recipe's version; Changed says the case runs
	// another, so the drawing is of the recipe as it is now.
	Version string
	Changed bool
	Steps   []processStep
	// BPMN is the address of the drawn recipe's BPMN 2.0 XML; Script and
	// Style draw it, "" when `make assets` has not built them.
	BPMN, Script, Style string
}

// recipeAsker is a case client that can tell the recipe snapshot a case
// runs; the real one can, test fakes need not.
type recipeAsker interface {
	Recipe(ctx context.Context, ref string) (*recipe.Recipe, error)
}

// caseRecipe is the recipe a case's diagram draws: the snapshot the case
// runs when the case client can tell it, else the service's recipe as
// loaded now (nil when the service is no longer offered); and whether it
// is the version the case runs.
func (h *Handler) caseRecipe(ctx context.Context, d workflows.CaseDetail) (*recipe.Recipe, bool) {
	if ra, ok := h.Cases.(recipeAsker); ok {
		r, err := ra.Recipe(ctx, d.Reference)
		if err == nil && r != nil && len(r.Steps) > 0 {
			return r, true
		}
		h.log().WarnContext(ctx, "case recipe snapshot not read; drawing today's", "reference", d.Reference, "err", err)
	}
	r := recipe.Find(h.Recipes, d.Service)
	if r == nil {
		return nil, false
	}
	return r, d.RecipeVersion == r.Version+"+"+r.Hash
}

// process is the case's Process section, nil when there is no recipe to
// draw.
func (h *Handler) process(ctx context.Context, d workflows.CaseDetail) *caseProcess {
	r, same := h.caseRecipe(ctx, d)
	if r == nil {
		return nil
	}
	return &caseProcess{
		Version: r.Version, Changed: !same, Steps: stepStates(r, d),
		BPMN:   "/staff/cases/" + d.Reference + "/bpmn",
		Script: h.Site.AssetLink("case-diagram.js"), Style: h.Site.AssetLink("case-diagram.css"),
	}
}

// caseBPMN answers the BPMN 2.0 XML of the recipe the case page draws, to
// those who may open the case.
func (h *Handler) caseBPMN(c *gin.Context) {
	d, _, ok := h.openCase(c)
	if !ok {
		return
	}
	r, _ := h.caseRecipe(c, d)
	if r == nil {
		h.problem(c, http.StatusNotFound, "No diagram for this case", "The service this case belongs to is no longer offered.")
		return
	}
	var buf bytes.Buffer
	if err := bpmn.Write(&buf, r); err != nil {
		h.log().ErrorContext(c, "bpmn export", "recipe", r.ID, "case", d.Reference, "err", err)
		h.problem(c, http.StatusInternalServerError, "The diagram could not be made", "The steps table on the case page shows the same steps.")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/xml; charset=utf-8", buf.Bytes())
}

// stepStates says, for each step of r, where case d stands: failed (an
// open incident at it, or the fail step the case ended at), current (it
// runs now: an open task, a wait, a call being tried), done (the case
// recorded it: a timeline entry, a result, a completed task) or not
// reached. Decide, set and parallel steps leave no record of their own:
// see passedSilentSteps.
// Steps the case went through that r does not have (it has changed since)
// come last.
func stepStates(r *recipe.Recipe, d workflows.CaseDetail) []processStep {
	state := map[string]string{}
	mark := func(id, s string) {
		if id == "" {
			return
		}
		if rank(s) > rank(state[id]) {
			state[id] = s
		}
	}
	for _, e := range d.Timeline {
		if e.Kind != "undo" && e.Kind != "stopped" {
			mark(e.Step, stepDone)
		}
	}
	for id := range d.Steps {
		mark(id, stepDone)
	}
	for _, t := range d.Tasks {
		if t.Completion != nil {
			mark(t.Step, stepDone)
		} else if d.Status == workflows.StatusRunning {
			mark(t.Step, stepCurrent)
		}
	}
	if d.Status == workflows.StatusRunning {
		for _, id := range d.CurrentSteps {
			mark(id, stepCurrent)
		}
		for _, w := range d.Waiting {
			mark(w.Step, stepCurrent)
		}
	}
	for _, inc := range d.Incidents {
		if inc.Resolution == nil {
			mark(inc.Step, stepFailed)
		}
	}
	steps := r.AllSteps()
	if d.Status == workflows.StatusFailed && d.Outcome != "" {
		for _, s := range steps {
			if s.Fail != nil && s.Fail.Outcome == d.Outcome {
				mark(s.ID, stepFailed)
			}
		}
	}
	passedSilentSteps(r, d, state)

	rows := make([]processStep, 0, len(steps))
	known := map[string]bool{}
	for _, s := range steps {
		known[s.ID] = true
		rows = append(rows, processStep{ID: s.ID, Title: s.Title, State: cmp.Or(state[s.ID], stepNotReached)})
	}
	for _, id := range recipe.SortedKeys(state) {
		if !known[id] {
			rows = append(rows, processStep{ID: id, State: state[id], Missing: true})
		}
	}
	return rows
}

// rank orders states so that a step keeps the most pressing: failed over
// current over done.
func rank(s string) int {
	return slices.Index([]string{"", stepDone, stepCurrent, stepFailed}, s)
}

// silent reports whether a step leaves no record of its own in the case.
func silent(s recipe.Step) bool { return s.Decide != nil || s.Set != nil || s.Parallel != nil }

// passedSilentSteps marks done each decide, set or parallel step the case
// went through. Such a step is entered when the case starts there, when a
// step before it certainly led to it (a task's chosen outcome, a call's
// result or refusal, a wait's message or timeout, a parallel step's
// branches, the one way out of a step) or, from a step whose way out is
// not known (a decide), when a reached step follows it through such steps
// alone. A decide or set step entered is done at once; a parallel step is
// done once it no longer runs.
func passedSilentSteps(r *recipe.Recipe, d workflows.CaseDetail, state map[string]string) {
	byID := map[string]recipe.Step{}
	before := map[string][]string{}
	for _, s := range r.AllSteps() {
		byID[s.ID] = s
		for _, next := range stepSuccessors(s) {
			before[next] = append(before[next], s.ID)
		}
	}
	// leadsOn reports whether a reached step follows id through silent steps.
	leadsOn := func(id string) bool {
		seen := map[string]bool{id: true}
		queue := stepSuccessors(byID[id])
		for len(queue) > 0 {
			next := queue[0]
			queue = queue[1:]
			if seen[next] {
				continue
			}
			seen[next] = true
			if state[next] != "" {
				return true
			}
			if s, ok := byID[next]; ok && silent(s) {
				queue = append(queue, stepSuccessors(s)...)
			}
		}
		return false
	}
	entered := func(s recipe.Step) bool {
		if s.ID == r.FirstStep() {
			return true
		}
		maybe := false
		for _, p := range before[s.ID] {
			if state[p] == "" {
				continue
			}
			next, known := takenFrom(byID[p], state[p], d)
			if slices.Contains(next, s.ID) {
				if known {
					return true
				}
				maybe = true
			}
		}
		return maybe && leadsOn(s.ID)
	}
	for changed := true; changed; {
		changed = false
		for _, s := range r.AllSteps() {
			if silent(s) && state[s.ID] == "" && entered(s) {
				state[s.ID] = stepDone
				changed = true
			}
		}
	}
}

// takenFrom lists the steps the case went on to from step s, reached in
// state, and whether it certainly went on to each (known) or to one of
// them (the way out is not recorded: a decide, a step still running).
func takenFrom(s recipe.Step, state string, d workflows.CaseDetail) (next []string, known bool) {
	result, _ := d.Steps[s.ID].(map[string]any)
	_, erred := result["error"]
	one := func(id string) ([]string, bool) {
		if id == "" {
			return nil, true
		}
		return []string{id}, true
	}
	switch {
	case s.Parallel != nil:
		for _, b := range s.Parallel.Branches {
			if len(b.Steps) > 0 {
				next = append(next, b.Steps[0].ID)
			}
		}
		if state == stepDone && s.Next != "" {
			next = append(next, s.Next)
		}
		return next, true
	case state != stepDone:
		return stepSuccessors(s), false
	case s.Decide != nil:
		return stepSuccessors(s), false
	case s.Task != nil:
		if chosen, ok := result["outcome"].(string); ok {
			for _, o := range s.Task.Outcomes {
				if o.ID == chosen {
					return one(cmp.Or(o.Next, s.Next))
				}
			}
		}
		return stepSuccessors(s), false
	case s.Call != nil && erred && s.Call.OnError != "":
		return one(s.Call.OnError)
	case s.Subrecipe != nil && erred && s.Subrecipe.OnError != "":
		return one(s.Subrecipe.OnError)
	case s.Wait != nil && s.Wait.OnMessage != "":
		if timedOut, ok := result["timed_out"].(bool); ok {
			if timedOut {
				return one(s.Next)
			}
			return one(s.Wait.OnMessage)
		}
		return stepSuccessors(s), false
	}
	return one(s.Next)
}

// stepSuccessors lists the steps a step can lead to: its routes and, for
// a parallel step, each branch's first step.
func stepSuccessors(s recipe.Step) []string {
	out := s.Routes()
	if s.Parallel != nil {
		for _, b := range s.Parallel.Branches {
			if len(b.Steps) > 0 {
				out = append(out, b.Steps[0].ID)
			}
		}
	}
	return out
}
