package recipe

import (
	"fmt"
	"strings"
)

// subrecipeRef is a subrecipe step waiting to be resolved, with the problem
// to report if it cannot be.
type subrecipeRef struct {
	id      string
	problem Problem
}

// resolveSubrecipes gives each recipe snapshots of the recipes it runs as
// children, refusing unknown ids and recipes that call themselves round.
// Problems come in file order, whatever the order of the map.
func resolveSubrecipes(byID map[string]*Recipe) Problems {
	var problems Problems
	ids := SortedKeys(byID)
	for _, id := range ids {
		for _, ref := range byID[id].refs {
			if _, ok := byID[ref.id]; !ok {
				p := ref.problem
				p.Message = fmt.Sprintf("unknown recipe %q (subrecipes must be in the same folder)", ref.id)
				problems = append(problems, p)
			}
		}
	}
	if len(problems) == 0 {
		// Each recipe on a circle is told at the step that closes it.
		for _, id := range ids {
			for _, ref := range byID[id].refs {
				if back := callsBack(ref.id, id, byID, map[string]bool{}); back != nil {
					p := ref.problem
					p.Message = "recipes call each other in a circle: " + strings.Join(append([]string{id}, back...), " -> ")
					problems = append(problems, p)
					break
				}
			}
		}
	}
	if len(problems) > 0 {
		problems.InFileOrder()
		return problems
	}
	for _, id := range ids {
		attach(byID[id], byID)
	}
	return nil
}

// callsBack returns the chain of recipe ids by which id runs target, id
// first and target last, or nil when it never does.
func callsBack(id, target string, byID map[string]*Recipe, seen map[string]bool) []string {
	if id == target {
		return []string{id}
	}
	if seen[id] {
		return nil
	}
	seen[id] = true
	for _, ref := range byID[id].refs {
		if rest := callsBack(ref.id, target, byID, seen); rest != nil {
			return append([]string{id}, rest...)
		}
	}
	return nil
}

// attach copies the called recipes, and theirs, into r.Subrecipes.
func attach(r *Recipe, byID map[string]*Recipe) {
	for _, ref := range r.refs {
		if r.Subrecipes == nil {
			r.Subrecipes = map[string]*Recipe{}
		}
		if _, done := r.Subrecipes[ref.id]; done {
			continue
		}
		child := *byID[ref.id]
		child.Subrecipes = nil
		attach(&child, byID)
		r.Subrecipes[ref.id] = &child
	}
}
