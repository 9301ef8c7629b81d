package recipe

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/goccy/go-yaml"
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

// Library is what a folder of recipes draws on: its connectors and its
// shared email templates.
type Library struct {
	Connectors Connectors
	Emails     map[string]EmailStep
}

var (
	_ Connectors     = Library{}
	_ EmailTemplates = Library{}
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
	e, ok := l.Emails[name]
	return e, ok
}

// EmailTemplateNames lists the templates, sorted.
func (l Library) EmailTemplateNames() []string {
	names := make([]string, 0, len(l.Emails))
	for n := range l.Emails {
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
}

// LoadEmails reads the shared templates; a folder without the file has
// none. Mistakes in the file are Problems, positioned as a recipe's are.
func LoadEmails(path string) (map[string]EmailStep, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]EmailStep{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read email templates: %w", err)
	}
	tree, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, Problems{decodeProblem(path, data, err)}
	}
	if ps := shapeProblems(path, tree, emailsFile{}, "the email templates file"); len(ps) > 0 {
		return nil, ps
	}
	var f emailsFile
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict()); err != nil {
		return nil, Problems{decodeProblem(path, data, err)}
	}
	var ps Problems
	for _, name := range SortedKeys(f.Templates) {
		add := func(key, message string) {
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
		ps.inFileOrder()
		return nil, ps
	}
	return f.Templates, nil
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
