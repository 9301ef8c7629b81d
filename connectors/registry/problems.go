package registry

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/larder-council/larder/connectors"
)

// Problem is one mistake in connectors.yaml, positioned in the file.
type Problem struct {
	File    string
	Line    int
	Col     int
	Path    string // the keys down to the mistake, e.g. connectors.waste.http.base_url
	Message string
}

// Error formats the problem as file:line:col: path: message.
func (p Problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: ", p.File, p.Line, p.Col)
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every mistake found in connectors.yaml.
type Problems []Problem

// Error prints one problem per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// inFileOrder sorts the problems by line and column, keeping the order of
// problems at the same place.
func (ps Problems) inFileOrder() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		return a.Line < b.Line || (a.Line == b.Line && a.Col < b.Col)
	})
}

// decodeProblem places a YAML syntax or decoding error at its token.
func decodeProblem(file string, err error) Problem {
	p := Problem{File: file, Line: 1, Col: 1, Message: err.Error()}
	var ye yaml.Error
	if errors.As(err, &ye) {
		p.Message = ye.GetMessage()
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			p.Line, p.Col = tk.Position.Line, tk.Position.Column
		}
	}
	return p
}

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
		out = append(out, Problem{File: file, Line: line, Col: col, Path: strings.Join(path, "."), Message: msg})
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

// plainKey is a key a YAML path can name without quotes.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// position finds the line and column of the value at keys (its key, where
// the value is missing), falling back to the nearest parent that exists.
func position(tree *ast.File, keys []string) (int, int) {
	for n := len(keys); n > 0; n-- {
		var b strings.Builder
		b.WriteString("$")
		for _, k := range keys[:n] {
			if plainKey.MatchString(k) {
				b.WriteString("." + k)
			} else {
				b.WriteString(".'" + strings.ReplaceAll(k, "'", "''") + "'")
			}
		}
		p, err := yaml.PathString(b.String())
		if err != nil {
			continue
		}
		if node, err := p.FilterFile(tree); err == nil && node != nil {
			if tk := node.GetToken(); tk != nil && tk.Position != nil {
				return tk.Position.Line, tk.Position.Column
			}
		}
	}
	return 1, 1
}
