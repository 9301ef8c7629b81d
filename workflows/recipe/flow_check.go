package recipe

import "slices"

// validateFlows checks each flow's shape: every step reachable, the top
// level able to end, and no loop that could spin without waiting.
func (v *validator) validateFlows() {
	for fi, f := range v.flows() {
		if len(f.steps) == 0 {
			continue
		}
		byID := map[string]stepAt{}
		for _, at := range f.steps {
			byID[at.step.ID] = at
		}
		first := f.steps[0].step.ID
		if fi == 0 {
			first = v.r.FirstStep()
		}
		seen := map[string]bool{}
		ends := false
		queue := []string{first}
		for len(queue) > 0 {
			id := queue[0]
			queue = queue[1:]
			if seen[id] {
				continue
			}
			seen[id] = true
			s := byID[id].step
			if s.closes() {
				ends = true
			}
			queue = append(queue, s.Routes()...)
		}
		for _, at := range f.steps {
			if !seen[at.step.ID] {
				v.add(at.node+".id", at.shown, "unreachable: no step leads here")
			}
		}
		if fi == 0 && !ends {
			v.add("$.steps", "steps", "no end or fail step can be reached; every case must end")
		}
		v.checkLoops(f, byID)
	}
}

// Routes lists the steps a step can route to, in declaration order: its
// next, on_error, branches, outcomes and on_message (a parallel step's
// branches start flows of their own and are not among them).
func (s Step) Routes() []string {
	var out []string
	add := func(id string) {
		if id != "" {
			out = append(out, id)
		}
	}
	add(s.Next)
	switch {
	case s.Call != nil:
		add(s.Call.OnError)
	case s.Decide != nil:
		for _, b := range s.Decide.Branches {
			add(b.Next)
		}
		add(s.Decide.Otherwise)
	case s.Task != nil:
		for _, o := range s.Task.Outcomes {
			add(o.Next)
		}
	case s.Wait != nil:
		add(s.Wait.OnMessage)
	case s.Subrecipe != nil:
		add(s.Subrecipe.OnError)
	}
	return out
}

// checkLoops finds cycles (Tarjan's strongly connected components) with no
// task or wait on them: such a case would route in circles without pause.
func (v *validator) checkLoops(f flow, byID map[string]stepAt) {
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	next := 0
	var strong func(id string)
	strong = func(id string) {
		index[id], low[id] = next, next
		next++
		stack = append(stack, id)
		onStack[id] = true
		for _, w := range byID[id].step.Routes() {
			if _, ok := byID[w]; !ok {
				continue
			}
			if _, visited := index[w]; !visited {
				strong(w)
				low[id] = min(low[id], low[w])
			} else if onStack[w] {
				low[id] = min(low[id], index[w])
			}
		}
		if low[id] != index[id] {
			return
		}
		var comp []string
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			comp = append(comp, w)
			if w == id {
				break
			}
		}
		self := len(comp) == 1 && slices.Contains(byID[id].step.Routes(), id)
		if len(comp) < 2 && !self {
			return
		}
		for _, w := range comp {
			if s := byID[w].step; s.Task != nil || s.Wait != nil {
				return
			}
		}
		// Report at the loop's step that comes first in the file.
		firstAt := byID[comp[0]]
		for _, at := range f.steps {
			if slices.Contains(comp, at.step.ID) {
				firstAt = at
				break
			}
		}
		v.add(firstAt.node+".id", firstAt.shown, "is on a loop with no task or wait step, so a case could go round it forever")
	}
	for _, at := range f.steps {
		if _, visited := index[at.step.ID]; !visited {
			strong(at.step.ID)
		}
	}
}
