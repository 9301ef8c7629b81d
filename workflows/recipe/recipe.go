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
	// NextSteps tells the resident what happens after they submit.
	NextSteps string `yaml:"next_steps,omitempty" json:"next_steps,omitempty"`
	// Form is the questions, page by page.
	Form Form `yaml:"form" json:"form"`
	// Start is the first step; empty means the first in Steps.
	Start string `yaml:"start,omitempty" json:"start,omitempty"`
	// Steps are what happens after submission.
	Steps []Step `yaml:"steps" json:"steps"`

	// Hash is the content hash of the source file, set by the loader.
	Hash string `yaml:"-" json:"hash"`
	// File is where the recipe was loaded from, set by the loader.
	File string `yaml:"-" json:"-"`
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
	// Fields are the questions on the page.
	Fields []Field `yaml:"fields" json:"fields"`
}

// Field is one question.
type Field struct {
	// ID is the answer's name in expressions: form.<id>.
	ID string `yaml:"id" json:"id"`
	// Type is one of text, textarea, email, postcode, radios, address.
	Type string `yaml:"type" json:"type"`
	// Label is the question text.
	Label string `yaml:"label" json:"label"`
	// Hint helps the resident answer.
	Hint string `yaml:"hint,omitempty" json:"hint,omitempty"`
	// Validate holds validator rules, e.g. "required,email,max=254".
	Validate string `yaml:"validate,omitempty" json:"validate,omitempty"`
	// Messages overrides the error message for a rule, keyed by rule name.
	Messages map[string]string `yaml:"messages,omitempty" json:"messages,omitempty"`
	// Options are the choices of a radios field.
	Options []Option `yaml:"options,omitempty" json:"options,omitempty"`
	// Lookup fetches the choices of an address field from a connector.
	Lookup *Lookup `yaml:"lookup,omitempty" json:"lookup,omitempty"`
	// Example is an answer that passes validation, for previews and tests.
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
	// Connector and Operation name the call, as in a call step.
	Connector string `yaml:"connector" json:"connector"`
	Operation string `yaml:"operation" json:"operation"`
	// Input maps the operation's inputs to templates over form answers.
	Input map[string]string `yaml:"input,omitempty" json:"input,omitempty"`
	// Items is an expression over the result giving the list of choices.
	Items string `yaml:"items" json:"items"`
	// Value and Label are item keys for each choice's value and text.
	Value string `yaml:"value" json:"value"`
	Label string `yaml:"label" json:"label"`
}

// Step is one thing the case does. Exactly one kind is set.
type Step struct {
	// ID names the step in routes and in expressions: steps.<id>.
	ID string `yaml:"id" json:"id"`
	// Title describes the step on the case timeline.
	Title string `yaml:"title,omitempty" json:"title,omitempty"`
	// Next is the step that follows; an end step has none.
	Next string `yaml:"next,omitempty" json:"next,omitempty"`

	Call   *CallStep   `yaml:"call,omitempty" json:"call,omitempty"`
	Email  *EmailStep  `yaml:"email,omitempty" json:"email,omitempty"`
	Decide *DecideStep `yaml:"decide,omitempty" json:"decide,omitempty"`
	End    *EndStep    `yaml:"end,omitempty" json:"end,omitempty"`
}

// Kind names the kind of step that is set, or "" when none is.
func (s Step) Kind() string {
	switch {
	case s.Call != nil:
		return "call"
	case s.Email != nil:
		return "email"
	case s.Decide != nil:
		return "decide"
	case s.End != nil:
		return "end"
	}
	return ""
}

// kinds counts how many kinds are set; exactly one is valid.
func (s Step) kinds() int {
	n := 0
	for _, set := range []bool{s.Call != nil, s.Email != nil, s.Decide != nil, s.End != nil} {
		if set {
			n++
		}
	}
	return n
}

// CallStep calls a connector operation (a BPMN service task).
type CallStep struct {
	// Connector names an entry in connectors.yaml.
	Connector string `yaml:"connector" json:"connector"`
	// Operation names one of the connector's operations.
	Operation string `yaml:"operation" json:"operation"`
	// Input maps the operation's inputs to templates.
	Input map[string]string `yaml:"input,omitempty" json:"input,omitempty"`
	// Timeout bounds one attempt; default 30s.
	Timeout time.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	// Retry bounds the attempts made on failures worth retrying.
	Retry *Retry `yaml:"retry,omitempty" json:"retry,omitempty"`
	// OnError is the step taken when the call finally fails; the error is
	// available as steps.<id>.error. Without it the case fails.
	OnError string `yaml:"on_error,omitempty" json:"on_error,omitempty"`
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
	To      string `yaml:"to" json:"to"`
	Subject string `yaml:"subject" json:"subject"`
	Text    string `yaml:"text" json:"text"`
	HTML    string `yaml:"html,omitempty" json:"html,omitempty"`
}

// DecideStep takes the first branch whose condition holds (a BPMN exclusive gateway).
type DecideStep struct {
	Branches []Branch `yaml:"branches" json:"branches"`
	// Otherwise is taken when no branch holds.
	Otherwise string `yaml:"otherwise" json:"otherwise"`
}

// Branch is one way out of a decide step.
type Branch struct {
	// When is a boolean expression.
	When string `yaml:"when" json:"when"`
	Next string `yaml:"next" json:"next"`
}

// EndStep closes the case (a BPMN end event).
type EndStep struct {
	// Outcome is what the resident sees, e.g. "Missed collection reported".
	Outcome string `yaml:"outcome" json:"outcome"`
}

// StepByID returns the step with the given id.
func (r *Recipe) StepByID(id string) (Step, bool) {
	for _, s := range r.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return Step{}, false
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
