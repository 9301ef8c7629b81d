package registry

import (
	"errors"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/internal/positioned"
)

// Problem is one mistake in connectors.yaml, positioned in the file.
type Problem = positioned.Problem

// Problems is every mistake found in connectors.yaml.
type Problems = positioned.Problems

// decodeProblem places a YAML syntax or decoding error at its token.
func decodeProblem(file string, err error) Problem { return positioned.FromYAML(file, err) }

// problems turns a kind's error into positioned problems: each
// *connectors.ConfigError at its key, anything else at keys.
func problems(file string, tree *ast.File, err error, keys []string) Problems {
	var out Problems
	for _, e := range leaves(err) {
		path := keys
		msg := e.Error()
		var ce *connectors.ConfigError
		if errors.As(e, &ce) {
			path, msg = ce.Path, ce.Message
		}
		line, col := position(tree, path)
		out = append(out, Problem{File: file, Line: line, Col: col, Path: strings.Join(path, "."), Message: msg + unsetHint(tree, path)})
	}
	return out
}

// leaves flattens errors.Join trees.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}

// position finds where keys lead in the file: a plain value itself, else
// its key; for a key that is missing, the nearest key above it that exists.
func position(tree *ast.File, keys []string) (int, int) {
	line, col := 1, 1
	if len(tree.Docs) == 0 {
		return line, col
	}
	node := tree.Docs[0].Body
	for i, key := range keys {
		k, v := lookup(node, key)
		if k == nil {
			break
		}
		line, col = at(k, line, col)
		if _, scalar := v.(ast.ScalarNode); scalar && i == len(keys)-1 {
			line, col = at(v, line, col)
		}
		node = v
	}
	return line, col
}

// lookup finds key in a mapping node: its key and value nodes.
func lookup(n ast.Node, key string) (ast.Node, ast.Node) {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
			continue
		case *ast.TagNode:
			n = v.Value
			continue
		case *ast.MappingNode:
			for _, mv := range v.Values {
				if mv.Key != nil && mv.Key.String() == key {
					return mv.Key, mv.Value
				}
			}
		case *ast.MappingValueNode:
			if v.Key != nil && v.Key.String() == key {
				return v.Key, v.Value
			}
		}
		return nil, nil
	}
}

// at is a node's line and column, or else the ones given.
func at(n ast.Node, line, col int) (int, int) {
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line, tk.Position.Column
	}
	return line, col
}

// unsetHint names the environment settings a value that came out empty was
// to be taken from, since an unset one is the likely mistake.
func unsetHint(tree *ast.File, keys []string) string {
	if len(tree.Docs) == 0 {
		return ""
	}
	node := tree.Docs[0].Body
	for _, key := range keys {
		if _, node = lookup(node, key); node == nil {
			return ""
		}
	}
	str, ok := node.(*ast.StringNode)
	if !ok || str.Value != "" || str.GetToken() == nil {
		return ""
	}
	var names []string
	for _, m := range envRef.FindAllStringSubmatch(str.GetToken().Value, -1) {
		names = append(names, m[1])
	}
	if len(names) == 0 {
		return ""
	}
	return " (it comes from " + strings.Join(names, ", ") + " in the environment, which is unset or empty)"
}
