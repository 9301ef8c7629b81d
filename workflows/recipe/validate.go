package recipe

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// FieldTypes are the kinds of question a form can ask.
var FieldTypes = []string{"text", "textarea", "email", "phone", "number", "date", "radios", "checkboxes", "select", "yesno", "postcode", "address", "file"}

// choiceTypes are the field types whose answers come from options.
var choiceTypes = []string{"radios", "checkboxes", "select"}

// lookupTypes are the field types whose choices may come from a connector
// operation (a lookup) asked with the answers so far: an address by
// postcode, or a radios or select question such as the collection dates
// a waste system offers for a property.
var lookupTypes = []string{"address", "radios", "select"}

var (
	idPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	// namePattern is for ids expressions refer to (form.<id>, steps.<id>): no dashes.
	namePattern   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	prefixPattern = regexp.MustCompile(`^[A-Z]{1,4}$`)
)

type validator struct {
	r        *Recipe
	file     string
	tree     *ast.File
	conns    Connectors
	problems Problems
	fields   map[string]bool
	// stepIDs and varNames are what steps.<id> and vars.<name> may name.
	stepIDs, varNames []string
	// spoiled are the YAML paths of values already reported as the wrong
	// shape, or unknown keys; nothing more is said about them or the
	// mapping holding them, which would only repeat the one mistake.
	spoiled []string
}

// add records a problem at the YAML node path (for the position) with the
// designer-facing path shown in the message.
func (v *validator) add(node, shown, format string, args ...any) {
	if v.isSpoiled(node) {
		return
	}
	line, col := position(v.tree, node)
	v.problems = append(v.problems, Problem{File: v.file, Line: line, Col: col, Path: shown, Message: fmt.Sprintf(format, args...)})
}

// isSpoiled reports whether node is a spoiled path, inside one, or the
// mapping or list holding one.
func (v *validator) isSpoiled(node string) bool { return spoils(v.spoiled, node) }

// spoils reports whether the YAML path node is one of spoiled, inside
// one, or the mapping or list holding one.
func spoils(spoiled []string, node string) bool {
	for _, sp := range spoiled {
		parent := sp[:max(strings.LastIndexAny(sp, ".["), 0)]
		if node == sp || node == parent || strings.HasPrefix(node, sp+".") || strings.HasPrefix(node, sp+"[") {
			return true
		}
	}
	return false
}

func (v *validator) validate() {
	r := v.r
	if !idPattern.MatchString(r.ID) {
		v.add("$.id", "id", "must be lower-case letters, digits, dashes and underscores, like missed-bin")
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
	v.knownNames()
	v.validateForm()
	v.checkTemplateIn("$.next_steps", "next_steps", r.NextSteps, nextStepsScope)
	v.validateSteps()
	if len(v.problems) == 0 {
		v.validateFlows()
	}
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
		if p.ShowIf != "" {
			v.checkCondition(node+".show_if", shown+".show_if", p.ShowIf, formScope)
		}
		for j, b := range p.Blocks {
			n := 0
			for _, set := range []bool{b.Heading != "", b.Paragraph != "", b.Inset != "", b.Details != nil} {
				if set {
					n++
				}
			}
			if n != 1 {
				v.add(fmt.Sprintf("%s.blocks[%d]", node, j), fmt.Sprintf("%s.blocks[%d]", shown, j), "needs exactly one of heading, paragraph, inset or details")
			}
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
	v.checkQuestion(node, shown, f, formScope)
}

// checkQuestion checks what a form field and a task field have in common;
// sc is what the question's show_if sees.
func (v *validator) checkQuestion(node, shown string, f Field, sc scope) {
	if !slices.Contains(FieldTypes, f.Type) {
		v.add(node+".type", shown+".type", "unknown field type %q (use one of %s)", f.Type, strings.Join(FieldTypes, ", "))
	}
	if f.Label == "" {
		v.add(node, shown+".label", "is required")
	}
	switch {
	case slices.Contains(lookupTypes, f.Type) && f.Type != "address" && f.Lookup != nil && len(f.Options) > 0:
		v.add(node+".lookup", shown+".lookup", "give options or a lookup, not both")
	case slices.Contains(choiceTypes, f.Type) && len(f.Options) == 0 && f.Lookup == nil:
		what := "options"
		if slices.Contains(lookupTypes, f.Type) {
			what = "options or a lookup"
		}
		v.add(node, shown+".options", "%s question needs %s", article(f.Type), what)
	case f.Lookup != nil && !slices.Contains(lookupTypes, f.Type):
		v.add(node+".lookup", shown+".lookup", "only address, radios and select questions take their choices from a lookup")
	}
	if f.ShowIf != "" {
		v.checkCondition(node+".show_if", shown+".show_if", f.ShowIf, sc)
	}
	keys := f.MessageKeys()
	for _, k := range SortedKeys(f.Messages) {
		if !slices.Contains(keys, k) {
			v.add(node+".messages."+k, shown+".messages."+k, "unknown message key %q: this question's keys are %s%s", k, strings.Join(keys, ", "), didYouMean(k, keys))
		}
	}
	if f.MaxBytes < 0 {
		v.add(node+".max_bytes", shown+".max_bytes", "must not be negative")
	}
	for j, o := range f.Options {
		if o.Value == "" || o.Label == "" {
			v.add(fmt.Sprintf("%s.options[%d]", node, j), fmt.Sprintf("%s.options[%d]", shown, j), "needs a value and a label")
		}
	}
	if f.Type == "address" && f.Lookup == nil {
		v.add(node, shown+".lookup", "an address question needs a lookup")
	}
	if f.Lookup != nil && slices.Contains(lookupTypes, f.Type) {
		if f.Lookup.Value == "" || f.Lookup.Label == "" {
			v.add(node+".lookup", shown+".lookup", "needs value and label: the item keys of each choice's value and text")
		}
		v.checkOperation(node+".lookup", shown+".lookup", f.Lookup.Connector, f.Lookup.Operation)
		for _, k := range SortedKeys(f.Lookup.Input) {
			v.checkTemplateIn(node+".lookup.input."+k, shown+".lookup.input."+k, f.Lookup.Input[k], formScope)
		}
		v.checkTemplateIn(node+".lookup.items", shown+".lookup.items", "{{"+f.Lookup.Items+"}}", resultScope)
	}
}

func (v *validator) checkOperation(node, shown, connector, op string) {
	if connector == "" || op == "" {
		v.add(node, shown, "needs a connector and an operation")
		return
	}
	if lib, isLib := v.conns.(Library); v.conns == nil || (isLib && lib.Connectors == nil) {
		return // no connectors to check against
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
	for _, k := range SortedKeys(tmpls) {
		v.checkTemplate(node+"."+k, shown+"."+k, tmpls[k])
	}
}

// checkTemplate checks a template of a step: each expression compiles and
// names only what a case has.
func (v *validator) checkTemplate(node, shown, tmpl string) {
	v.checkTemplateIn(node, shown, tmpl, caseScope)
}

// checkTemplateIn checks a template whose expressions see sc.
func (v *validator) checkTemplateIn(node, shown, tmpl string, sc scope) {
	if err := checkTemplate(tmpl); err != nil {
		v.add(node, shown, "%s", err)
		return
	}
	segs, _ := parseTemplate(tmpl)
	for _, seg := range segs {
		if seg.isExpr {
			v.checkRefs(node, shown, seg.text, sc)
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
func suggest(target string, steps []stepAt) string {
	for _, at := range steps {
		if id := at.step.ID; id != "" && editDistance(id, target) <= 2 {
			return fmt.Sprintf(" (did you mean %q?)", id)
		}
	}
	return ""
}

// checkCondition checks a when: or show_if: expression compiles to a
// boolean and names only what sc has.
func (v *validator) checkCondition(node, shown, src string, sc scope) {
	if strings.TrimSpace(src) == "" {
		v.add(node, shown, "is required: a condition such as form.bin_type == \"garden\"")
		return
	}
	if _, err := compile(src); err != nil {
		v.checkTemplateIn(node, shown, "{{"+src+"}}", sc)
		return
	}
	if _, err := compileBool(src); err != nil {
		v.add(node, shown, "expression %q is not a true/false condition: %s", src, firstLine(err.Error()))
		return
	}
	v.checkTemplateIn(node, shown, "{{"+src+"}}", sc)
}

// editDistance counts the edits between two words, a swap of neighbouring
// letters ("nxet" for "next") counting as one typo.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
