package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/registry"
	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/workflows/recipe"
)

// validateCommand checks recipe files (or every recipe in folders) against
// the connectors.yaml beside them, and that connectors.yaml itself,
// printing one file:line:col line per problem. It returns 1 when any file
// has a problem.
func validateCommand(args []string, out io.Writer) int {
	if len(args) == 0 {
		args = []string{"recipes"}
	}
	var files []string
	bad := 0
	conns := map[string]*connectors.Registry{}
	// connectorsOf loads (once) the connectors.yaml of dir, printing its
	// problems; recipes beside a broken one are checked without it.
	connectorsOf := func(dir string) (*connectors.Registry, bool) {
		if reg, ok := conns[dir]; ok {
			return reg, true
		}
		reg, err := registry.LoadFile(filepath.Join(dir, "connectors.yaml"))
		var ps registry.Problems
		switch {
		case errors.As(err, &ps):
			for _, p := range ps {
				fmt.Fprintln(out, p.Error())
			}
			bad += len(ps)
		case err != nil:
			fmt.Fprintln(out, err)
			return nil, false
		}
		conns[dir] = reg
		return reg, true
	}
	for _, a := range args {
		if filepath.Base(a) == "connectors.yaml" {
			if _, err := os.Stat(a); err != nil {
				fmt.Fprintf(out, "%s: %v\n", a, err)
				return 1
			}
			if _, ok := connectorsOf(filepath.Dir(a)); !ok {
				return 1
			}
			continue
		}
		if st, err := os.Stat(a); err == nil && st.IsDir() {
			fs, err := recipe.RecipeFiles(a)
			if err != nil {
				fmt.Fprintf(out, "%s: %v\n", a, err)
				return 1
			}
			files = append(files, fs...)
		} else {
			files = append(files, a)
		}
	}
	v := forms.New()
	for _, f := range files {
		reg, ok := connectorsOf(filepath.Dir(f))
		if !ok {
			return 1
		}
		var cs recipe.Connectors
		if reg != nil {
			cs = reg
		}
		r, err := recipe.LoadFile(f, cs)
		var ps recipe.Problems
		switch {
		case errors.As(err, &ps):
			for _, p := range ps {
				fmt.Fprintln(out, p.Error())
			}
			bad += len(ps)
			continue
		case err != nil:
			fmt.Fprintf(out, "%s: %v\n", f, err)
			bad++
			continue
		}
		for _, p := range exampleProblems(v, r, f) {
			fmt.Fprintln(out, p.Error())
			bad++
		}
	}
	if bad > 0 {
		return 1
	}
	if len(files) == 0 {
		fmt.Fprintln(out, "connectors valid")
		return 0
	}
	fmt.Fprintf(out, "%d recipes valid\n", len(files))
	return 0
}

// exampleProblems reports example answers that fail their own question's
// rules, each at the example in file.
func exampleProblems(v *forms.Validator, r *recipe.Recipe, file string) recipe.Problems {
	var tree *ast.File
	if data, err := os.ReadFile(file); err == nil {
		tree, _ = parser.ParseBytes(data, 0)
	}
	var out recipe.Problems
	for i, p := range r.Form.Pages {
		for j, f := range p.Fields {
			if f.Example == "" {
				continue
			}
			if msg := v.Field(f, forms.Clean(f, f.Example)); msg != "" {
				line, col := positionOf(tree, fmt.Sprintf("$.form.pages[%d].fields[%d].example", i, j))
				out = append(out, recipe.Problem{
					File: file, Line: line, Col: col,
					Path:    fmt.Sprintf("form.pages.%s.fields.%s.example", p.ID, f.ID),
					Message: fmt.Sprintf("example %q fails its rules: %s", f.Example, msg),
				})
			}
		}
	}
	return out
}

// positionOf is the line and column of a YAML path in tree, or 1:1.
func positionOf(tree *ast.File, path string) (int, int) {
	if tree == nil {
		return 1, 1
	}
	p, err := yaml.PathString(path)
	if err != nil {
		return 1, 1
	}
	n, err := p.FilterFile(tree)
	if err != nil || n == nil || n.GetToken() == nil || n.GetToken().Position == nil {
		return 1, 1
	}
	return n.GetToken().Position.Line, n.GetToken().Position.Column
}
