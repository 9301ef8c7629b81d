package recipe

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// unknownKeys reports every mapping key the recipe model has no field for,
// all at once, each at its position, with the nearest known key suggested.
func unknownKeys(file string, tree *ast.File) Problems {
	var out Problems
	for _, doc := range tree.Docs {
		walkKeys(doc.Body, reflect.TypeOf(Recipe{}), "", func(path, key string, n ast.Node, known []string) {
			p := Problem{File: file, Line: 1, Col: 1, Path: strings.TrimPrefix(path+"."+key, "."), Message: fmt.Sprintf("unknown key %q", key)}
			if tk := n.GetToken(); tk != nil && tk.Position != nil {
				p.Line, p.Col = tk.Position.Line, tk.Position.Column
			}
			if near := nearest(key, known); near != "" {
				p.Message += fmt.Sprintf(" (did you mean %q?)", near)
			}
			out = append(out, p)
		})
	}
	return out
}

var durationType = reflect.TypeOf(time.Duration(0))

func walkKeys(n ast.Node, t reflect.Type, path string, report func(path, key string, n ast.Node, known []string)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch v := n.(type) {
	case *ast.AnchorNode:
		walkKeys(v.Value, t, path, report)
		return
	case *ast.TagNode:
		walkKeys(v.Value, t, path, report)
		return
	}
	switch {
	case t == durationType:
	case t.Kind() == reflect.Struct:
		fields := yamlFields(t)
		known := SortedKeys(fields)
		for _, mv := range mappingValues(n) {
			key := mv.Key.String()
			ft, ok := fields[key]
			if !ok {
				report(path, key, mv.Key, known)
				continue
			}
			walkKeys(mv.Value, ft, path+"."+key, report)
		}
	case t.Kind() == reflect.Slice:
		if seq, ok := n.(*ast.SequenceNode); ok {
			for i, item := range seq.Values {
				walkKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), report)
			}
		}
	}
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
