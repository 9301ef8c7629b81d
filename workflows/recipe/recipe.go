// Package recipe is the model of a council service written by a service
// designer: its form, its steps and how they connect. Recipes are loaded and
// validated here, outside any workflow; the interpreter receives the result
// as an immutable snapshot.
package recipe

import "time"

// Recipe is one council service: the form a resident fills in and the steps
// that run when they submit it.
type Recipe struct {
	// ID names the service in URLs, e.g. "missed-bin".
	ID string `yaml:"id" json:"id"`
	// Version is the designer's version label; Hash tells versions with the same label apart.
	Version string `yaml:"version" json:"version"`
	// Title is what residents see, e.g. "Report a missed bin collection".
	Title string `yaml:"title" json:"title"`
	// Summary is one sentence shown on the list of services.
	Summary string `yaml:"summary,omitempty" json:"summary,omitempty"`
	// ReferencePrefix starts every case reference, e.g. "MB" in MB-7K4Q-2PXD.
	ReferencePrefix string `yaml:"reference_prefix" json:"reference_prefix"`
	// NextSteps tells the resident what happens after they submit, on the
	// confirmation page: a template over the answers (form.<id>,
	// label(form.<id>)) and case.reference, case.service and case.title;
	// see RenderNextSteps.
	NextSteps string `yaml:"next_steps,omitempty" json:"next_steps,omitempty"`
	// Form is the questions, page by page.
	Form Form `yaml:"form" json:"form"`
	// Start is the first step; empty means the first in Steps.
	Start string `yaml:"start,omitempty" json:"start,omitempty"`
	// Steps are what happens after submission.
	Steps []Step `yaml:"steps" json:"steps"`
	// Subrecipes are snapshots of the recipes this one runs as children, by
	// id, set by the loader so a case carries everything it will run.
	Subrecipes map[string]*Recipe `yaml:"-" json:"subrecipes,omitempty"`

	// Hash is the content hash of the source file, set by the loader.
	Hash string `yaml:"-" json:"hash"`
	// File is where the recipe was loaded from, set by the loader.
	File string `yaml:"-" json:"-"`

	// refs are the subrecipe steps, for the loader to resolve.
	refs []subrecipeRef
}

// Form is the questions a resident answers, one page at a time.
type Form struct {
	// Pages are asked in order.
	Pages []Page `yaml:"pages" json:"pages"`
}

// Page is one screen of the form.
type Page struct {
	// ID names the page in URLs.
	ID string `yaml:"id" json:"id"`
	// Title is the page heading; for a one-question page it is the question.
	Title string `yaml:"title" json:"title"`
	// ShowIf is a condition over earlier answers (form.<id>); the page is
	// asked only when it holds, and its answers are dropped when it does not.
	ShowIf string `yaml:"show_if,omitempty" json:"show_if,omitempty"`
	// Blocks are content shown above the questions.
	Blocks []Block `yaml:"blocks,omitempty" json:"blocks,omitempty"`
	// Fields are the questions on the page.
	Fields []Field `yaml:"fields" json:"fields"`
}

// Block is one piece of content on a page; exactly one part is set.
type Block struct {
	// Heading is a sub-heading.
	Heading string `yaml:"heading,omitempty" json:"heading,omitempty"`
	// Paragraph is body text.
	Paragraph string `yaml:"paragraph,omitempty" json:"paragraph,omitempty"`
	// Inset is text set apart, for something residents must not miss.
	Inset string `yaml:"inset,omitempty" json:"inset,omitempty"`
	// Details is help that opens when asked for.
	Details *Details `yaml:"details,omitempty" json:"details,omitempty"`
}

// Details is a GOV.UK details component: a summary that opens to text.
type Details struct {
	Summary string `yaml:"summary" json:"summary"`
	Text    string `yaml:"text" json:"text"`
}

// Field is one question.
type Field struct {
	// ID is the answer's name in expressions: form.<id>.
	ID string `yaml:"id" json:"id"`
	// Type is one of FieldTypes: text, textarea, email, phone, number,
	// date, radios, checkboxes, select, yesno, postcode, address or file.
	Type string `yaml:"type" json:"type"`
	// Label is the question text.
	Label string `yaml:"label" json:"label"`
	// Hint helps the resident answer.
	Hint string `yaml:"hint,omitempty" json:"hint,omitempty"`
	// Validate holds validator rules, e.g. "required,email,max=254".
	Validate string `yaml:"validate,omitempty" json:"validate,omitempty"`
	// Messages overrides the error message for a rule, keyed by rule name.
	Messages map[string]string `yaml:"messages,omitempty" json:"messages,omitempty"`
	// ShowIf is a condition over other answers; the question is asked only
	// when it holds.
	ShowIf string `yaml:"show_if,omitempty" json:"show_if,omitempty"`
	// Options are the choices of a radios, checkboxes or select field.
	Options []Option `yaml:"options,omitempty" json:"options,omitempty"`
	// Accept lists the file types a file field takes, e.g. image/jpeg,
	// application/pdf; default images and PDF.
	Accept []string `yaml:"accept,omitempty" json:"accept,omitempty"`
	// MaxBytes bounds a file's size; default 10 MB.
	MaxBytes int64 `yaml:"max_bytes,omitempty" json:"max_bytes,omitempty"`
	// Lookup fetches the choices of an address field from a connector.
	Lookup *Lookup `yaml:"lookup,omitempty" json:"lookup,omitempty"`
	// Example is an answer that passes validation, for previews and tests:
	// a date as 2026-03-07, checkboxes as values joined by commas.
	Example string `yaml:"example,omitempty" json:"example,omitempty"`
	// Sensitive answers are never shown back outside the case.
	Sensitive bool `yaml:"sensitive,omitempty" json:"sensitive,omitempty"`
}

// Required reports whether the field must be answered.
func (f Field) Required() bool {
	for _, r := range splitRules(f.Validate) {
		if r.name == "required" {
			return true
		}
	}
	return false
}

// Option is one choice of a radios field.
type Option struct {
	// Value is what is stored.
	Value string `yaml:"value" json:"value"`
	// Label is what the resident reads.
	Label string `yaml:"label" json:"label"`
}

// Lookup asks a connector for the choices of a field.
type Lookup struct {
	// Connector names an entry in connectors.yaml, as in a call step.
	Connector string `yaml:"connector" json:"connector"`
	// Operation names one of the connector's operations.
	Operation string `yaml:"operation" json:"operation"`
	// Input maps the operation's inputs to templates over form answers.
	Input map[string]string `yaml:"input,omitempty" json:"input,omitempty"`
	// Items is an expression over the result giving the list of choices.
	Items string `yaml:"items" json:"items"`
	// Value is the item key holding each choice's stored value, e.g. uprn.
	Value string `yaml:"value" json:"value"`
	// Label is the item key holding each choice's text, e.g. address.
	Label string `yaml:"label" json:"label"`
}

// Step is one thing the case does. Exactly one kind is set.
type Step struct {
	// ID names the step in routes and in expressions: steps.<id>.
	ID string `yaml:"id" json:"id"`
	// Title describes the step on the case timeline once it is done: a
	// call's when its reply comes, an email's when it is sent, a wait's
	// when it is over, a task's when staff complete it.
	Title string `yaml:"title,omitempty" json:"title,omitempty"`
	// Started, when set, is a timeline line written as the step starts,
	// e.g. "Passed to the waste team to check" for a task.
	Started string `yaml:"started,omitempty" json:"started,omitempty"`
	// Next is the step that follows. An end or fail step has none; inside a
	// parallel branch, a step without next ends the branch.
	Next string `yaml:"next,omitempty" json:"next,omitempty"`

	// The kinds: exactly one is set.
	Call      *CallStep      `yaml:"call,omitempty" json:"call,omitempty"`
	Email     *EmailStep     `yaml:"email,omitempty" json:"email,omitempty"`
	Task      *TaskStep      `yaml:"task,omitempty" json:"task,omitempty"`
	Decide    *DecideStep    `yaml:"decide,omitempty" json:"decide,omitempty"`
	Parallel  *ParallelStep  `yaml:"parallel,omitempty" json:"parallel,omitempty"`
	Wait      *WaitStep      `yaml:"wait,omitempty" json:"wait,omitempty"`
	Set       *SetStep       `yaml:"set,omitempty" json:"set,omitempty"`
	Subrecipe *SubrecipeStep `yaml:"subrecipe,omitempty" json:"subrecipe,omitempty"`
	End       *EndStep       `yaml:"end,omitempty" json:"end,omitempty"`
	Fail      *FailStep      `yaml:"fail,omitempty" json:"fail,omitempty"`
}

// StepKinds names the kinds of step, in the order the manual lists them.
var StepKinds = []string{"call", "email", "task", "decide", "parallel", "wait", "set", "subrecipe", "end", "fail"}

// setKinds lists the kinds that are set on the step.
func (s Step) setKinds() []string {
	var out []string
	for i, set := range []bool{s.Call != nil, s.Email != nil, s.Task != nil, s.Decide != nil, s.Parallel != nil,
		s.Wait != nil, s.Set != nil, s.Subrecipe != nil, s.End != nil, s.Fail != nil} {
		if set {
			out = append(out, StepKinds[i])
		}
	}
	return out
}

// Kind names the kind of step that is set, or "" when none or several are.
func (s Step) Kind() string {
	if k := s.setKinds(); len(k) == 1 {
		return k[0]
	}
	return ""
}

// kinds counts how many kinds are set; exactly one is valid.
func (s Step) kinds() int { return len(s.setKinds()) }

// closes reports whether the step ends the case, so it takes no next.
func (s Step) closes() bool { return s.End != nil || s.Fail != nil }

// CallStep calls a connector operation (a BPMN service task).
type CallStep struct {
	// Connector names an entry in connectors.yaml.
	Connector string `yaml:"connector" json:"connector"`
	// Operation names one of the connector's operations.
	Operation string `yaml:"operation" json:"operation"`
	// Input maps the operation's inputs to templates.
	Input map[string]string `yaml:"input,omitempty" json:"input,omitempty"`
	// Timeout bounds one attempt; default 30s. Durations take d and w
	// besides Go's units (see ParseDuration).
	Timeout time.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	// Retry bounds the attempts made on failures worth retrying.
	Retry *Retry `yaml:"retry,omitempty" json:"retry,omitempty"`
	// OnError is the step taken when the system refuses the call (a BPMN
	// error boundary event): a 4xx reply but 408 and 429, or the statuses
	// the operation lists as refusals; the error is steps.<id>.error. An
	// outage is retried, and after the last attempt raises an incident for
	// staff, with or without OnError; so does a refusal without it.
	OnError string `yaml:"on_error,omitempty" json:"on_error,omitempty"`
	// Undo reverses the call (BPMN compensation) if the case later fails or
	// is cancelled; undos run in reverse order of the calls they undo. Its
	// inputs are rendered as soon as the call succeeds, so they see that
	// pass's steps.<id>.
	Undo *Undo `yaml:"undo,omitempty" json:"undo,omitempty"`
}

// Undo is the connector call that reverses a call step. Its inputs see
// steps.<id> of the call it undoes.
type Undo struct {
	// Operation is the connector operation that reverses the call.
	Operation string `yaml:"operation" json:"operation"`
	// Input maps the operation's inputs to templates.
	Input map[string]string `yaml:"input,omitempty" json:"input,omitempty"`
}

// Retry is a call's retry policy.
type Retry struct {
	// MaxAttempts counts the first try; default 5.
	MaxAttempts int `yaml:"max_attempts,omitempty" json:"max_attempts,omitempty"`
	// Interval is the wait before the first retry, doubled each time; default 1s.
	Interval time.Duration `yaml:"interval,omitempty" json:"interval,omitempty"`
	// MaxInterval caps the wait between retries; default 1m.
	MaxInterval time.Duration `yaml:"max_interval,omitempty" json:"max_interval,omitempty"`
}

// EmailStep sends an email (a BPMN send task). Every field is a template.
type EmailStep struct {
	// Template names a shared template in emails.yaml beside the recipes;
	// the step's own subject, text and html replace the template's.
	Template string `yaml:"template,omitempty" json:"template,omitempty"`
	// To is the recipient's address, e.g. "{{ form.email }}".
	To string `yaml:"to,omitempty" json:"to"`
	// Subject is the subject line.
	Subject string `yaml:"subject" json:"subject"`
	// Text is the plain-text body.
	Text string `yaml:"text" json:"text"`
	// HTML is an optional HTML body: its own text is markup, and the value
	// of each {{ expression }} is escaped as text (see RenderHTML).
	HTML string `yaml:"html,omitempty" json:"html,omitempty"`
}

// TaskStep asks staff in a queue to decide something (a BPMN user task).
type TaskStep struct {
	// Queue is the team whose inbox shows the task (the candidate group).
	Queue string `yaml:"queue" json:"queue"`
	// Title is a template naming the task in the inbox.
	Title string `yaml:"title" json:"title"`
	// Instructions is a template telling staff what to check.
	Instructions string `yaml:"instructions,omitempty" json:"instructions,omitempty"`
	// Fields are extra answers staff give with the outcome.
	Fields []Field `yaml:"fields,omitempty" json:"fields,omitempty"`
	// Outcomes are the choices staff complete the task with; each routes on.
	Outcomes []Outcome `yaml:"outcomes" json:"outcomes"`
	// Due is how long staff have, like 72h or 3 working days; shown in the
	// inbox, where an open task past it is overdue.
	Due Period `yaml:"due,omitempty" json:"due,omitzero"`
	// Escalate runs once, while the task stays open, if it is not done in
	// time (a non-interrupting BPMN timer boundary event).
	Escalate *Escalation `yaml:"escalate,omitempty" json:"escalate,omitempty"`
}

// Outcome is one way staff can complete a task.
type Outcome struct {
	// ID is what steps.<task>.outcome holds.
	ID string `yaml:"id" json:"id"`
	// Label is the button staff press.
	Label string `yaml:"label" json:"label"`
	// Next is the step this outcome leads to.
	Next string `yaml:"next" json:"next"`
}

// Escalation is what happens when a task is open too long.
type Escalation struct {
	// After is how long after the task opens, like 48h or 2 working days.
	After Period `yaml:"after" json:"after"`
	// Queue, when set, moves the task to another team.
	Queue string `yaml:"queue,omitempty" json:"queue,omitempty"`
	// Email, when set, is sent.
	Email *EmailStep `yaml:"email,omitempty" json:"email,omitempty"`
}

// DecideStep takes the first branch whose condition holds (a BPMN exclusive gateway).
type DecideStep struct {
	// Branches are tried in order.
	Branches []Branch `yaml:"branches" json:"branches"`
	// Otherwise is taken when no branch holds.
	Otherwise string `yaml:"otherwise" json:"otherwise"`
}

// Branch is one way out of a decide step.
type Branch struct {
	// When is a boolean expression.
	When string `yaml:"when" json:"when"`
	// Next is the step taken when the condition holds.
	Next string `yaml:"next" json:"next"`
}

// ParallelStep runs branches at the same time and carries on when all are
// done (a BPMN parallel gateway: fork, then join).
type ParallelStep struct {
	// Branches run at the same time; at least two.
	Branches []ParallelBranch `yaml:"branches" json:"branches"`
}

// ParallelBranch is a flow of its own: it starts at its first step and ends
// at a step without next. Its step ids share the recipe's namespace.
type ParallelBranch struct {
	// Steps of the branch; the first runs first.
	Steps []Step `yaml:"steps" json:"steps"`
}

// WaitStep waits for a time, a date or a message, whichever comes first
// (BPMN timer and message catch events, or an event-based gateway).
type WaitStep struct {
	// For is a duration to wait.
	For time.Duration `yaml:"for,omitempty" json:"for,omitempty"`
	// Until is an expression giving a date (RFC 3339 text or a time) to wait until.
	Until string `yaml:"until,omitempty" json:"until,omitempty"`
	// Message names a message delivered to POST /hooks/{recipe}/{message}.
	Message string `yaml:"message,omitempty" json:"message,omitempty"`
	// Correlation is a template giving the key the message must carry;
	// default the case reference.
	Correlation string `yaml:"correlation,omitempty" json:"correlation,omitempty"`
	// OnMessage is the step taken when the message arrives; default next.
	// The message's data is steps.<id>.message.
	OnMessage string `yaml:"on_message,omitempty" json:"on_message,omitempty"`
}

// SetStep assigns variables, vars.<name>, from templates (a BPMN script task).
type SetStep map[string]string

// SubrecipeStep runs another recipe as a child case (a BPMN call activity).
type SubrecipeStep struct {
	// Recipe is the id of a recipe in the same folder.
	Recipe string `yaml:"recipe" json:"recipe"`
	// Input maps the child's form answers to templates.
	Input map[string]string `yaml:"input,omitempty" json:"input,omitempty"`
	// OnError is taken when the child fails; without it the case fails.
	OnError string `yaml:"on_error,omitempty" json:"on_error,omitempty"`
}

// EndStep closes the case (a BPMN end event).
type EndStep struct {
	// Outcome is what the resident sees, e.g. "Missed collection reported".
	Outcome string `yaml:"outcome" json:"outcome"`
}

// FailStep closes the case as failed (a BPMN error end event); completed
// calls with an undo are reversed first.
type FailStep struct {
	// Outcome is what the resident sees.
	Outcome string `yaml:"outcome" json:"outcome"`
	// Reason is a template recorded for staff.
	Reason string `yaml:"reason,omitempty" json:"reason,omitempty"`
}

// StepByID returns the step with the given id, at the top level or inside
// any parallel branch.
func (r *Recipe) StepByID(id string) (Step, bool) {
	var found Step
	ok := false
	walkSteps(r.Steps, func(s Step) {
		if s.ID == id && !ok {
			found, ok = s, true
		}
	})
	return found, ok
}

// AllSteps lists every step, top level and inside parallel branches, in file order.
func (r *Recipe) AllSteps() []Step {
	var out []Step
	walkSteps(r.Steps, func(s Step) { out = append(out, s) })
	return out
}

// walkSteps visits steps depth first, branches after their parallel step.
func walkSteps(steps []Step, visit func(Step)) {
	for _, s := range steps {
		visit(s)
		if s.Parallel != nil {
			for _, b := range s.Parallel.Branches {
				walkSteps(b.Steps, visit)
			}
		}
	}
}

// FirstStep is where a case starts.
func (r *Recipe) FirstStep() string {
	if r.Start != "" {
		return r.Start
	}
	if len(r.Steps) > 0 {
		return r.Steps[0].ID
	}
	return ""
}

// Fields lists every field of the form in page order.
func (r *Recipe) Fields() []Field {
	var out []Field
	for _, p := range r.Form.Pages {
		out = append(out, p.Fields...)
	}
	return out
}

// Find is the recipe of the service with the id, or nil.
func Find(recipes []*Recipe, id string) *Recipe {
	for _, r := range recipes {
		if r.ID == id {
			return r
		}
	}
	return nil
}
