package bpmn

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/larder-council/larder/workflows/recipe"
)

// node is one BPMN flow node: a step's element, or one added around it
// (the start event, gateways, catch and boundary events, an undo).
type node struct {
	id, name string
	tag      string // BPMN element, e.g. serviceTask
	step     bool   // the element of a recipe step, id = step id

	attachedTo     string // a boundary event's host
	nonInterrupt   bool   // a boundary event that leaves its host running
	join           bool   // a parallel step's join
	forCompensate  bool   // an undo: runs only to compensate its call
	calledElement  string // a call activity's process
	queue          string // a user task's queue (its potential owner)
	script, format string // a script task's body

	event *eventDef // a catch, boundary or error end event's definition

	in, out []*flow
}

// eventDef is an event's one definition.
type eventDef struct {
	tag      string // timerEventDefinition, messageEventDefinition, ...
	ref      string // errorRef or messageRef
	duration string // a timer's timeDuration
	date     string // a timer's timeDate
}

// flow is a sequence flow.
type flow struct {
	id         string
	from, to   *node
	name, cond string
	isDefault  bool
}

// graph is a recipe's process as BPMN: nodes in file order, then flows.
type graph struct {
	process      string
	nodes        []*node
	byID         map[string]*node
	flows        []*flow
	associations [][2]*node // compensation: boundary event to undo
	roots        []root     // errors and messages the events refer to
	ids          ids
}

// root is a bpmn:error or bpmn:message.
type root struct{ tag, id, name, code string }

// ids hands out element ids: every step id is taken first, as it is, and
// each derived id is made unique by a -2, -3 suffix. Step ids are
// lower-case letters, digits and underscores starting with a letter (so
// valid XML names); every derived id holds a dash, so none can be a step's.
type ids map[string]bool

func (s ids) unique(base string) string {
	id := base
	for n := 2; s[id]; n++ {
		id = fmt.Sprintf("%s-%d", base, n)
	}
	s[id] = true
	return id
}

// Errors the events throw and catch.
const (
	errorRefused = "error-refused" // a call refused by its system (on_error)
	errorFailed  = "error-failed"  // a case closed by a fail step
)

// dropLonelyJoins removes a parallel join that fewer than two branches
// reach (the others close the case): its one flow goes straight on.
func (g *graph) dropLonelyJoins() {
	for _, j := range slices.Clone(g.nodes) {
		if !j.join || len(j.in) > 1 {
			continue
		}
		for _, o := range j.out {
			o.to.in = slices.DeleteFunc(o.to.in, func(f *flow) bool { return f == o })
			g.flows = slices.DeleteFunc(g.flows, func(f *flow) bool { return f == o })
			for _, f := range j.in {
				f.to = o.to
				o.to.in = append(o.to.in, f)
			}
		}
		g.remove(j)
	}
}

// addMerges puts an exclusive gateway before each task or event that more
// than one flow leads to, and before each forking gateway that does, so
// flows join only in gateways and no gateway both joins and forks.
func (g *graph) addMerges() {
	for _, n := range slices.Clone(g.nodes) {
		if len(n.in) < 2 || (n.gateway() && len(n.out) < 2) {
			continue
		}
		m := &node{id: g.ids.unique(n.id + "-merge"), tag: "exclusiveGateway", in: n.in}
		for _, f := range n.in {
			f.to = m
		}
		n.in = nil
		i := slices.Index(g.nodes, n)
		g.nodes = slices.Insert(g.nodes, i, m)
		g.byID[m.id] = m
		g.connect(m, n, "", "")
	}
}

// remove takes a node out of the graph.
func (g *graph) remove(n *node) {
	g.nodes = slices.DeleteFunc(g.nodes, func(m *node) bool { return m == n })
	delete(g.byID, n.id)
}

// gateway reports whether the node is a gateway.
func (n *node) gateway() bool { return strings.HasSuffix(n.tag, "Gateway") }

// processID is the id of a recipe's process: its own id, unless a step
// takes that id.
func processID(r *recipe.Recipe) string {
	if _, clash := r.StepByID(r.ID); clash {
		return r.ID + "-process"
	}
	return r.ID
}

// build turns the recipe's steps into a graph.
func build(r *recipe.Recipe) *graph {
	g := &graph{byID: map[string]*node{}, ids: ids{}}
	for _, s := range r.AllSteps() {
		g.ids[s.ID] = true
	}
	g.process = g.ids.unique(processID(r))
	start := g.add(&node{id: g.ids.unique("start-event"), tag: "startEvent", name: "Form submitted"})
	b := builder{g: g, r: r}
	b.route(start, r.FirstStep(), nil, "", "")
	b.flowOf(r.Steps, nil)
	for _, f := range b.pending {
		if g.byID[f.to] == nil {
			continue // a route to no step: the loader reports it
		}
		if f.cond == defaultFlow {
			g.connect(f.from, g.byID[f.to], f.name, "").isDefault = true
			continue
		}
		g.connect(f.from, g.byID[f.to], f.name, f.cond)
	}
	g.dropLonelyJoins()
	g.addMerges()
	// Flows are listed, and so named, in the order of the nodes they leave.
	at := map[*node]int{}
	for i, n := range g.nodes {
		at[n] = i
	}
	slices.SortStableFunc(g.flows, func(a, b *flow) int { return cmp.Compare(at[a.from], at[b.from]) })
	for _, f := range g.flows {
		f.id = g.ids.unique("flow-" + f.from.id + "-" + f.to.id)
	}
	return g
}

// add appends a node.
func (g *graph) add(n *node) *node {
	g.nodes = append(g.nodes, n)
	g.byID[n.id] = n
	return n
}

// connect adds a sequence flow from one node to another.
func (g *graph) connect(from, to *node, name, cond string) *flow {
	f := &flow{from: from, to: to, name: name, cond: cond}
	g.flows = append(g.flows, f)
	from.out = append(from.out, f)
	to.in = append(to.in, f)
	return f
}

// refer adds the error or message with the id once, and returns the id.
func (g *graph) refer(tag, id, name, code string) string {
	if !slices.ContainsFunc(g.roots, func(r root) bool { return r.id == id }) {
		g.ids[id] = true
		g.roots = append(g.roots, root{tag: tag, id: id, name: name, code: code})
	}
	return id
}
