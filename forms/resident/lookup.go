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

// lookupFailed is what a resident reads when a question's choices could
// not be looked up; lookupEmpty when the lookup offered none. An address
// question speaks of addresses and its postcode; others of choices, or
// the designer's messages.lookup_failed and messages.lookup_empty.
func lookupFailed(f recipe.Field) string {
	if m := f.Messages["lookup_failed"]; m != "" {
		return m
	}
	if f.Type == "address" {
		return "We could not look up addresses just now. Try again in a few minutes."
	}
	return "We could not look up the choices just now. Try again in a few minutes."
}

func lookupEmpty(f recipe.Field) string {
	if m := f.Messages["lookup_empty"]; m != "" {
		return m
	}
	if f.Type == "address" {
		return "We could not find any addresses for that postcode. Go back and check the postcode."
	}
	return "There is nothing to choose from just now. Go back and check your answers, or try again later."
}
