package resident

import (
	"context"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/workflows/recipe"
)

// lookupOptions asks the field's connector for its choices, given the
// answers so far (an address field looks up by the postcode answered).
// Sending the form checks the chosen address against the same lookup again
// (forms.CheckLookups), whatever the draft came to hold.
func (h *Handler) lookupOptions(ctx context.Context, f recipe.Field, answers map[string]string) ([]recipe.Option, error) {
	form := make(map[string]any, len(answers))
	for k, v := range answers {
		form[k] = v
	}
	return forms.LookupOptions(ctx, h.Connectors, f, form)
}
