package recipe

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"
)

// stepAt is a step with where it sits in the file.
type stepAt struct {
	step  Step
	node  string // YAML path for positions, e.g. $.steps[2].parallel.branches[0].steps[1]
	shown string // designer's path, e.g. steps.book
}

// flow is a run of steps with routes of its own: the recipe's top level, or
// one branch of a parallel step. Routes may only name steps of the same flow.
type flow struct {
	steps    []stepAt
	node     string
	shown    string // designer's path, e.g. steps.both.parallel.branches[0].steps
	inBranch bool
}

// flows lists the recipe's top-level flow and every branch, depth first.
func (v *validator) flows() []flow {
	var out []flow
	var visit func(steps []Step, node, shown string, inBranch bool)
	visit = func(steps []Step, node, shown string, inBranch bool) {
		f := flow{node: node, shown: shown, inBranch: inBranch}
		for i, s := range steps {
			at := stepAt{step: s, node: fmt.Sprintf("%s[%d]", node, i), shown: "steps." + nameOr(s.ID, i)}
			f.steps = append(f.steps, at)
		}
		out = append(out, f)
		for _, at := range f.steps {
			if p := at.step.Parallel; p != nil {
				for j, b := range p.Branches {
					key := fmt.Sprintf(".parallel.branches[%d].steps", j)
					visit(b.Steps, at.node+key, at.shown+key, true)
				}
			}
		}
	}
	visit(v.r.Steps, "$.steps", "steps", false)
	return out
}

func (v *validator) validateSteps() {
	if len(v.r.Steps) == 0 {
		v.add("$", "steps", "needs at least one step")
		return
	}
	ids := map[string]bool{}
	for _, f := range v.flows() {
		if len(f.steps) == 0 {
			v.add(f.node, f.shown, "a parallel branch needs at least one step")
		}
		local := map[string]bool{}
		for _, at := range f.steps {
			local[at.step.ID] = true
		}
		for _, at := range f.steps {
			s := at.step
			if !namePattern.MatchString(s.ID) {
				v.add(at.node+".id", at.shown+".id", "must be lower-case letters, digits and underscores, starting with a letter (expressions refer to it as steps.<id>)")
			} else if ids[s.ID] {
				v.add(at.node+".id", at.shown+".id", "duplicate step id %q", s.ID)
			}
			ids[s.ID] = true
			v.validateStep(at, f, local)
		}
	}
	if r := v.r; r.Start != "" {
		top := map[string]bool{}
		for _, s := range r.Steps {
			top[s.ID] = true
		}
		if !top[r.Start] {
			v.add("$.start", "start", "unknown step %q", r.Start)
		}
	}
}

// validateStep checks one step; local holds the ids its routes may name.
func (v *validator) validateStep(at stepAt, f flow, local map[string]bool) {
	s, node, shown := at.step, at.node, at.shown
	route := func(key, target string) {
		if target == "" {
			v.add(node+"."+key, shown+"."+key, "is required: the step this leads to")
			return
		}
		if local[target] {
			return
		}
		where := ""
		if v.stepExists(target) {
			where = " in this flow (a route cannot leave or enter a parallel branch)"
		}
		v.add(node+"."+key, shown+"."+key, "unknown step %q%s%s", target, where, suggest(target, f.steps))
	}
	switch n := s.kinds(); {
	case n == 0:
		if k := v.emptyKind(node); k != "" {
			v.add(node+"."+k, shown+"."+k, "is empty: give the %s step its settings on the lines below, indented", k)
			return
		}
		v.add(node, shown, "needs one of %s", strings.Join(StepKinds, ", "))
		return
	case n > 1:
		v.add(node, shown, "has more than one kind (%s); a step is exactly one kind", strings.Join(s.setKinds(), ", "))
		return
	}
	switch {
	case s.closes() || s.Decide != nil:
		if s.Next != "" {
			why := "it closes the case"
			if s.Decide != nil {
				why = "its branches say where to go"
			}
			v.add(node+".next", shown+".next", "%s step has no next: %s", article(s.Kind()), why)
		}
	case s.Task != nil:
		if s.Next != "" {
			v.add(node+".next", shown+".next", "a task step has no next: each outcome says where to go")
		}
	case s.Next == "" && !f.inBranch:
		v.add(node, shown+".next", "is required: which step comes after this one")
	case s.Next != "":
		route("next", s.Next)
	}
	if s.End != nil && f.inBranch {
		v.add(node+".end", shown+".end", "an end step cannot be inside a parallel branch; leave next out to end the branch")
	}
	kind := node + "." + s.Kind()
	kindShown := shown + "." + s.Kind()
	switch {
	case s.Call != nil:
		c := s.Call
		v.checkOperation(kind, kindShown, c.Connector, c.Operation)
		v.checkTemplates(kind+".input", kindShown+".input", c.Input)
		if c.OnError != "" {
			route("call.on_error", c.OnError)
		}
		if c.Retry != nil && c.Retry.MaxAttempts < 0 {
			v.add(kind+".retry.max_attempts", kindShown+".retry.max_attempts", "must not be negative")
		}
		if c.Undo != nil {
			v.checkOperation(kind+".undo", kindShown+".undo", c.Connector, c.Undo.Operation)
			v.checkTemplates(kind+".undo.input", kindShown+".undo.input", c.Undo.Input)
		}
	case s.Email != nil:
		v.checkEmail(kind, kindShown, s.Email)
	case s.Task != nil:
		v.checkTask(kind, kindShown, s.Task, route)
	case s.Decide != nil:
		d := s.Decide
		if len(d.Branches) == 0 {
			v.add(kind, kindShown+".branches", "needs at least one branch")
		}
		for j, b := range d.Branches {
			key := fmt.Sprintf("decide.branches[%d]", j)
			v.checkCondition(node+"."+key+".when", shown+"."+key+".when", b.When, caseScope)
			route(key+".next", b.Next)
		}
		if d.Otherwise == "" {
			v.add(kind, kindShown+".otherwise", "is required: the step taken when no branch holds")
		} else {
			route("decide.otherwise", d.Otherwise)
		}
	case s.Parallel != nil:
		if len(s.Parallel.Branches) < 2 {
			v.add(kind, kindShown+".branches", "needs at least two branches")
		}
	case s.Wait != nil:
		w := s.Wait
		if w.For <= 0 && w.Until == "" && w.Message == "" {
			v.add(kind, kindShown, "needs for, until or message: what to wait for")
		}
		if w.For < 0 {
			v.add(kind+".for", kindShown+".for", "must not be negative")
		}
		if w.Until != "" {
			v.checkTemplate(kind+".until", kindShown+".until", "{{"+w.Until+"}}")
		}
		if w.Message != "" && !idPattern.MatchString(w.Message) {
			v.add(kind+".message", kindShown+".message", "must be lower-case letters, digits, dashes and underscores (it is part of the hook URL)")
		}
		if w.Correlation != "" {
			v.checkTemplate(kind+".correlation", kindShown+".correlation", w.Correlation)
		}
		if w.OnMessage != "" {
			if w.Message == "" {
				v.add(kind+".on_message", kindShown+".on_message", "needs message: which message routes here")
			}
			route("wait.on_message", w.OnMessage)
		}
	case s.Set != nil:
		if len(*s.Set) == 0 {
			v.add(kind, kindShown, "needs at least one variable")
		}
		for _, name := range SortedKeys(*s.Set) {
			if !namePattern.MatchString(name) {
				v.add(kind+"."+name, kindShown+"."+name, "variable names are lower-case letters, digits and underscores (expressions refer to them as vars.<name>)")
			}
			v.checkTemplate(kind+"."+name, kindShown+"."+name, (*s.Set)[name])
		}
	case s.Subrecipe != nil:
		sr := s.Subrecipe
		if !idPattern.MatchString(sr.Recipe) {
			v.add(kind+".recipe", kindShown+".recipe", "is required: the id of the recipe to run")
		} else {
			line, col := position(v.tree, kind+".recipe")
			v.r.refs = append(v.r.refs, subrecipeRef{id: sr.Recipe, problem: Problem{File: v.file, Line: line, Col: col, Path: kindShown + ".recipe"}})
		}
		v.checkTemplates(kind+".input", kindShown+".input", sr.Input)
		if sr.OnError != "" {
			route("subrecipe.on_error", sr.OnError)
		}
	case s.End != nil:
		if s.End.Outcome == "" {
			v.add(kind, kindShown+".outcome", "is required: what the resident is told")
		}
	case s.Fail != nil:
		if s.Fail.Outcome == "" {
			v.add(kind, kindShown+".outcome", "is required: what the resident is told")
		}
		v.checkTemplate(kind+".reason", kindShown+".reason", s.Fail.Reason)
	}
}

func (v *validator) checkEmail(node, shown string, e *EmailStep) {
	if e.Template != "" {
		lib, ok := v.conns.(EmailTemplates)
		if !ok {
			return // no templates to check against
		}
		t, found := lib.EmailTemplate(e.Template)
		if !found {
			has := strings.Join(lib.EmailTemplateNames(), ", ")
			if has == "" {
				has = "none yet"
			}
			v.add(node+".template", shown+".template", "unknown email template %q (define it in %s; it has %s)", e.Template, EmailsFile, has)
			return
		}
		withTemplate(e, t)
	}
	for _, f := range []struct{ key, tmpl string }{{"to", e.To}, {"subject", e.Subject}, {"text", e.Text}} {
		if strings.TrimSpace(f.tmpl) == "" {
			v.add(node, shown+"."+f.key, "is required")
		}
	}
	v.checkTemplates(node, shown, map[string]string{"to": e.To, "subject": e.Subject, "text": e.Text, "html": e.HTML})
	inLayout(e, v.conns)
}

func (v *validator) checkTask(node, shown string, t *TaskStep, route func(key, target string)) {
	if !idPattern.MatchString(t.Queue) {
		v.add(node+".queue", shown+".queue", "is required: the team whose inbox shows the task, like waste-team")
	}
	if strings.TrimSpace(t.Title) == "" {
		v.add(node, shown+".title", "is required: how the task reads in the inbox")
	}
	v.checkTemplate(node+".title", shown+".title", t.Title)
	v.checkTemplate(node+".instructions", shown+".instructions", t.Instructions)
	if len(t.Outcomes) == 0 {
		v.add(node, shown+".outcomes", "needs at least one outcome")
	}
	seen := map[string]bool{}
	for j, o := range t.Outcomes {
		key := fmt.Sprintf("outcomes[%d]", j)
		if !namePattern.MatchString(o.ID) {
			v.add(node+"."+key+".id", shown+"."+key+".id", "must be lower-case letters, digits and underscores")
		} else if seen[o.ID] {
			v.add(node+"."+key+".id", shown+"."+key+".id", "duplicate outcome %q", o.ID)
		}
		seen[o.ID] = true
		if o.Label == "" {
			v.add(node+"."+key, shown+"."+key+".label", "is required")
		}
		route("task."+key+".next", o.Next)
	}
	fields := map[string]bool{}
	for j, f := range t.Fields {
		key := fmt.Sprintf("fields[%d]", j)
		if !namePattern.MatchString(f.ID) || fields[f.ID] {
			v.add(node+"."+key+".id", shown+".fields."+nameOr(f.ID, j)+".id", "must be a unique name of lower-case letters, digits and underscores")
		}
		fields[f.ID] = true
		v.checkQuestion(node+"."+key, shown+".fields."+nameOr(f.ID, j), f, caseScope)
	}
	if t.Due.Duration < 0 {
		v.add(node+".due", shown+".due", "must not be negative")
	}
	if e := t.Escalate; e != nil {
		switch {
		case e.After.IsZero():
			v.add(node+".escalate", shown+".escalate.after", "is required: how long before escalating, like 48h or 2 working days")
		case e.After.Duration < 0:
			v.add(node+".escalate.after", shown+".escalate.after", "must not be negative")
		}
		if e.Queue != "" && !idPattern.MatchString(e.Queue) {
			v.add(node+".escalate.queue", shown+".escalate.queue", "must be a team name of lower-case letters, digits and dashes, like waste-managers")
		}
		if e.Queue == "" && e.Email == nil {
			v.add(node+".escalate", shown+".escalate", "needs queue or email: what escalating does")
		}
		if e.Email != nil {
			v.checkEmail(node+".escalate.email", shown+".escalate.email", e.Email)
		}
	}
}

// emptyKind names the kind key a step has with nothing under it (end:
// alone), which decodes as no kind at all.
func (v *validator) emptyKind(node string) string {
	for _, k := range StepKinds {
		if p, err := yaml.PathString(node + "." + k); err == nil {
			if n, err := p.FilterFile(v.tree); err == nil && n != nil {
				return k
			}
		}
	}
	return ""
}

// stepExists reports whether any flow has the step.
func (v *validator) stepExists(id string) bool {
	_, ok := v.r.StepByID(id)
	return ok
}
