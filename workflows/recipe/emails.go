package recipe

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// EmailsFile is the file of shared email templates beside the recipes.
const EmailsFile = "emails.yaml"

// EmailTemplates is what the validator asks about an email step's
// template. A Connectors value may also implement it; Library does.
type EmailTemplates interface {
	// EmailTemplate returns the named template.
	EmailTemplate(name string) (EmailStep, bool)
	// EmailTemplateNames lists the templates, sorted.
	EmailTemplateNames() []string
}

// EmailLayouts is what the validator asks for the council's email layout.
// A Connectors value may also implement it; Library does.
type EmailLayouts interface {
	// EmailLayout is the layout every html part is put in, with one
	// LayoutPlaceholder; "" for none.
	EmailLayout() string
}

// Emails is what emails.yaml holds.
type Emails struct {
	// Templates are the shared templates by name.
	Templates map[string]EmailStep
	// Layout is the council's HTML document around every email's html
	// part, or "" for none (see WrapInLayout).
	Layout string
}

// Library is what a folder of recipes draws on: its connectors and its
// shared email templates and layout.
type Library struct {
	Connectors Connectors
	Emails     Emails
}

var (
	_ Connectors     = Library{}
	_ EmailTemplates = Library{}
	_ EmailLayouts   = Library{}
)

// Operations asks the library's connectors; with none, nothing is checked.
func (l Library) Operations(name string) ([]string, bool) {
	if l.Connectors == nil {
		return nil, false
	}
	return l.Connectors.Operations(name)
}

// EmailTemplate returns the named template.
func (l Library) EmailTemplate(name string) (EmailStep, bool) {
	e, ok := l.Emails.Templates[name]
	return e, ok
}

// EmailLayout is the layout of emails.yaml, or "" for none.
func (l Library) EmailLayout() string { return l.Emails.Layout }

// EmailTemplateNames lists the templates, sorted.
func (l Library) EmailTemplateNames() []string {
	names := make([]string, 0, len(l.Emails.Templates))
	for n := range l.Emails.Templates {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// emailsFile is the shape of emails.yaml.
type emailsFile struct {
	// Templates are named emails; a step's own subject, text or html
	// replaces the template's.
	Templates map[string]EmailStep `yaml:"templates"`
	// Layout is an HTML document with one {{ content }} where each email's
	// own html goes; its other expressions see the case.
	Layout string `yaml:"layout"`
}

// LoadEmails reads the shared templates and layout; a folder without the
// file has neither. Mistakes in the file are Problems, positioned as a
// recipe's are.
func LoadEmails(path string) (Emails, error) {
	none := Emails{Templates: map[string]EmailStep{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return none, nil
	}
	if err != nil {
		return Emails{}, fmt.Errorf("read email templates: %w", err)
	}
	tree, err := parser.ParseBytes(data, 0)
	if err != nil {
		return Emails{}, Problems{decodeProblem(path, data, err)}
	}
	// As in a recipe, values of the wrong shape are told and left out,
	// and the rest of the file is still checked.
	ps, spoiled := shapeProblems(path, tree, emailsFile{}, "the email templates file")
	var f emailsFile
	if len(ps) > 0 {
		if !decodeEmailsRest(tree, &f) {
			return Emails{}, ps
		}
	} else if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict()); err != nil {
		return Emails{}, Problems{decodeProblem(path, data, err)}
	}
	if !spoils(spoiled, "$.layout") {
		ps = append(ps, layoutProblems(path, data, tree, f.Layout)...)
	}
	for _, name := range SortedKeys(f.Templates) {
		add := func(key, message string) {
			if spoils(spoiled, "$.templates."+name+key) {
				return
			}
			line, col := position(tree, "$.templates."+name+key)
			ps = append(ps, Problem{File: path, Line: line, Col: col, Path: "templates." + name + key, Message: message})
		}
		t := f.Templates[name]
		if t.Subject == "" || t.Text == "" {
			add("", "needs a subject and a text")
		}
		if t.To != "" {
			add(".to", "the recipient belongs in the email step, not the template")
		}
		for _, part := range []struct{ key, tmpl string }{{"subject", t.Subject}, {"text", t.Text}, {"html", t.HTML}} {
			if err := checkTemplate(part.tmpl); err != nil {
				add("."+part.key, err.Error())
			}
		}
	}
	if len(ps) > 0 {
		ps.InFileOrder()
		return Emails{}, ps
	}
	if f.Templates == nil {
		f.Templates = map[string]EmailStep{}
	}
	return Emails{Templates: f.Templates, Layout: f.Layout}, nil
}

// decodeEmailsRest decodes emails.yaml with its wrong values blanked,
// reporting whether it could (see decodeRest).
func decodeEmailsRest(tree *ast.File, f *emailsFile) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return len(tree.Docs) > 0 && yaml.NodeToValue(tree.Docs[0].Body, f) == nil
}

// withTemplate fills the step's empty parts from its template.
func withTemplate(e *EmailStep, t EmailStep) {
	if e.Subject == "" {
		e.Subject = t.Subject
	}
	if e.Text == "" {
		e.Text = t.Text
	}
	if e.HTML == "" {
		e.HTML = t.HTML
	}
}

// LayoutPlaceholder marks where a layout takes each email's own html;
// spaces inside the braces are free ({{content}} is the same).
const LayoutPlaceholder = "{{ content }}"

// span is one {{ expression }} of a layout: its offsets, [start, end),
// and the expression between the braces.
type span struct {
	start, end int
	expr       string
}

// expressions lists a layout's {{ expressions }} in order; one left open
// ends the list (checkTemplate reports it).
func expressions(layout string) []span {
	var out []span
	for at := 0; ; {
		i := strings.Index(layout[at:], "{{")
		if i < 0 {
			return out
		}
		i += at
		j := strings.Index(layout[i:], "}}")
		if j < 0 {
			return out
		}
		j += i + 2
		out = append(out, span{start: i, end: j, expr: strings.TrimSpace(layout[i+2 : j-2])})
		at = j
	}
}

// placeholders is the layout's {{ content }}s.
func placeholders(layout string) []span {
	var out []span
	for _, s := range expressions(layout) {
		if s.expr == "content" {
			out = append(out, s)
		}
	}
	return out
}

// WrapInLayout puts an email's html part into the layout, in place of its
// one {{ content }}, before anything is rendered. The result is a template
// like any html part: the layout's text and the part's text are markup,
// and every expression's value, the layout's included, is escaped when the
// email is rendered (RenderHTML). An email without html stays without, so
// does one with no layout, and a part that is a whole document (it starts
// with <!DOCTYPE or <html) is left as its designer wrote it.
func WrapInLayout(html, layout string) string {
	at := placeholders(layout)
	if strings.TrimSpace(html) == "" || len(at) != 1 || wholeDocument(html) {
		return html
	}
	return layout[:at[0].start] + html + layout[at[0].end:]
}

func wholeDocument(html string) bool {
	h := strings.ToLower(strings.TrimSpace(html))
	return strings.HasPrefix(h, "<!doctype") || strings.HasPrefix(h, "<html")
}

// inLayout wraps the email's html part in the library's layout, if any,
// so the recipe's snapshot, and each case started on it, carries the
// layout of the day the recipe was loaded.
func inLayout(e *EmailStep, lib Connectors) {
	if l, ok := lib.(EmailLayouts); ok {
		e.HTML = WrapInLayout(e.HTML, l.EmailLayout())
	}
}

// formRef finds form.<id> in an expression of the layout.
var formRef = regexp.MustCompile(`\bform\.([A-Za-z_][A-Za-z0-9_]*)`)

// layoutProblems checks the layout: one {{ content }}, expressions that
// compile, and no form answers (the layout serves recipes with different
// questions). Each problem points at its place inside the layout when the
// layout is a literal block (layout: |), else at the layout.
func layoutProblems(path string, data []byte, tree *ast.File, layout string) Problems {
	if layout == "" {
		return nil
	}
	at := func(offset int, message string) Problems {
		line, col := layoutPosition(data, tree, layout, offset)
		return Problems{{File: path, Line: line, Col: col, Path: "layout", Message: message}}
	}
	if _, err := parseTemplate(layout); err != nil {
		open := 0
		if es := expressions(layout); len(es) > 0 {
			open = es[len(es)-1].end
		}
		open += strings.Index(layout[open:], "{{")
		if _, e := parseTemplate(layout[open:]); e != nil {
			err = e // quotes the layout from the {{ left open
		}
		return at(open, err.Error())
	}
	spots := placeholders(layout)
	switch {
	case len(spots) == 0:
		return at(-1, "needs one {{ content }}: where each email's own html goes")
	case len(spots) > 1:
		return at(spots[1].start, fmt.Sprintf("has {{ content }} %d times; keep one, where each email's own html goes", len(spots)))
	}
	for _, s := range expressions(layout) {
		if s.expr == "content" {
			continue
		}
		if err := checkTemplate(layout[s.start:s.end]); err != nil {
			return at(s.start, err.Error())
		}
		if m := formRef.FindString(s.expr); m != "" {
			return at(s.start, fmt.Sprintf("%s: the layout is shared by every recipe, so it cannot use form answers; use case (case.reference, case.title) or put it in the email", m))
		}
	}
	return nil
}

// layoutPosition is where in the file the layout's text at offset sits.
// A literal block's lines are the file's lines, indented; for any other
// layout, or offset -1, it is the layout's own place.
func layoutPosition(data []byte, tree *ast.File, layout string, offset int) (int, int) {
	line, col := position(tree, "$.layout")
	if offset < 0 {
		return line, col
	}
	p, err := yaml.PathString("$.layout")
	if err != nil {
		return line, col
	}
	if n, err := p.FilterFile(tree); err != nil {
		return line, col
	} else if _, literal := n.(*ast.LiteralNode); !literal {
		return line, col
	}
	lines := strings.Split(string(data), "\n")
	// The block's first line follows the | line.
	l := line + 1 + strings.Count(layout[:offset], "\n")
	lineStart := strings.LastIndex(layout[:offset], "\n") + 1
	if l > len(lines) {
		return line, col
	}
	text := layout[lineStart:]
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	}
	indent := strings.Index(strings.TrimRight(lines[l-1], "\r"), text)
	if indent < 0 {
		return line, col
	}
	return l, indent + offset - lineStart + 1
}
