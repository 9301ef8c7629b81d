// Package positioned is a mistake in a file a council writes (a recipe,
// emails.yaml, connectors.yaml) told where it is, as editors and
// compilers tell them: file:line:col: path: message.
package positioned

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
)

// Problem is one mistake, positioned in its file.
type Problem struct {
	File    string
	Line    int
	Col     int
	Path    string // the keys down to the mistake, e.g. steps.raise.next
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

// Problems is every mistake found, in one file or several.
type Problems []Problem

// Error prints one problem per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// InFileOrder sorts the problems as an editor lists them: by file, then
// line and column, keeping the order of problems at the same place.
func (ps Problems) InFileOrder() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line || (a.Line == b.Line && a.Col < b.Col)
	})
}

// FromYAML places a YAML syntax or decoding error at its token, or at
// the top of the file when it names none.
func FromYAML(file string, err error) Problem {
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
