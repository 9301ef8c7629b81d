package recipe

import (
	"errors"
	"fmt"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// labelsKey is where an Env made by FormEnv keeps the words of each
// answer, for label(). It starts with $, so no expression names it.
const labelsKey = "$labels"

// FormEnv is what expressions over a resident's answers see: form.<id>,
// and label(form.<id>), the words of the answer as the resident read them:
// an option's label (the labels of checked boxes joined with ", "), Yes or
// No. seen holds, by question id, the words the resident chose for answers
// whose choices came from a lookup (an address's text for its UPRN); nil
// when not known, and label() then gives the value stored. The workflow
// adds vars, steps and case to it.
func FormEnv(r *Recipe, answers map[string]any, seen map[string]string) Env {
	labels := map[string]string{}
	for _, f := range r.Fields() {
		v, ok := answers[f.ID]
		if !ok || v == nil {
			continue
		}
		if l := seen[f.ID]; l != "" {
			labels[f.ID] = l
		} else if l, ok := f.AnswerLabel(v); ok {
			labels[f.ID] = l
		}
	}
	return Env{"form": answers, labelsKey: labels}
}

// AnswerLabel is the words of an answer to the question: the label of the
// option chosen, the labels of the boxes checked joined with ", ", or Yes
// or No. ok is false for a question without options of its own (text,
// or choices from a lookup), whose answer is its own words.
func (f Field) AnswerLabel(answer any) (string, bool) {
	if f.Type == "yesno" {
		switch answer {
		case "yes":
			return "Yes", true
		case "no":
			return "No", true
		}
		return "", false
	}
	if len(f.Options) == 0 {
		return "", false
	}
	var words []string
	for _, v := range answerValues(answer) {
		w := v
		for _, o := range f.Options {
			if o.Value == v {
				w = o.Label
				break
			}
		}
		words = append(words, w)
	}
	return strings.Join(words, ", "), true
}

// answerValues lists the values of an answer: the items of a list (checked
// boxes, as the case holds them) or of text with one per line (as a form
// holds them), or the answer alone.
func answerValues(answer any) []string {
	switch a := answer.(type) {
	case []any:
		out := make([]string, 0, len(a))
		for _, v := range a {
			out = append(out, fmt.Sprint(v))
		}
		return out
	case []string:
		return a
	case string:
		return strings.Split(a, "\n")
	}
	return []string{fmt.Sprint(answer)}
}

// RenderNextSteps is the recipe's next_steps for a resident who has just
// submitted, for the confirmation page: a template over their answers
// (form.<id>, label(form.<id>)) and case.reference, case.service and
// case.title. answers are the answers the case got; seen as for FormEnv.
func (r *Recipe) RenderNextSteps(answers map[string]any, seen map[string]string, reference string) (string, error) {
	env := FormEnv(r, answers, seen)
	env["case"] = map[string]any{"reference": reference, "service": r.ID, "title": r.Title}
	return Render(r.NextSteps, env)
}

// errLabel is what label() says when not given one question of the form.
var errLabel = errors.New("label() takes one question of the form, like label(form.bin_type)")

// labelField is the question a label() call names, from label(form.bin_type)
// or label("bin_type").
func labelField(c *ast.CallNode) (string, bool) {
	if len(c.Arguments) != 1 {
		return "", false
	}
	switch a := c.Arguments[0].(type) {
	case *ast.MemberNode:
		id, isID := a.Node.(*ast.IdentifierNode)
		key, isKey := a.Property.(*ast.StringNode)
		if isID && isKey && id.Value == "form" {
			return key.Value, true
		}
	case *ast.StringNode:
		return a.Value, true
	}
	return "", false
}

// labelPatch turns label(form.bin_type) into label("bin_type", $env), so
// that the function sees which question is meant and the Env's labels.
type labelPatch struct{}

func (labelPatch) Visit(n *ast.Node) {
	c, ok := (*n).(*ast.CallNode)
	if !ok {
		return
	}
	if id, ok := c.Callee.(*ast.IdentifierNode); !ok || id.Value != "label" {
		return
	}
	if field, ok := labelField(c); ok {
		c.Arguments = []ast.Node{&ast.StringNode{Value: field}, &ast.IdentifierNode{Value: "$env"}}
	}
}

// label is the label() function of expressions, after labelPatch: the
// words of the answer to a question, or nil when it was not answered.
func label(params ...any) (any, error) {
	if len(params) != 2 {
		return nil, errLabel
	}
	field, _ := params[0].(string)
	env, _ := params[1].(map[string]any)
	if labels, ok := env[labelsKey].(map[string]string); ok {
		if l, ok := labels[field]; ok {
			return l, nil
		}
	}
	form, _ := env["form"].(map[string]any)
	answer, ok := form[field]
	if !ok || answer == nil {
		return nil, nil
	}
	return strings.Join(answerValues(answer), ", "), nil
}
