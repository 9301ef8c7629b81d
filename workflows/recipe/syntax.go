package recipe

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/larder-council/larder/internal/positioned"
)

// decodeProblem positions a YAML syntax or decoding error, rewording the
// mistakes the parser reports badly: a tab, and a quote left open.
func decodeProblem(file string, data []byte, err error) Problem {
	p := positioned.FromYAML(file, err)
	var ye yaml.Error
	if !errors.As(err, &ye) || ye.GetToken() == nil || ye.GetToken().Position == nil {
		return p
	}
	if q := ye.GetToken().Prev; q != nil && runOnQuote(q, data, p.Line, p.Col) {
		// The parser trips where the swallowed text ends, maybe far below.
		p.Message = fmt.Sprintf("the quoted text opened here runs on to line %d: is its closing quote missing?", p.Line)
		p.Line, p.Col = q.Position.Line, q.Position.Column
	}
	if charAt(data, p.Line, p.Col) == '\t' {
		p.Message = "a tab cannot indent YAML: indent with spaces"
	}
	return p
}

// keyLine is a line that reads as a YAML key, e.g. "  - id: book" or "next: x".
var keyLine = regexp.MustCompile(`^\s*(- )?[a-z_]+:(\s|$)`)

// runOnQuote reports whether q is quoted text that swallowed, before the
// error at errLine:errCol, a line reading as a YAML key: the sign of a
// missing closing quote rather than text that spans lines on purpose.
func runOnQuote(q *token.Token, data []byte, errLine, errCol int) bool {
	if q.Position == nil || (q.Type != token.DoubleQuoteType && q.Type != token.SingleQuoteType) {
		return false
	}
	lines := bytes.Split(data, []byte("\n"))
	for l := q.Position.Line + 1; l <= errLine && l <= len(lines); l++ {
		line := []rune(string(lines[l-1]))
		if l == errLine {
			line = line[:min(max(errCol-1, 0), len(line))]
		}
		if keyLine.MatchString(string(line)) {
			return true
		}
	}
	return false
}

// charAt is the character at a 1-based line and column, or 0.
func charAt(data []byte, line, col int) rune {
	lines := bytes.Split(data, []byte("\n"))
	if line < 1 || line > len(lines) {
		return 0
	}
	runes := []rune(string(lines[line-1]))
	if col < 1 || col > len(runes) {
		return 0
	}
	return runes[col-1]
}

// mergedKey reports whether the key at line:col is in a mapping that also
// takes keys through a merge (<<: *anchor). The decoder refuses such a key
// as a duplicate rather than let it replace the merged one.
func mergedKey(tree *ast.File, line, col int) bool {
	for _, n := range ast.FilterFile(ast.MappingType, tree) {
		merges, here := false, false
		for _, mv := range n.(*ast.MappingNode).Values {
			merges = merges || mv.Key.IsMergeKey()
			if tk := mv.Key.GetToken(); tk != nil && tk.Position != nil && tk.Position.Line == line && tk.Position.Column == col {
				here = true
			}
		}
		if merges && here {
			return true
		}
	}
	return false
}
