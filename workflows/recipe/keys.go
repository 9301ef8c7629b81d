package recipe

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// shapeProblems reports, all at once and each at its position, every
// mapping key the recipe model has no field for (with the nearest known key
// suggested) and every value of the wrong shape: a duration without a unit,
// text where a list belongs, 2.5 attempts. The decoder would stop at the
// first of these, name Go types, and lose the position of a bad duration.
// model is the file's Go shape, e.g. Recipe{}; what names the file in a
// problem with the whole of it, e.g. "the recipe".
func shapeProblems(file string, tree *ast.File, model any, what string) Problems {
	var out Problems
	for _, doc := range tree.Docs {
		walkKeys(doc.Body, reflect.TypeOf(model), "", func(path string, n ast.Node, message string) {
			p := Problem{File: file, Line: 1, Col: 1, Path: strings.TrimPrefix(path, "."), Message: message}
			if p.Path == "" {
				p.Message = what + " " + message
			}
			if tk := n.GetToken(); tk != nil && tk.Position != nil {
				p.Line, p.Col = tk.Position.Line, tk.Position.Column
			}
			out = append(out, p)
		})
	}
	return out
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	periodType   = reflect.TypeOf(Period{})
)

func walkKeys(n ast.Node, t reflect.Type, path string, report func(path string, n ast.Node, message string)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch v := n.(type) {
	case nil:
		return
	case *ast.AnchorNode:
		walkKeys(v.Value, t, path, report)
		return
	case *ast.TagNode:
		walkKeys(v.Value, t, path, report)
		return
	case *ast.AliasNode:
		return // checked where the anchor is
	}
	if n.Type() == ast.NullType {
		return // left out; the validator says if it is required
	}
	if msg := wrongShape(n, t); msg != "" {
		report(path, n, msg)
		return
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
				report(path+"."+key, mv.Key, msg)
				continue
			}
			walkKeys(mv.Value, ft, path+"."+key, report)
		}
	case reflect.Map:
		for _, mv := range mappingValues(n) {
			walkKeys(mv.Value, t.Elem(), path+"."+mv.Key.String(), report)
		}
	case reflect.Slice:
		if seq, ok := n.(*ast.SequenceNode); ok {
			for i, item := range seq.Values {
				walkKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), report)
			}
		}
	}
}

// wrongShape says what is wrong when node n cannot hold a value of type t,
// in the designer's words, or returns "".
func wrongShape(n ast.Node, t reflect.Type) string {
	collection := n.Type() == ast.MappingType || n.Type() == ast.MappingValueType || n.Type() == ast.SequenceType
	switch {
	case t == durationType:
		s, ok := n.(*ast.StringNode)
		if !ok {
			return "must be a duration with a unit, like 90s, 15m or 48h"
		}
		if _, err := time.ParseDuration(s.Value); err != nil {
			return fmt.Sprintf("%q is not a duration: write it like 90s, 15m or 48h", s.Value)
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
