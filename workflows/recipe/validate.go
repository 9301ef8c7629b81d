package recipe

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// FieldTypes are the kinds of question a form can ask.
var FieldTypes = []string{"text", "textarea", "email", "postcode", "radios", "address"}

var (
	idPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	// namePattern is for ids expressions refer to (form.<id>, steps.<id>): no dashes.
	namePattern   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	prefixPattern = regexp.MustCompile(`^[A-Z]{1,4}$`)
	formRef       = regexp.MustCompile(`\bform\.([A-Za-z_][A-Za-z0-9_]*)`)
)

type validator struct {
	r        *Recipe
	file     string
	tree     *ast.File
	conns    Connectors
	problems Problems
	fields   map[string]bool
}

// add records a problem at the YAML node path (for the position) with the
// designer-facing path shown in the message.
func (v *validator) add(node, shown, format string, args ...any) {
	line, col := position(v.tree, node)
	v.problems = append(v.problems, Problem{File: v.file, Line: line, Col: col, Path: shown, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) validate() {
	r := v.r
	if !idPattern.MatchString(r.ID) {
		v.add("$.id", "id", "must be lower-case letters, digits and dashes, like missed-bin")
	}
	if strings.TrimSpace(r.Title) == "" {
		v.add("$.title", "title", "is required: the service name residents see")
	}
	if r.Version == "" {
		v.add("$.version", "version", "is required, e.g. \"1\"")
	}
	if !prefixPattern.MatchString(r.ReferencePrefix) {
		v.add("$.reference_prefix", "reference_prefix", "must be 1 to 4 capital letters, like MB")
	}
	v.validateForm()
	v.validateSteps()
}

func (v *validator) validateForm() {
	v.fields = map[string]bool{}
	if len(v.r.Form.Pages) == 0 {
		v.add("$.form", "form.pages", "needs at least one page")
	}
	pages := map[string]bool{}
	for i, p := range v.r.Form.Pages {
		node := fmt.Sprintf("$.form.pages[%d]", i)
		shown := "form.pages." + nameOr(p.ID, i)
		if !idPattern.MatchString(p.ID) {
			v.add(node+".id", shown+".id", "must be lower-case letters, digits, dashes and underscores")
		} else if pages[p.ID] {
			v.add(node+".id", shown+".id", "duplicate page id %q", p.ID)
		}
		pages[p.ID] = true
		if p.Title == "" {
			v.add(node, shown+".title", "is required")
		}
		if len(p.Fields) == 0 {
			v.add(node, shown+".fields", "needs at least one question")
		}
		for j, f := range p.Fields {
			v.validateField(fmt.Sprintf("%s.fields[%d]", node, j), shown+".fields."+nameOr(f.ID, j), f)
		}
	}
}

func (v *validator) validateField(node, shown string, f Field) {
	if !namePattern.MatchString(f.ID) {
		v.add(node+".id", shown+".id", "must be lower-case letters, digits and underscores, starting with a letter (expressions refer to it as form.<id>)")
	} else if v.fields[f.ID] {
		v.add(node+".id", shown+".id", "duplicate field id %q", f.ID)
	}
	v.fields[f.ID] = true
	if !slices.Contains(FieldTypes, f.Type) {
		v.add(node+".type", shown+".type", "unknown field type %q (use one of %s)", f.Type, strings.Join(FieldTypes, ", "))
	}
	if f.Label == "" {
		v.add(node, shown+".label", "is required")
	}
	if f.Type == "radios" && len(f.Options) == 0 {
		v.add(node, shown+".options", "a radios question needs options")
	}
	if f.Type == "address" {
		if f.Lookup == nil {
			v.add(node, shown+".lookup", "an address question needs a lookup")
		} else {
			v.checkOperation(node+".lookup", shown+".lookup", f.Lookup.Connector, f.Lookup.Operation)
			v.checkTemplates(node+".lookup.input", shown+".lookup.input", f.Lookup.Input)
			v.checkTemplate(node+".lookup.items", shown+".lookup.items", "{{"+f.Lookup.Items+"}}")
		}
	}
}

func (v *validator) validateSteps() {
	r := v.r
	if len(r.Steps) == 0 {
		v.add("$", "steps", "needs at least one step")
		return
	}
	ids := map[string]int{}
	for i, s := range r.Steps {
		if !namePattern.MatchString(s.ID) {
			v.add(fmt.Sprintf("$.steps[%d].id", i), "steps."+nameOr(s.ID, i)+".id", "must be lower-case letters, digits and underscores, starting with a letter (expressions refer to it as steps.<id>)")
		} else if _, dup := ids[s.ID]; dup {
			v.add(fmt.Sprintf("$.steps[%d].id", i), "steps."+s.ID+".id", "duplicate step id %q", s.ID)
		}
		ids[s.ID] = i
	}
	if r.Start != "" {
		if _, ok := ids[r.Start]; !ok {
			v.add("$.start", "start", "unknown step %q", r.Start)
		}
	}
	route := func(node, shown, target string) {
		if _, ok := ids[target]; !ok {
			v.add(node, shown, "unknown step %q%s", target, suggest(target, r.Steps))
		}
	}
	for i, s := range r.Steps {
		node := fmt.Sprintf("$.steps[%d]", i)
		shown := "steps." + nameOr(s.ID, i)
		switch n := s.kinds(); {
		case n == 0:
			v.add(node, shown, "needs one of call, email, decide or end")
			continue
		case n > 1:
			v.add(node, shown, "has more than one kind; a step is exactly one of call, email, decide or end")
			continue
		}
		switch {
		case s.End != nil || s.Decide != nil:
			if s.Next != "" {
				why := "it closes the case"
				if s.Decide != nil {
					why = "its branches say where to go"
				}
				v.add(node+".next", shown+".next", "%s step has no next: %s", article(s.Kind()), why)
			}
		case s.Next == "":
			v.add(node, shown+".next", "is required: which step comes after this one")
		default:
			route(node+".next", shown+".next", s.Next)
		}
		switch {
		case s.Call != nil:
			c := s.Call
			v.checkOperation(node+".call", shown+".call", c.Connector, c.Operation)
			v.checkTemplates(node+".call.input", shown+".call.input", c.Input)
			if c.OnError != "" {
				route(node+".call.on_error", shown+".call.on_error", c.OnError)
			}
			if c.Retry != nil && c.Retry.MaxAttempts < 0 {
				v.add(node+".call.retry.max_attempts", shown+".call.retry.max_attempts", "must not be negative")
			}
		case s.Email != nil:
			e := s.Email
			for _, f := range []struct{ key, tmpl string }{{"to", e.To}, {"subject", e.Subject}, {"text", e.Text}} {
				if strings.TrimSpace(f.tmpl) == "" {
					v.add(node+".email", shown+".email."+f.key, "is required")
				}
			}
			v.checkTemplates(node+".email", shown+".email", map[string]string{"to": e.To, "subject": e.Subject, "text": e.Text, "html": e.HTML})
		case s.Decide != nil:
			d := s.Decide
			if len(d.Branches) == 0 {
				v.add(node+".decide", shown+".decide.branches", "needs at least one branch")
			}
			for j, b := range d.Branches {
				bn := fmt.Sprintf("%s.decide.branches[%d]", node, j)
				bs := fmt.Sprintf("%s.decide.branches[%d]", shown, j)
				v.checkTemplate(bn+".when", bs+".when", "{{"+b.When+"}}")
				route(bn+".next", bs+".next", b.Next)
			}
			if d.Otherwise == "" {
				v.add(node+".decide", shown+".decide.otherwise", "is required: the step taken when no branch holds")
			} else {
				route(node+".decide.otherwise", shown+".decide.otherwise", d.Otherwise)
			}
		case s.End != nil:
			if s.End.Outcome == "" {
				v.add(node+".end", shown+".end.outcome", "is required: what the resident is told")
			}
		}
	}
	if len(v.problems) == 0 {
		v.checkReachable(ids)
	}
}

// checkReachable reports steps no route leads to, and routes that never end.
func (v *validator) checkReachable(ids map[string]int) {
	r := v.r
	seen := map[string]bool{}
	ends := false
	queue := []string{r.FirstStep()}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if seen[id] {
			continue
		}
		seen[id] = true
		s := r.Steps[ids[id]]
		if s.End != nil {
			ends = true
		}
		queue = append(queue, successors(s)...)
	}
	for i, s := range r.Steps {
		if !seen[s.ID] {
			v.add(fmt.Sprintf("$.steps[%d].id", i), "steps."+s.ID, "unreachable: no step leads here")
		}
	}
	if !ends {
		v.add("$.steps", "steps", "no end step can be reached; every case must end")
	}
}

// successors lists the steps a step can route to, in declaration order.
func successors(s Step) []string {
	var out []string
	if s.Next != "" {
		out = append(out, s.Next)
	}
	if s.Call != nil && s.Call.OnError != "" {
		out = append(out, s.Call.OnError)
	}
	if s.Decide != nil {
		for _, b := range s.Decide.Branches {
			out = append(out, b.Next)
		}
		out = append(out, s.Decide.Otherwise)
	}
	return out
}

func (v *validator) checkOperation(node, shown, connector, op string) {
	if connector == "" || op == "" {
		v.add(node, shown, "needs a connector and an operation")
		return
	}
	if v.conns == nil {
		return
	}
	ops, ok := v.conns.Operations(connector)
	if !ok {
		v.add(node+".connector", shown+".connector", "unknown connector %q (define it in connectors.yaml)", connector)
		return
	}
	if !slices.Contains(ops, op) {
		v.add(node+".operation", shown+".operation", "connector %q has no operation %q (it has %s)", connector, op, strings.Join(ops, ", "))
	}
}

func (v *validator) checkTemplates(node, shown string, tmpls map[string]string) {
	for _, k := range sortedKeys(tmpls) {
		v.checkTemplate(node+"."+k, shown+"."+k, tmpls[k])
	}
}

func (v *validator) checkTemplate(node, shown, tmpl string) {
	if err := checkTemplate(tmpl); err != nil {
		v.add(node, shown, "%s", err)
		return
	}
	segs, _ := parseTemplate(tmpl)
	for _, seg := range segs {
		if !seg.isExpr {
			continue
		}
		for _, m := range formRef.FindAllStringSubmatch(seg.text, -1) {
			if !v.fields[m[1]] {
				v.add(node, shown, "unknown form field %q", m[1])
			}
		}
	}
}

func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

func nameOr(id string, i int) string {
	if id != "" {
		return id
	}
	return fmt.Sprintf("[%d]", i)
}

// suggest names a step id close to a mistyped one.
func suggest(target string, steps []Step) string {
	for _, s := range steps {
		if s.ID != "" && editDistance(s.ID, target) <= 2 {
			return fmt.Sprintf(" (did you mean %q?)", s.ID)
		}
	}
	return ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
