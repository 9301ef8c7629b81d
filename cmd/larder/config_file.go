package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// readFile lays a YAML file's settings over raw, noting the line of each in
// from. A missing file is fine unless it was named on the command line.
func readFile(path string, named bool, raw *rawConfig, from sources) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !named {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	f, err := parser.ParseBytes(data, 0)
	if yerr, ok := errors.AsType[yaml.Error](err); ok && yerr.GetToken() != nil {
		return fmt.Errorf("%s line %d: %s", path, yerr.GetToken().Position.Line, yerr.GetMessage())
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	r := fileReader{path: path, raw: raw, from: from}
	for _, doc := range f.Docs {
		r.mapping(doc.Body, "")
	}
	return errors.Join(r.problems...)
}

// fileReader walks a config file's keys.
type fileReader struct {
	path     string
	raw      *rawConfig
	from     sources
	problems []error
}

// mapping reads the keys under prefix ("" or "forms." and so on).
func (r *fileReader) mapping(n ast.Node, prefix string) {
	switch m := unwrap(n).(type) {
	case nil, *ast.NullNode:
	case *ast.MappingNode:
		for _, v := range m.Values {
			r.entry(v, prefix)
		}
	case *ast.MappingValueNode:
		r.entry(m, prefix)
	default:
		r.problems = append(r.problems, fmt.Errorf("%s line %d: %s should hold keys, like the example in deploy/larder.example.yaml", r.path, line(n), strings.TrimSuffix(prefix, ".")))
	}
}

func (r *fileReader) entry(v *ast.MappingValueNode, prefix string) {
	key, at := prefix+v.Key.GetToken().Value, line(v.Key)
	for _, s := range settings {
		if s.key == key {
			text, ok := scalar(v.Value, s.kind.list)
			if !ok {
				r.problems = append(r.problems, fmt.Errorf("%s line %d: %s should be a single value, not a list or a map", r.path, at, key))
				return
			}
			*s.raw(r.raw), r.from[key] = text, fmt.Sprintf("%s line %d", r.path, at)
			return
		}
		if strings.HasPrefix(s.key, key+".") {
			r.mapping(v.Value, key+".")
			return
		}
	}
	r.problems = append(r.problems, fmt.Errorf("%s line %d: unknown key %s; deploy/larder.example.yaml shows every key", r.path, at, key))
}

// scalar is a value's text as written; a list is joined with commas when
// the setting takes one.
func scalar(n ast.Node, list bool) (string, bool) {
	switch v := unwrap(n).(type) {
	case nil, *ast.NullNode:
		return "", true
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return strings.TrimSuffix(v.Value.Value, "\n"), true
	case *ast.SequenceNode:
		if !list {
			return "", false
		}
		items := make([]string, 0, len(v.Values))
		for _, item := range v.Values {
			text, ok := scalar(item, false)
			if !ok {
				return "", false
			}
			items = append(items, text)
		}
		return strings.Join(items, ","), true
	case ast.ScalarNode:
		return v.GetToken().Value, true
	}
	return "", false
}

// unwrap looks through tags and anchors to the value.
func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		default:
			return n
		}
	}
}

func line(n ast.Node) int {
	if n == nil || n.GetToken() == nil {
		return 0
	}
	return n.GetToken().Position.Line
}
