package recipe

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// scope is what the expressions at one place of a recipe can see.
type scope struct {
	// roots are the names expressions there start from, e.g. form, steps.
	roots []string
}

var (
	// caseScope is what a step's expressions see while a case runs.
	caseScope = scope{roots: []string{"form", "vars", "steps", "case"}}
	// formScope is what a form's show_if and a lookup's input see: the
	// answers so far, before there is a case.
	formScope = scope{roots: []string{"form"}}
	// resultScope is what a lookup's items see: the operation's result.
	resultScope = scope{roots: []string{"result"}}
	// nextStepsScope is what next_steps sees on the confirmation page:
	// the answers and the new case's reference, before any step has run.
	nextStepsScope = scope{roots: []string{"form", "case"}}
)

// CaseKeys are what case.<key> holds in expressions.
var CaseKeys = []string{"reference", "service", "title", "submitted_at"}

// nextStepsCaseKeys are the case keys next_steps can use.
var nextStepsCaseKeys = []string{"reference", "service", "title"}

// ref is one name an expression reaches for: a root alone (form), or a
// root and the key below it (steps.raise).
type ref struct {
	root, key string
	hasKey    bool
}

// exprRefs lists the names an expression refers to, in order: the roots
// it reads, with the key under form, vars, steps and case, and the
// arguments of each label() call. Names a let declares, the # and .field
// of predicates and function names are left out.
func exprRefs(src string) (refs []ref, labels []ast.Node, err error) {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, nil, err
	}
	local := map[string]bool{"$env": true}
	skip := map[ast.Node]bool{}
	ast.Walk(&tree.Node, visitor(func(n ast.Node) {
		switch n := n.(type) {
		case *ast.VariableDeclaratorNode:
			local[n.Name] = true
		case *ast.CallNode:
			skip[n.Callee] = true
			if id, ok := n.Callee.(*ast.IdentifierNode); ok && id.Value == "label" {
				labels = append(labels, n)
			}
		case *ast.MemberNode:
			if id, ok := n.Node.(*ast.IdentifierNode); ok {
				if key, ok := n.Property.(*ast.StringNode); ok {
					refs = append(refs, ref{root: id.Value, key: key.Value, hasKey: true})
					skip[id] = true
				}
			}
		}
	}))
	// Roots alone: an identifier not under a member access nor a function.
	ast.Walk(&tree.Node, visitor(func(n ast.Node) {
		if id, ok := n.(*ast.IdentifierNode); ok && !skip[n] && !local[id.Value] {
			refs = append(refs, ref{root: id.Value})
		}
	}))
	for i := range refs {
		if local[refs[i].root] {
			refs[i] = ref{}
		}
	}
	return refs, labels, nil
}

// visitor is an ast.Visitor calling f on each node, children first.
type visitor func(ast.Node)

func (f visitor) Visit(n *ast.Node) { f(*n) }

// checkRefs checks that what one expression refers to exists: the steps,
// variables, form fields and case keys it names, and roots the place can
// see, suggesting a near name for a misspelt one.
func (v *validator) checkRefs(node, shown, src string, sc scope) {
	refs, labels, err := exprRefs(src)
	if err != nil {
		return // compile reports it
	}
	said := map[string]bool{}
	say := func(format string, args ...any) {
		if msg := fmt.Sprintf(format, args...); !said[msg] {
			said[msg] = true
			v.add(node, shown, "%s", msg)
		}
	}
	for _, r := range refs {
		if r.root == "" {
			continue
		}
		if !slices.Contains(sc.roots, r.root) {
			say("expression %q names %q, which is not known here: expressions here see %s%s", src, r.root, strings.Join(sc.roots, ", "), didYouMean(r.root, sc.roots))
			continue
		}
		if !r.hasKey {
			continue
		}
		switch r.root {
		case "form":
			if !v.fields[r.key] {
				say("unknown form field %q%s", r.key, didYouMean(r.key, SortedKeys(v.fields)))
			}
		case "steps":
			if !slices.Contains(v.stepIDs, r.key) {
				say("expression %q names unknown step %q%s", src, r.key, didYouMean(r.key, v.stepIDs))
			}
		case "vars":
			if !slices.Contains(v.varNames, r.key) {
				say("expression %q names variable %q, which no set step sets%s", src, r.key, didYouMean(r.key, v.varNames))
			}
		case "case":
			keys := CaseKeys
			if slices.Equal(sc.roots, nextStepsScope.roots) {
				keys = nextStepsCaseKeys
			}
			if !slices.Contains(keys, r.key) {
				say("expression %q names case.%s, which is not known here: a case has %s%s", src, r.key, strings.Join(keys, ", "), didYouMean(r.key, keys))
			}
		}
	}
	for _, l := range labels {
		field, ok := labelField(l.(*ast.CallNode))
		switch {
		case !ok:
			say("label() takes one question of the form, like label(form.bin_type)")
		case !v.fields[field]:
			say("unknown form field %q%s", field, didYouMean(field, SortedKeys(v.fields)))
		}
	}
}

// didYouMean suggests the known name nearest a misspelt one, or "".
func didYouMean(name string, known []string) string {
	if near := nearest(name, known); near != "" {
		return fmt.Sprintf(" (did you mean %q?)", near)
	}
	return ""
}

// knownNames gathers the step ids and variable names of the recipe.
func (v *validator) knownNames() {
	vars := map[string]bool{}
	for _, s := range v.r.AllSteps() {
		if s.ID != "" {
			v.stepIDs = append(v.stepIDs, s.ID)
		}
		if s.Set != nil {
			for name := range *s.Set {
				vars[name] = true
			}
		}
	}
	v.varNames = SortedKeys(vars)
}
