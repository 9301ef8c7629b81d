package recipe

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/larder-council/larder/internal/positioned"
)

// Problem is one mistake in a recipe, positioned in its file.
type Problem = positioned.Problem

// Problems is every mistake found in one or more recipes.
type Problems = positioned.Problems

// Connectors tells the validator which connectors and operations exist.
type Connectors interface {
	// Operations lists a connector's operations; ok is false for an unknown connector.
	Operations(connector string) (ops []string, ok bool)
}

// LoadFile reads and validates one recipe. The error, when not nil, is
// Problems. Unless conns brings its own email templates, those in
// emails.yaml beside the recipe are used.
func LoadFile(path string, conns Connectors) (*Recipe, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read recipe: %w", err)
	}
	lib, err := withEmails(filepath.Dir(path), conns)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, lib)
}

// withEmails pairs the connectors with the email templates of dir.
func withEmails(dir string, conns Connectors) (Connectors, error) {
	if _, ok := conns.(EmailTemplates); ok {
		return conns, nil
	}
	emails, err := LoadEmails(filepath.Join(dir, EmailsFile))
	if err != nil {
		return nil, err
	}
	return Library{Connectors: conns, Emails: emails}, nil
}

// LoadDir loads every recipe in dir (files ending .yaml, except
// connectors.yaml and emails.yaml).
func LoadDir(dir string, conns Connectors) ([]*Recipe, error) {
	paths, err := RecipeFiles(dir)
	if err != nil {
		return nil, err
	}
	if conns, err = withEmails(dir, conns); err != nil {
		return nil, err
	}
	var out []*Recipe
	var all Problems
	seen, prefixes := map[string]string{}, map[string]string{}
	for _, p := range paths {
		r, err := LoadFile(p, conns)
		var ps Problems
		if errors.As(err, &ps) {
			all = append(all, ps...)
			continue
		} else if err != nil {
			return nil, err
		}
		if other, dup := seen[r.ID]; dup {
			all = append(all, problemAt(p, "id", fmt.Sprintf("recipe id %q is also used by %s", r.ID, other)))
			continue
		}
		if other, dup := prefixes[r.ReferencePrefix]; dup {
			// A reference must name one service, for residents, staff and hooks.
			all = append(all, problemAt(p, "reference_prefix", fmt.Sprintf("reference prefix %q is also used by %s", r.ReferencePrefix, other)))
			continue
		}
		seen[r.ID], prefixes[r.ReferencePrefix] = p, p
		out = append(out, r)
	}
	if len(all) > 0 {
		return nil, all
	}
	byID := map[string]*Recipe{}
	for _, r := range out {
		byID[r.ID] = r
	}
	if ps := resolveSubrecipes(byID); len(ps) > 0 {
		return nil, ps
	}
	return out, nil
}

// RecipeFiles lists the recipe files in dir, sorted.
func RecipeFiles(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range paths {
		if base := filepath.Base(p); base != "connectors.yaml" && base != EmailsFile {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Parse decodes and validates a recipe held in memory. Every mistake is
// reported at once: a value of the wrong shape (a duration that does not
// read, text where a list belongs) is reported and left out, and the rest
// of the recipe is still checked.
func Parse(file string, data []byte, conns Connectors) (*Recipe, error) {
	tree, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, Problems{decodeProblem(file, data, err)}
	}
	shape, spoiled := shapeProblems(file, tree, Recipe{}, "the recipe")
	var r Recipe
	if len(shape) > 0 {
		// The tree has the wrong values blanked: decode what is left.
		if !decodeRest(tree, &r) {
			return nil, shape
		}
	} else if err := yaml.UnmarshalWithOptions(data, &r, durationYAML); err != nil {
		p := decodeProblem(file, data, err)
		if mergedKey(tree, p.Line, p.Col) {
			p.Message += ": it also comes in through <<, and one cannot replace the other; give it in one place"
		}
		return nil, Problems{p}
	}
	sum := sha256.Sum256(data)
	r.Hash = hex.EncodeToString(sum[:8])
	r.File = file
	v := &validator{r: &r, file: file, tree: tree, conns: conns, spoiled: spoiled}
	v.problems = shape
	v.validate()
	if len(v.problems) > 0 {
		v.problems.InFileOrder()
		return nil, v.problems
	}
	return &r, nil
}

// decodeRest decodes a tree whose wrong values are blanked, reporting
// whether it could: the decoder is not made for trees changed after
// parsing, so a panic there means only the shape problems are told.
func decodeRest(tree *ast.File, r *Recipe) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return len(tree.Docs) > 0 && yaml.NodeToValue(tree.Docs[0].Body, r, durationYAML) == nil
}

// problemAt is a problem at a top-level key of a recipe file already read.
func problemAt(file, key, message string) Problem {
	line, col := 1, 1
	if data, err := os.ReadFile(file); err == nil {
		if tree, err := parser.ParseBytes(data, 0); err == nil {
			line, col = position(tree, "$."+key)
		}
	}
	return Problem{File: file, Line: line, Col: col, Path: key, Message: message}
}

// position finds the line and column of a YAML path such as $.steps[2].next,
// falling back to the nearest parent that exists.
func position(tree *ast.File, path string) (int, int) {
	for path != "" && path != "$" {
		if p, err := yaml.PathString(path); err == nil {
			if n, err := p.FilterFile(tree); err == nil && n != nil {
				if tk := n.GetToken(); tk != nil && tk.Position != nil {
					return tk.Position.Line, tk.Position.Column
				}
			}
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 1, 1
}
