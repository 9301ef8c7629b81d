package staff

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// fieldPrefix starts the form names of a task's own fields, so a field
// called "outcome" or "csrf" cannot clash with the page's.
const fieldPrefix = "field-"

// outcomeField is one of a task's fields as the outcome form shows it,
// like a resident's question: Field carries the prefixed id.
type outcomeField struct {
	Field            recipe.Field
	Value            string
	Values           []string // checked boxes
	Day, Month, Year string   // date parts, as typed
	Hint, Error      string
	Options          []recipe.Option
	Describedby      string
}

// outcomeFields are the task's fields with what was posted and the
// errors to fix.
func outcomeFields(fields []recipe.Field, values map[string]string, errs []forms.FieldError) []outcomeField {
	out := make([]outcomeField, 0, len(fields))
	for _, f := range fields {
		of := outcomeField{Field: f, Value: values[f.ID], Hint: f.Hint, Options: f.Options}
		of.Field.ID = fieldPrefix + f.ID
		switch f.Type {
		case "checkboxes":
			if of.Value != "" {
				of.Values = strings.Split(of.Value, "\n")
			}
		case "date":
			if parts := strings.Split(of.Value, "-"); len(parts) == 3 {
				of.Year, of.Month, of.Day = parts[0], parts[1], parts[2]
			}
		case "yesno":
			of.Options = []recipe.Option{{Value: "yes", Label: "Yes"}, {Value: "no", Label: "No"}}
		}
		of.Error = fieldError(errs, of.Field.ID)
		if of.Hint != "" {
			of.Describedby = of.Field.ID + "-hint"
		}
		if of.Error != "" {
			of.Describedby = strings.TrimSpace(of.Describedby + " " + of.Field.ID + "-error")
		}
		out = append(out, of)
	}
	return out
}

// postedValue reads a field's answer from the outcome form: date parts
// joined year-month-day, checked boxes by newlines.
func postedValue(c *gin.Context, f recipe.Field) string {
	name := fieldPrefix + f.ID
	switch f.Type {
	case "date":
		parts := []string{c.PostForm(name + "-year"), c.PostForm(name + "-month"), c.PostForm(name + "-day")}
		if strings.TrimSpace(strings.Join(parts, "")) == "" {
			return ""
		}
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return strings.Join(parts, "-")
	case "checkboxes":
		var vals []string
		for _, v := range c.PostFormArray(name) {
			if v != "" {
				vals = append(vals, v)
			}
		}
		return strings.Join(vals, "\n")
	}
	return c.PostForm(name)
}

// complete sends the task's outcome, once: a task completed already, or
// held by someone else, is shown as it is and nothing is sent.
func (h *Handler) complete(c *gin.Context) {
	at, ok := h.openTask(c)
	if !ok {
		return
	}
	if !at.open() {
		h.notOpen(c, at)
		return
	}
	if at.heldByOther() {
		// The page says who holds it and how to take it over.
		h.showTask(c, http.StatusConflict, at, nil)
		return
	}
	t := at.Task
	outcome := c.PostForm("outcome")
	values := map[string]string{}
	raw := map[string]any{}
	for _, f := range t.Fields {
		v := forms.Clean(f, postedValue(c, f))
		values[f.ID] = v
		if v != "" {
			raw[f.ID] = v
		}
	}
	var errs []forms.FieldError
	if !slices.ContainsFunc(t.Outcomes, func(o recipe.Outcome) bool { return o.ID == outcome }) {
		errs = append(errs, forms.FieldError{Field: "outcome", Message: "Select an outcome"})
	}
	clean, fieldErrs := h.Validator.Form(&recipe.Recipe{Form: recipe.Form{Pages: []recipe.Page{{Fields: t.Fields}}}}, raw)
	for _, e := range fieldErrs {
		errs = append(errs, forms.FieldError{Field: fieldPrefix + e.Field, Message: e.Message})
	}
	if len(errs) > 0 {
		h.showTask(c, http.StatusUnprocessableEntity, at, map[string]any{
			"Errors": errs, "Outcome": outcome, "Fields": outcomeFields(t.Fields, values, errs),
		})
		return
	}
	_, err := h.Cases.CompleteTask(c, at.Case.Reference, workflows.Completion{
		TaskID: t.ID, Outcome: outcome, Values: clean, By: at.User.Username,
	})
	if h.refused(c, at, t.Assignee, err) {
		return
	}
	h.done(c, "/staff/", "completed")
}
