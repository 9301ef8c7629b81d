package registry

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// keyProblems reports every key connectors.yaml does not know, at the key,
// with the keys down to it and the known key it is nearest to; decoding
// alone would stop at the first.
func keyProblems(path string, tree *ast.File) Problems {
	var out Problems
	for _, doc := range tree.Docs {
		walkKeys(doc.Body, reflect.TypeFor[file](), nil, func(keys []string, n ast.Node, msg string) {
			line, col := at(n, 1, 1)
			out = append(out, Problem{File: path, Line: line, Col: col, Path: strings.Join(keys, "."), Message: msg})
		})
	}
	return out
}

func walkKeys(n ast.Node, t reflect.Type, path []string, report func([]string, ast.Node, string)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch v := n.(type) {
	case nil, *ast.AliasNode:
		return
	case *ast.AnchorNode:
		walkKeys(v.Value, t, path, report)
		return
	case *ast.TagNode:
		walkKeys(v.Value, t, path, report)
		return
	}
	var values []*ast.MappingValueNode
	switch v := n.(type) {
	case *ast.MappingNode:
		values = v.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{v}
	default:
		return // a value of the wrong shape is the decoder's to report
	}
	for _, mv := range values {
		if mv.Key == nil || mv.Key.IsMergeKey() {
			continue
		}
		key := mv.Key.String()
		here := append(append([]string(nil), path...), key)
		switch t.Kind() {
		case reflect.Map:
			walkKeys(mv.Value, t.Elem(), here, report)
		case reflect.Struct:
			ft, known := yamlField(t, key)
			if !known {
				msg := fmt.Sprintf("unknown key %q", key)
				if near := nearest(key, yamlKeysOf(t)); near != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", near)
				}
				report(here, mv.Key, msg)
				continue
			}
			walkKeys(mv.Value, ft, here, report)
		}
	}
}

// yamlField is the type of the struct field with YAML key key.
func yamlField(t reflect.Type, key string) (reflect.Type, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); f.IsExported() && name == key {
			return f.Type, true
		}
	}
	return nil, false
}

func yamlKeysOf(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); f.IsExported() && name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// nearest is the known key within two edits of key, if one is.
func nearest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := distance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
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
