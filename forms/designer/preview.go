package designer

import (
	"strings"

	"github.com/larder-council/larder/workflows/recipe"
)

// previewPrefix starts the ids of the preview's inputs, so a question
// named like a part of the page (steps, diagram) cannot take its id.
const previewPrefix = "preview-"

// previewField is a question as the resident's page shows it, filled in
// with its example answer: the state forms/web's shared field templates
// take (Field, Value, Values, Day, Month, Year, Hint, Error, Options,
// Describedby).
type previewField struct {
	Field              recipe.Field
	Value              string
	Values             []string
	Day, Month, Year   string
	Hint, Error        string
	Options            []recipe.Option
	Describedby        string
	Lookup             string
	Fieldset, Multiple bool
}

// yesNo are the choices of a yes/no question.
var yesNo = []recipe.Option{{Value: "yes", Label: "Yes"}, {Value: "no", Label: "No"}}

// preview is the page's questions as residents see them.
func preview(p recipe.Page) []previewField {
	var out []previewField
	for _, f := range p.Fields {
		pf := previewField{Field: f, Value: f.Example, Hint: f.Hint, Options: f.Options}
		pf.Field.ID = previewPrefix + f.ID
		if f.Hint != "" {
			pf.Describedby = pf.Field.ID + "-hint"
		}
		switch f.Type {
		case "yesno":
			pf.Options = yesNo
		case "checkboxes":
			for _, v := range strings.Split(f.Example, ",") {
				if v = strings.TrimSpace(v); v != "" {
					pf.Values = append(pf.Values, v)
				}
			}
		case "date":
			if y, rest, ok := strings.Cut(f.Example, "-"); ok {
				pf.Year = y
				pf.Month, pf.Day, _ = strings.Cut(rest, "-")
			}
		}
		if l := f.Lookup; l != nil {
			pf.Lookup = l.Connector + "." + l.Operation
		}
		pf.Fieldset = f.Type == "radios" || f.Type == "yesno" || f.Type == "checkboxes" || f.Type == "date" || (f.Type == "address" && f.Lookup != nil)
		out = append(out, pf)
	}
	return out
}
