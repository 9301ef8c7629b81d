package forms

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/workflows/recipe"
)

// LookupTimeout bounds one lookup of a question's choices.
const LookupTimeout = 5 * time.Second

// LookupOptions asks the field's connector for its choices, given the
// answers so far: an address question looks up the properties at the
// postcode answered.
func LookupOptions(ctx context.Context, conns *connectors.Registry, f recipe.Field, answers map[string]any) ([]recipe.Option, error) {
	l := f.Lookup
	if l == nil {
		return nil, fmt.Errorf("question %s has no lookup", f.ID)
	}
	if conns == nil {
		return nil, errors.New("no connectors to look up choices with")
	}
	input, err := recipe.Values(l.Input, recipe.Env{"form": answers})
	if err != nil {
		return nil, err
	}
	conn, err := conns.Get(l.Connector)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, LookupTimeout)
	defer cancel()
	out, retry, err := conn.Call(ctx, connectors.Request{Operation: l.Operation, Input: input})
	if lob, ok := connectors.AsError(err); ok && !retry && lob.Status >= 400 && lob.Status < 500 {
		// The system refused these answers (no such property): it offers
		// nothing for them, which is not an outage.
		return []recipe.Option{}, nil
	}
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

// LookupChoice finds the answer to a lookup question among the choices the
// lookup offers for the other answers. It reports false when the answer is
// not one of them; an error means the lookup could not be made, and the
// answer is neither right nor wrong until it can.
func LookupChoice(ctx context.Context, conns *connectors.Registry, f recipe.Field, answers map[string]any) (recipe.Option, bool, error) {
	opts, err := LookupOptions(ctx, conns, f, answers)
	if err != nil {
		return recipe.Option{}, false, err
	}
	value := text(answers[f.ID])
	i := slices.IndexFunc(opts, func(o recipe.Option) bool { return o.Value == value })
	if i < 0 {
		return recipe.Option{}, false, nil
	}
	return opts[i], true, nil
}

// CheckLookups checks every answer to a question whose choices come from a
// lookup (an address found by postcode) against the choices the lookup
// offers for the answers it depends on, so a case never acts on a property
// the resident was not offered. answers are a submission's checked answers
// (Validator.Form), which hold only the questions asked. An error means a
// lookup could not be made: the submission can be neither taken nor refused,
// and should be tried again later.
func CheckLookups(ctx context.Context, conns *connectors.Registry, r *recipe.Recipe, answers map[string]any) ([]FieldError, error) {
	var errs []FieldError
	for _, f := range r.Fields() {
		if f.Lookup == nil || answers[f.ID] == nil {
			continue
		}
		_, offered, err := LookupChoice(ctx, conns, f, answers)
		if err != nil {
			return nil, fmt.Errorf("look up choices of %s: %w", f.ID, err)
		}
		if !offered {
			errs = append(errs, FieldError{Field: f.ID, Message: NotOffered(f)})
		}
	}
	return errs, nil
}

// NotOffered is the error for an answer the question's lookup did not
// offer, unless the designer wrote their own as the field's messages.lookup.
func NotOffered(f recipe.Field) string {
	if m, ok := f.Messages["lookup"]; ok {
		return m
	}
	if f.Type == "address" {
		return "Select an address from the list"
	}
	return message(f, "oneof", "")
}
