package resident

import (
	"context"
	"fmt"
	"time"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/workflows/recipe"
)

// lookupOptions asks the field's connector for its choices, given the
// answers so far (an address field looks up by the postcode answered).
func (h *Handler) lookupOptions(ctx context.Context, f recipe.Field, answers map[string]string) ([]recipe.Option, error) {
	l := f.Lookup
	form := make(map[string]any, len(answers))
	for k, v := range answers {
		form[k] = v
	}
	input, err := recipe.Values(l.Input, recipe.Env{"form": form})
	if err != nil {
		return nil, err
	}
	conn, err := h.Connectors.Get(l.Connector)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, _, err := conn.Call(ctx, connectors.Request{Operation: l.Operation, Input: input})
	if err != nil {
		return nil, err
	}
	items, err := recipe.Eval(l.Items, recipe.Env{"result": out})
	if err != nil {
		return nil, err
	}
	list, ok := items.([]any)
	if !ok {
		return nil, fmt.Errorf("lookup items %q is not a list", l.Items)
	}
	opts := make([]recipe.Option, 0, len(list))
	for _, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		opts = append(opts, recipe.Option{Value: fmt.Sprint(m[l.Value]), Label: fmt.Sprint(m[l.Label])})
	}
	return opts, nil
}
