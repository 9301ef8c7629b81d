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
	r := fileReader{path: path, raw: raw, from: from, anchors: map[string]ast.Node{}}
	for _, doc := range f.Docs {
		if doc.Body == nil {
			continue // only comments
		}
		for _, n := range ast.Filter(ast.AnchorType, doc.Body) {
			a := n.(*ast.AnchorNode)
			r.anchors[a.Name.GetToken().Value] = a.Value
		}
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
	// anchors are the file's &name values, which *name aliases stand for.
	anchors map[string]ast.Node
	// depth counts the mappings being read, so a << that merges the
	// mapping it is in stops instead of reading itself for ever.
	depth int
}

// maxDepth is deeper than any file nests: a section, and a few merges.
const maxDepth = 16

// mapping reads the keys under prefix ("" or "forms." and so on). Keys
// merged in with << are read first, so the mapping's own keys win.
func (r *fileReader) mapping(n ast.Node, prefix string) {
	if r.depth++; r.depth > maxDepth {
		r.problems = append(r.problems, fmt.Errorf("%s line %d: the keys merged in with << lead back to themselves; merge each mapping once", r.path, line(n)))
		r.depth--
		return
	}
	defer func() { r.depth-- }()
	switch m := r.unwrap(n).(type) {
	case nil, *ast.NullNode:
	case *ast.MappingNode:
		for _, merge := range []bool{true, false} {
			for _, v := range m.Values {
				if v.Key.IsMergeKey() == merge {
					r.entry(v, prefix)
				}
			}
		}
	case *ast.MappingValueNode:
		r.entry(m, prefix)
	case *ast.AliasNode:
		r.noAnchor(m)
	default:
		what := strings.TrimSuffix(prefix, ".")
		if what == "" {
			what = "the file"
		}
		r.problems = append(r.problems, fmt.Errorf("%s line %d: %s should hold keys, like the example in deploy/larder.example.yaml", r.path, line(n), what))
	}
}

func (r *fileReader) entry(v *ast.MappingValueNode, prefix string) {
	if v.Key.IsMergeKey() {
		r.mapping(v.Value, prefix)
		return
	}
	key, at := prefix+v.Key.GetToken().Value, line(v.Key)
	for _, s := range settings {
		if s.key == key {
			text, ok := r.scalar(v.Value, s.kind.list)
			if a, isAlias := r.unwrap(v.Value).(*ast.AliasNode); isAlias {
				r.noAnchor(a)
				return
			}
			if !ok {
				want := "a single value, not a list or a map"
				if s.kind.list {
					want = "a value or a list of values"
				}
				r.problems = append(r.problems, fmt.Errorf("%s line %d: %s should be %s", r.path, at, key, want))
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
func (r *fileReader) scalar(n ast.Node, list bool) (string, bool) {
	switch v := r.unwrap(n).(type) {
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
			text, ok := r.scalar(item, false)
			if !ok {
				return "", false
			}
			items = append(items, text)
		}
		return strings.Join(items, ","), true
	case *ast.AliasNode:
		return "", false // of no anchor
	case ast.ScalarNode:
		return v.GetToken().Value, true
	}
	return "", false
}

// noAnchor reports an alias that names no anchor.
func (r *fileReader) noAnchor(a *ast.AliasNode) {
	name := a.Value.GetToken().Value
	r.problems = append(r.problems, fmt.Errorf("%s line %d: *%s names no value: write &%s before the value it stands for", r.path, line(a), name, name))
}

// unwrap looks through tags, anchors and aliases to the value; an alias
// of no anchor, or of aliases going round, is given back as it is.
func (r *fileReader) unwrap(n ast.Node) ast.Node {
	for range maxDepth {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			target, ok := r.anchors[v.Value.GetToken().Value]
			if !ok {
				return n
			}
			n = target
		default:
			return n
		}
	}
	return n
}

func line(n ast.Node) int {
	if n == nil || n.GetToken() == nil {
		return 0
	}
	return n.GetToken().Position.Line
}
