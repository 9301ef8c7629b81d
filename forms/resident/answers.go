package resident

import (
	"errors"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/workflows/recipe"
)

type summaryRow struct{ Label, Value, Change string }

// shownAnswer is an answer as the resident reads it back.
func shownAnswer(f recipe.Field, d *draft) string {
	v := d.Answers[f.ID]
	if label, ok := d.Labels[f.ID]; ok {
		return label
	}
	optionLabel := func(val string) string {
		for _, o := range f.Options {
			if o.Value == val {
				return o.Label
			}
		}
		return val
	}
	switch f.Type {
	case "checkboxes":
		var labels []string
		for _, val := range strings.Split(v, "\n") {
			labels = append(labels, optionLabel(val))
		}
		return strings.Join(labels, ", ")
	case "yesno":
		return map[string]string{"yes": "Yes", "no": "No"}[v]
	case "date":
		if t, err := time.Parse("2006-01-02", v); err == nil {
			return t.Format("2 January 2006")
		}
	}
	return optionLabel(v)
}

// posted reads a question's answer from the form post: date parts are
// joined year-month-day and checked boxes by newlines.
func posted(c *gin.Context, f recipe.Field) string {
	switch f.Type {
	case "date":
		parts := []string{c.PostForm(f.ID + "-year"), c.PostForm(f.ID + "-month"), c.PostForm(f.ID + "-day")}
		if strings.TrimSpace(strings.Join(parts, "")) == "" {
			return ""
		}
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return strings.Join(parts, "-")
	case "checkboxes":
		var vals []string
		for _, v := range c.PostFormArray(f.ID) {
			if v != "" {
				vals = append(vals, v)
			}
		}
		return strings.Join(vals, "\n")
	}
	return c.PostForm(f.ID)
}

// postedFile reports whether the form post carries a file for question f.
func postedFile(c *gin.Context, f recipe.Field) bool {
	fh, err := c.FormFile(f.ID)
	return err == nil && fh.Size > 0
}

// receiveFile stores a file posted for file question f of service r,
// bound to that question: the upload answers no other. With no new file,
// a file uploaded earlier stands.
func (h *Handler) receiveFile(c *gin.Context, r *recipe.Recipe, f recipe.Field, d *draft) string {
	fh, err := c.FormFile(f.ID)
	if err != nil || fh.Size == 0 {
		return ""
	}
	up, err := h.Uploads.SaveFile(fh, r.ID, f)
	var refused *forms.ErrUpload
	if errors.As(err, &refused) {
		return refused.Message
	}
	if err != nil {
		h.Log.ErrorContext(c, "upload not saved", "err", err)
		return "The selected file could not be saved; try again"
	}
	d.Answers[f.ID] = forms.UploadPrefix + up.ID
	d.Labels[f.ID] = up.Name
	return ""
}
