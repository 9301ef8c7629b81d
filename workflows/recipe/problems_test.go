package recipe_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// loaderFiles are the files whose problems a designer reads.
var loaderFiles = []string{"validate.go", "steps_check.go", "flow_check.go", "emails.go", "subrecipes.go", "keys.go", "load.go", "syntax.go", "refs.go"}

// TestEveryProblemHasAGolden finds the text of every problem the loader
// can report (each string literal with a space in the loader's functions,
// bar plain errors made with fmt.Errorf) and checks that some golden file
// shows it: a new check needs a golden case to show what designers read.
func TestEveryProblemHasAGolden(t *testing.T) {
	var goldens strings.Builder
	paths, _ := filepath.Glob(filepath.Join("testdata", "recipes", "*.golden"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		goldens.Write(b)
	}
	shown := goldens.String()
	checked := 0
	for _, file := range loaderFiles {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range messageTexts(f) {
			checked++
			pattern := messagePattern(text.value)
			if text.whole {
				pattern = regexp.MustCompile(`(?m): ` + pattern.String() + `$`)
			}
			if !pattern.MatchString(shown) {
				t.Errorf("%s: no golden in testdata/recipes shows %q: add a case that produces it", fset.Position(text.pos), text.value)
			}
		}
	}
	if checked < 60 {
		t.Errorf("found %d problem texts in the loader, want at least 60: is the scan still finding them?", checked)
	}
}

type literal struct {
	value string
	pos   token.Pos
	// whole is set for the format of a validator's v.add: the whole
	// message, which must end a golden line.
	whole bool
}

// messageTexts lists the string literals with a space inside functions,
// leaving out fmt.Errorf calls: those are errors, not problems in a recipe.
func messageTexts(f *ast.File) []literal {
	var out []literal
	whole := map[*ast.BasicLit]bool{}
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				sel, isSel := call.Fun.(*ast.SelectorExpr)
				if isSel && sel.Sel.Name == "Errorf" {
					return false
				}
				if isSel && sel.Sel.Name == "add" && len(call.Args) > 2 {
					if lit, ok := call.Args[2].(*ast.BasicLit); ok {
						whole[lit] = true
					}
				}
			}
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if v, err := strconv.Unquote(lit.Value); err == nil && strings.Contains(v, " ") {
				out = append(out, literal{value: v, pos: lit.Pos(), whole: whole[lit]})
			}
			return true
		})
	}
	return out
}

// messagePattern turns a format such as `unknown step %q%s` into a pattern
// matching what it prints.
func messagePattern(format string) *regexp.Regexp {
	quoted := regexp.QuoteMeta(format)
	for verb, pattern := range map[string]string{"%q": `"[^"]*"`, "%s": `.*`, "%v": `.*`, "%d": `-?\d+`} {
		quoted = strings.ReplaceAll(quoted, verb, pattern)
	}
	return regexp.MustCompile(quoted)
}
