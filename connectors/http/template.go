package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
)

// placeholder is {name} in a template: the input called name.
var placeholder = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// inputs is one call's inputs, noting which ones a template placed so the
// rest can go to the body.
type inputs struct {
	values map[string]any
	placed map[string]bool
}

// newInputs reads inputs as JSON would carry them (numbers as json.Number,
// lists as []any, maps as map[string]any), whatever Go types the caller used.
func newInputs(in map[string]any) (*inputs, error) {
	values := map[string]any{}
	if len(in) > 0 {
		data, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("inputs are not JSON: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&values); err != nil {
			return nil, fmt.Errorf("inputs are not JSON: %w", err)
		}
	}
	return &inputs{values: values, placed: map[string]bool{}}, nil
}

// get returns an input a template names; ok is false when it is missing,
// null or empty.
func (in *inputs) get(name string) (any, bool) {
	in.placed[name] = true
	v, ok := in.values[name]
	if !ok || v == nil || v == "" {
		return nil, false
	}
	return v, true
}

// render fills a string template, each value passed through escape; it
// returns the names of missing inputs.
func (in *inputs) render(tmpl string, escape func(string) string) (string, []string) {
	var missing []string
	out := placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[1 : len(m)-1]
		v, ok := in.get(name)
		if !ok {
			missing = append(missing, name)
			return ""
		}
		return escape(text(v))
	})
	return out, missing
}

// value fills a body template; a string that is one {name} alone takes the
// input as it is. ok is false when an input it needs is missing, and the
// key or list entry holding it is left out.
func (in *inputs) value(v any) (any, bool) {
	switch t := v.(type) {
	case string:
		if m := placeholder.FindStringSubmatch(t); m != nil && m[0] == t {
			return in.get(m[1])
		}
		s, missing := in.render(t, same)
		return s, len(missing) == 0
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			if r, ok := in.value(x); ok {
				out[k] = r
			}
		}
		return out, true
	case []any:
		out := make([]any, 0, len(t))
		for _, x := range t {
			if r, ok := in.value(x); ok {
				out = append(out, r)
			}
		}
		return out, true
	}
	return v, true
}

// rest lists the inputs no template placed, sorted.
func (in *inputs) rest() []string {
	var out []string
	for k := range in.values {
		if !in.placed[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func same(s string) string { return s }

// text is a value as it reads in a path, query, header or form: a number
// as written, a list or map as JSON.
func text(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	case json.Number, bool, int, int64, uint64, float64:
		return fmt.Sprint(t)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}

// formValues encodes a body as a form: a list repeats its key, a map
// becomes key[sub]=value (as Open311's attribute[code] does).
func formValues(body map[string]any) url.Values {
	vals := url.Values{}
	var add func(key string, v any)
	add = func(key string, v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				add(key+"["+k+"]", x)
			}
		case []any:
			for _, x := range t {
				add(key, x)
			}
		default:
			vals.Add(key, text(t))
		}
	}
	for k, v := range body {
		add(k, v)
	}
	return vals
}
