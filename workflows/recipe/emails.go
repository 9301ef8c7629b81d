package recipe

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/goccy/go-yaml"
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

// LoadEmails reads the shared templates; a folder without the file has none.
func LoadEmails(path string) (map[string]EmailStep, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]EmailStep{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read email templates: %w", err)
	}
	var f emailsFile
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("%s: %s", path, yaml.FormatError(err, false, false))
	}
	for name, t := range f.Templates {
		if t.Subject == "" || t.Text == "" {
			return nil, fmt.Errorf("%s: templates.%s: needs a subject and a text", path, name)
		}
		if t.To != "" {
			return nil, fmt.Errorf("%s: templates.%s.to: the recipient belongs in the email step, not the template", path, name)
		}
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
