package bpmn

import (
	"fmt"
	"strings"

	"github.com/larder-council/larder/workflows/recipe"
)

// pendingFlow is a route to a step that may come later in the file.
type pendingFlow struct {
	from       *node
	to         string
	name, cond string
}

// builder walks the steps, adding their nodes and noting their routes.
type builder struct {
	g       *graph
	r       *recipe.Recipe
	pending []pendingFlow
}

// route notes a flow to the step with the id; an empty id leaves the flow
// (a parallel branch ending), so the flow goes to end.
func (b *builder) route(from *node, to string, end *node, name, cond string) {
	if to == "" {
		if end != nil {
			b.g.connect(from, end, name, cond)
		}
		return
	}
	b.pending = append(b.pending, pendingFlow{from: from, to: to, name: name, cond: cond})
}

// derived adds a node with an id made from the step's.
func (b *builder) derived(s recipe.Step, suffix, tag, name string) *node {
	return b.g.add(&node{id: b.g.ids.unique(s.ID + "-" + suffix), tag: tag, name: name})
}

// flowOf adds the steps of one flow; end is the join a parallel branch's
// last steps lead to (nil at the top level).
func (b *builder) flowOf(steps []recipe.Step, end *node) {
	for _, s := range steps {
		b.step(s, end)
	}
}

func (b *builder) step(s recipe.Step, end *node) {
	g := b.g
	n := g.add(&node{id: s.ID, step: true, name: s.Title})
	named := func(fallback string) {
		if n.name == "" {
			n.name = fallback
		}
	}
	switch {
	case s.Call != nil:
		n.tag = "serviceTask"
		named(s.Call.Connector + "." + s.Call.Operation)
		b.route(n, s.Next, end, "", "")
		if s.Call.OnError != "" {
			e := b.derived(s, "error", "boundaryEvent", "Refused")
			e.attachedTo = n.id
			e.event = &eventDef{tag: "errorEventDefinition", ref: g.refer("error", errorRefused, "Refused", "refused")}
			b.route(e, s.Call.OnError, end, "", "")
		}
		if u := s.Call.Undo; u != nil {
			e := b.derived(s, "compensate", "boundaryEvent", "Undo")
			e.attachedTo = n.id
			e.event = &eventDef{tag: "compensateEventDefinition"}
			h := b.derived(s, "undo", "serviceTask", s.Call.Connector+"."+u.Operation)
			h.forCompensate = true
			g.associations = append(g.associations, [2]*node{e, h})
		}
	case s.Email != nil:
		n.tag = "sendTask"
		named("Email: " + s.Email.Subject)
		b.route(n, s.Next, end, "", "")
	case s.Task != nil:
		n.tag = "userTask"
		named(s.Task.Title)
		n.queue = s.Task.Queue
		b.task(s, n, end)
	case s.Decide != nil:
		n.tag = "exclusiveGateway"
		named(strings.ReplaceAll(s.ID, "_", " ") + "?")
		b.decide(s, n, end)
	case s.Parallel != nil:
		n.tag = "parallelGateway"
		b.parallel(s, n, end)
	case s.Wait != nil:
		b.wait(s, n, end)
	case s.Set != nil:
		n.tag = "scriptTask"
		names := recipe.SortedKeys(*s.Set)
		named("Set " + strings.Join(names, ", "))
		var lines []string
		for _, k := range names {
			lines = append(lines, "vars."+k+" = "+(*s.Set)[k])
		}
		n.script, n.format = strings.Join(lines, "\n"), "larder"
		b.route(n, s.Next, end, "", "")
	case s.Subrecipe != nil:
		n.tag = "callActivity"
		named("Run " + s.Subrecipe.Recipe)
		n.calledElement = s.Subrecipe.Recipe
		if child := b.r.Subrecipes[s.Subrecipe.Recipe]; child != nil {
			n.calledElement = processID(child)
		}
		b.route(n, s.Next, end, "", "")
		if s.Subrecipe.OnError != "" {
			e := b.derived(s, "error", "boundaryEvent", "Child case failed")
			e.attachedTo = n.id
			e.event = &eventDef{tag: "errorEventDefinition", ref: g.refer("error", errorFailed, "Case failed", "failed")}
			b.route(e, s.Subrecipe.OnError, end, "", "")
		}
	case s.End != nil:
		n.tag = "endEvent"
		named(s.End.Outcome)
	case s.Fail != nil:
		n.tag = "endEvent"
		named(s.Fail.Outcome)
		n.event = &eventDef{tag: "errorEventDefinition", ref: g.refer("error", errorFailed, "Case failed", "failed")}
	}
}

// parallel forks to each branch's first step and joins the branches'
// last steps. A branch that leaves by more than one flow (a wait's timer
// and message) gathers them in an exclusive gateway first, so the join
// waits for one token per branch.
func (b *builder) parallel(s recipe.Step, n, end *node) {
	g := b.g
	join := &node{id: g.ids.unique(s.ID + "-join"), tag: "parallelGateway", join: true}
	for i, br := range s.Parallel.Branches {
		if len(br.Steps) == 0 {
			continue
		}
		b.route(n, br.Steps[0].ID, end, "", "")
		last := &node{tag: "exclusiveGateway"}
		b.flowOf(br.Steps, last)
		switch len(last.in) {
		case 0:
		case 1:
			f := last.in[0]
			f.to, join.in = join, append(join.in, f)
		default:
			last.id = g.ids.unique(fmt.Sprintf("%s-branch-%d", s.ID, i+1))
			g.add(last)
			g.connect(last, join, "", "")
		}
	}
	g.add(join)
	b.route(join, s.Next, end, "", "")
}

// task routes a user task by its outcomes: straight on when they all lead
// to one step, else through an exclusive gateway with a flow per step,
// named by the outcomes' labels, on the condition over steps.<id>.outcome.
// An escalation is a non-interrupting timer boundary event.
func (b *builder) task(s recipe.Step, n, end *node) {
	var targets []string
	byTarget := map[string][]recipe.Outcome{}
	for _, o := range s.Task.Outcomes {
		if byTarget[o.Next] == nil {
			targets = append(targets, o.Next)
		}
		byTarget[o.Next] = append(byTarget[o.Next], o)
	}
	if len(targets) == 1 {
		b.route(n, targets[0], end, "", "")
	} else if len(targets) > 1 {
		gw := b.derived(s, "outcome", "exclusiveGateway", "Outcome?")
		b.g.connect(n, gw, "", "")
		for _, t := range targets {
			var labels, ids []string
			for _, o := range byTarget[t] {
				labels = append(labels, o.Label)
				ids = append(ids, fmt.Sprintf("%q", o.ID))
			}
			cond := fmt.Sprintf("steps.%s.outcome == %s", s.ID, ids[0])
			if len(ids) > 1 {
				cond = fmt.Sprintf("steps.%s.outcome in [%s]", s.ID, strings.Join(ids, ", "))
			}
			b.route(gw, t, end, strings.Join(labels, " or "), cond)
		}
	}
	e := s.Task.Escalate
	if e == nil {
		return
	}
	timer := b.derived(s, "escalate", "boundaryEvent", "After "+period(e.After))
	timer.attachedTo, timer.nonInterrupt = n.id, true
	timer.event = &eventDef{tag: "timerEventDefinition", duration: isoPeriod(e.After)}
	last := timer
	if e.Queue != "" {
		moved := b.derived(s, "reassign", "task", "Move to "+e.Queue)
		b.g.connect(last, moved, "", "")
		last = moved
	}
	if e.Email != nil {
		sent := b.derived(s, "escalate-email", "sendTask", "Email: "+e.Email.Subject)
		b.g.connect(last, sent, "", "")
		last = sent
	}
	b.g.connect(last, b.derived(s, "escalated", "endEvent", "Escalated"), "", "")
}

// decide routes an exclusive gateway: a flow per branch, named by and on
// its condition, the otherwise flow its default. Branches leading to the
// same step share one flow; a branch leading where otherwise does is
// covered by the default.
func (b *builder) decide(s recipe.Step, n, end *node) {
	var targets []string
	conds := map[string][]string{}
	for _, br := range s.Decide.Branches {
		if br.Next == s.Decide.Otherwise {
			continue
		}
		if conds[br.Next] == nil {
			targets = append(targets, br.Next)
		}
		conds[br.Next] = append(conds[br.Next], br.When)
	}
	for _, t := range targets {
		name := strings.Join(conds[t], " or ")
		cond := conds[t][0]
		if len(conds[t]) > 1 {
			cond = "(" + strings.Join(conds[t], ") || (") + ")"
		}
		b.route(n, t, end, name, cond)
	}
	b.pending = append(b.pending, pendingFlow{from: n, to: s.Decide.Otherwise, name: "otherwise", cond: defaultFlow})
}

// defaultFlow marks a pending flow as its gateway's default.
const defaultFlow = "\x00default"

// wait is one catch event when the step waits for one thing, else an
// event-based gateway to a catch event per thing (for, until, message).
func (b *builder) wait(s recipe.Step, n, end *node) {
	w := s.Wait
	type catch struct {
		suffix, name string
		def          *eventDef
		next         string
	}
	var catches []catch
	if w.For > 0 {
		catches = append(catches, catch{"for", "After " + duration(w.For), &eventDef{tag: "timerEventDefinition", duration: isoDuration(w.For)}, s.Next})
	}
	if w.Until != "" {
		catches = append(catches, catch{"until", "At " + w.Until, &eventDef{tag: "timerEventDefinition", date: w.Until}, s.Next})
	}
	if w.Message != "" {
		next := w.OnMessage
		if next == "" {
			next = s.Next
		}
		ref := b.g.refer("message", "message-"+w.Message, w.Message, "")
		catches = append(catches, catch{"message", "Message " + w.Message, &eventDef{tag: "messageEventDefinition", ref: ref}, next})
	}
	if len(catches) == 1 {
		c := catches[0]
		n.tag, n.event = "intermediateCatchEvent", c.def
		if n.name == "" {
			n.name = c.name
		}
		b.route(n, c.next, end, "", "")
		return
	}
	n.tag = "eventBasedGateway"
	for _, c := range catches {
		e := b.derived(s, c.suffix, "intermediateCatchEvent", c.name)
		e.event = c.def
		b.g.connect(n, e, "", "")
		b.route(e, c.next, end, "", "")
	}
}
