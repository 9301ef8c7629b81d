package recipe

import "fmt"

// subrecipeRef is a subrecipe step waiting to be resolved, with the problem
// to report if it cannot be.
type subrecipeRef struct {
	id      string
	problem Problem
}

// resolveSubrecipes gives each recipe snapshots of the recipes it runs as
// children, refusing unknown ids and recipes that call themselves round.
func resolveSubrecipes(byID map[string]*Recipe) Problems {
	var problems Problems
	for _, r := range byID {
		for _, ref := range r.refs {
			if _, ok := byID[ref.id]; !ok {
				p := ref.problem
				p.Message = fmt.Sprintf("unknown recipe %q (subrecipes must be in the same folder)", ref.id)
				problems = append(problems, p)
			}
		}
	}
	if len(problems) > 0 {
		return problems
	}
	for _, r := range byID {
		if path := cycle(r, byID, nil); path != nil {
			p := r.refs[0].problem
			p.Message = fmt.Sprintf("recipes call each other in a circle: %v", path)
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return problems
	}
	for _, r := range byID {
		attach(r, byID)
	}
	return nil
}

// cycle returns the chain of recipe ids leading back to one on the path.
func cycle(r *Recipe, byID map[string]*Recipe, path []string) []string {
	for _, id := range path {
		if id == r.ID {
			return append(path, r.ID)
		}
	}
	path = append(path, r.ID)
	for _, ref := range r.refs {
		if c := cycle(byID[ref.id], byID, path); c != nil {
			return c
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
