package recipe

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// shapeProblems reports, all at once and each at its position, every
// mapping key the recipe model has no field for (with the nearest known key
// suggested) and every value of the wrong shape: a duration without a unit,
// text where a list belongs, 2.5 attempts. The decoder would stop at the
// first of these, name Go types, and lose the position of a bad duration.
// model is the file's Go shape, e.g. Recipe{}; what names the file in a
// problem with the whole of it, e.g. "the recipe".
//
// Each value of the wrong shape is blanked in tree (made null), so the
// rest of the file can still be decoded and checked; spoiled lists the
// YAML paths, like $.steps[0].wait.for, of blanked values and unknown keys.
func shapeProblems(file string, tree *ast.File, model any, what string) (out Problems, spoiled []string) {
	for _, doc := range tree.Docs {
		w := shapeWalk{report: func(at keyPath, n ast.Node, message string) {
			p := Problem{File: file, Line: 1, Col: 1, Path: strings.TrimPrefix(at.shown, "."), Message: message}
			if p.Path == "" {
				p.Message = what + " " + message
			}
			if tk := n.GetToken(); tk != nil && tk.Position != nil {
				p.Line, p.Col = tk.Position.Line, tk.Position.Column
			}
			out = append(out, p)
			spoiled = append(spoiled, "$"+at.node)
		}}
		if w.walk(doc.Body, reflect.TypeOf(model), keyPath{}) {
			doc.Body = blank(doc.Body)
		}
	}
	return out, spoiled
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	periodType   = reflect.TypeOf(Period{})
	// namedTypes are the list items a designer's path names by id, as the
	// validator does: steps.book, form.pages.details.fields.email.
	stepType, pageType, fieldType = reflect.TypeOf(Step{}), reflect.TypeOf(Page{}), reflect.TypeOf(Field{})
)

// keyPath is where a node is: node for positions ($ left off), e.g.
// .steps[2].wait.for, and shown for the designer, e.g. .steps.book.wait.for.
type keyPath struct{ node, shown string }

func (k keyPath) key(name string) keyPath {
	return keyPath{node: k.node + "." + name, shown: k.shown + "." + name}
}

// item is the i-th item of a list, named by its id where the validator
// names it so: steps by id alone, pages and fields under their list.
func (k keyPath) item(i int, t reflect.Type, n ast.Node) keyPath {
	at := keyPath{node: fmt.Sprintf("%s[%d]", k.node, i), shown: fmt.Sprintf("%s[%d]", k.shown, i)}
	id := idOf(n)
	switch {
	case id == "":
	case t == stepType:
		at.shown = ".steps." + id
	case t == pageType, t == fieldType:
		at.shown = k.shown + "." + id
	}
	return at
}

// idOf is the id: of a mapping node, when it is a plain name, or "".
func idOf(n ast.Node) string {
	if a, ok := n.(*ast.AnchorNode); ok {
		n = a.Value
	}
	for _, mv := range mappingValues(n) {
		if mv.Key.String() != "id" {
			continue
		}
		if s, ok := mv.Value.(*ast.StringNode); ok && idPattern.MatchString(s.Value) {
			return s.Value
		}
	}
	return ""
}

// shapeWalk checks a YAML tree against the Go type it decodes into.
type shapeWalk struct {
	report func(at keyPath, n ast.Node, message string)
}

// walk checks n as a value of type t and reports whether n itself is of
// the wrong shape, for the caller to blank; what is wrong inside n is
// blanked here.
func (w shapeWalk) walk(n ast.Node, t reflect.Type, at keyPath) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch v := n.(type) {
	case nil:
		return false
	case *ast.AnchorNode:
		if w.walk(v.Value, t, at) {
			v.Value = blank(v.Value)
		}
		return false
	case *ast.TagNode:
		return w.walk(v.Value, t, at) // the caller blanks the tag with its value
	case *ast.AliasNode:
		return false // checked where the anchor is
	}
	if n.Type() == ast.NullType {
		return false // left out; the validator says if it is required
	}
	if msg := wrongShape(n, t); msg != "" {
		w.report(at, n, msg)
		return true
	}
	switch t.Kind() {
	case reflect.Struct:
		fields := yamlFields(t)
		known := SortedKeys(fields)
		for _, mv := range mappingValues(n) {
			if mv.Key.IsMergeKey() {
				continue // <<: *anchor; the anchor's keys are checked where it is
			}
			key := mv.Key.String()
			ft, ok := fields[key]
			if !ok {
				msg := fmt.Sprintf("unknown key %q", key)
				if near := nearest(key, known); near != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", near)
				}
				w.report(at.key(key), mv.Key, msg)
				continue
			}
			if w.walk(mv.Value, ft, at.key(key)) {
				mv.Value = blank(mv.Value)
			}
		}
	case reflect.Map:
		for _, mv := range mappingValues(n) {
			if w.walk(mv.Value, t.Elem(), at.key(mv.Key.String())) {
				mv.Value = blank(mv.Value)
			}
		}
	case reflect.Slice:
		if seq, ok := n.(*ast.SequenceNode); ok {
			for i, item := range seq.Values {
				if w.walk(item, t.Elem(), at.item(i, t.Elem(), item)) {
					seq.Values[i] = blank(item)
				}
			}
		}
	}
	return false
}

// blank is a null in the place of n, keeping its position.
func blank(n ast.Node) ast.Node {
	var pos *token.Position
	if tk := n.GetToken(); tk != nil {
		pos = tk.Position
	}
	return ast.Null(token.New("null", "null", pos))
}

// wrongShape says what is wrong when node n cannot hold a value of type t,
// in the designer's words, or returns "".
func wrongShape(n ast.Node, t reflect.Type) string {
	collection := n.Type() == ast.MappingType || n.Type() == ast.MappingValueType || n.Type() == ast.SequenceType
	switch {
	case t == durationType:
		s, ok := n.(*ast.StringNode)
		if !ok {
			return "must be a duration with a unit, like 90s, 15m, 48h or 2d"
		}
		if _, err := ParseDuration(s.Value); err != nil {
			return fmt.Sprintf("%q is not a duration: write it like 90s, 15m, 48h, 2d or 1w", s.Value)
		}
	case t == periodType:
		s, ok := n.(*ast.StringNode)
		if !ok {
			return "must be a duration with a unit, like 48h, or working days, like 3 working days"
		}
		if _, err := ParsePeriod(s.Value); err != nil {
			return err.Error()
		}
	case t.Kind() == reflect.String:
		if collection {
			return "must be text, not " + shapeName(n)
		}
	case t.Kind() == reflect.Bool:
		if n.Type() != ast.BoolType {
			return "must be true or false"
		}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		if n.Type() != ast.IntegerType {
			return "must be a whole number"
		}
	case t.Kind() == reflect.Struct, t.Kind() == reflect.Map:
		if n.Type() != ast.MappingType && n.Type() != ast.MappingValueType {
			return "must be keys with values (key: value), not " + shapeName(n)
		}
	case t.Kind() == reflect.Slice:
		if n.Type() != ast.SequenceType {
			return "must be a list (items on lines starting with -), not " + shapeName(n)
		}
	}
	return ""
}

func shapeName(n ast.Node) string {
	switch n.Type() {
	case ast.SequenceType:
		return "a list"
	case ast.MappingType, ast.MappingValueType:
		return "keys with values"
	}
	return "a single value"
}

func mappingValues(n ast.Node) []*ast.MappingValueNode {
	switch v := n.(type) {
	case *ast.MappingNode:
		return v.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{v}
	}
	return nil
}

// yamlFields maps each YAML key of a struct to its field's type.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		out[name] = f.Type
	}
	return out
}

func nearest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}
