package designer

import (
	"strings"

	"github.com/larder-council/larder/workflows/recipe"
)

// formPage is one page of the form as the designer reads it.
type formPage struct {
	Number    int
	ID, Title string
	// ShowIf is the page's condition, "" when it is always asked.
	ShowIf string
	// Blocks are the page's content, one line each.
	Blocks    []string
	Questions []question
	// Preview is the page's questions as residents see them.
	Preview []previewField
}

// question is one question of a page, each thing about it a row.
type question struct {
	ID, Label string
	Rows      []fact
}

// fact is one row of a question's summary: what it is and its values;
// Code values are recipe text (rules, expressions) shown as written.
type fact struct {
	Key    string
	Values []string
	Code   bool
}

// formPages lists every page of the recipe's form, in order.
func formPages(r *recipe.Recipe) []formPage {
	var out []formPage
	for i, p := range r.Form.Pages {
		fp := formPage{Number: i + 1, ID: p.ID, Title: p.Title, ShowIf: p.ShowIf, Preview: preview(p)}
		for _, b := range p.Blocks {
			fp.Blocks = append(fp.Blocks, block(b))
		}
		for _, f := range p.Fields {
			fp.Questions = append(fp.Questions, describeField(f))
		}
		out = append(out, fp)
	}
	return out
}

// block is a piece of page content as one line.
func block(b recipe.Block) string {
	switch {
	case b.Heading != "":
		return "Heading: " + b.Heading
	case b.Paragraph != "":
		return "Paragraph: " + b.Paragraph
	case b.Inset != "":
		return "Inset text: " + b.Inset
	case b.Details != nil:
		return "Details: " + b.Details.Summary + " — " + b.Details.Text
	}
	return ""
}

// describeField lists what a designer wrote about a question.
func describeField(f recipe.Field) question {
	q := question{ID: f.ID, Label: f.Label}
	add := func(key string, code bool, values ...string) {
		var kept []string
		for _, v := range values {
			if v != "" {
				kept = append(kept, v)
			}
		}
		if len(kept) > 0 {
			q.Rows = append(q.Rows, fact{Key: key, Values: kept, Code: code})
		}
	}
	add("Answer", true, "form."+f.ID)
	add("Type", false, f.Type)
	add("Hint", false, f.Hint)
	required := "No"
	if f.Required() {
		required = "Yes"
	}
	add("Required", false, required)
	add("Rules", true, f.Validate)
	var options []string
	for _, o := range f.Options {
		options = append(options, o.Label+" ("+o.Value+")")
	}
	add("Options", false, options...)
	if l := f.Lookup; l != nil {
		add("Choices from", false, l.Connector+"."+l.Operation+", items "+l.Items+", value "+l.Value+", label "+l.Label)
	}
	add("Asked only when", true, f.ShowIf)
	var messages []string
	for _, k := range recipe.SortedKeys(f.Messages) {
		messages = append(messages, k+": "+f.Messages[k])
	}
	add("Messages", false, messages...)
	add("File types", false, strings.Join(f.Accept, ", "))
	add("Example answer", false, f.Example)
	if f.Sensitive {
		add("Sensitive", false, "Yes: never shown back outside the case")
	}
	return q
}
