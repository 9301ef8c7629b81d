package open311

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// fields are the inputs submit_request sends as they are, per GeoReport v2.
var fields = []string{
	"service_code", "lat", "long", "address_string", "address_id",
	"email", "device_id", "account_id", "first_name", "last_name",
	"phone", "description", "media_url",
}

// submission builds the form of POST requests from a call's inputs: the
// GeoReport fields by name, and the service's attributes either as inputs
// named attribute.<code> or as a map input attributes, each sent as
// attribute[code]=value (attribute[code][]=value for each of a list).
// Empty inputs are left out, so an optional question left blank sends
// nothing.
func submission(input map[string]any) (url.Values, error) {
	form := url.Values{}
	attrs := map[string]any{}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(input)) {
		v := input[name]
		switch {
		case slices.Contains(fields, name):
			s, err := single(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("input %s: %w", name, err))
			} else if s != "" {
				form.Set(name, s)
			}
		case strings.HasPrefix(name, "attribute."):
			code := strings.TrimPrefix(name, "attribute.")
			if code == "" {
				errs = append(errs, fmt.Errorf("input %s: name the attribute's code after the dot", name))
				continue
			}
			if _, dup := attrs[code]; dup {
				errs = append(errs, fmt.Errorf("input %s: attribute %s is also in attributes; give it once", name, code))
				continue
			}
			attrs[code] = v
		case name == "attributes":
			m, ok := v.(map[string]any)
			if !ok && v != nil {
				errs = append(errs, fmt.Errorf("input attributes: want a map of attribute code to value, got %s", describe(v)))
				continue
			}
			for code, x := range m {
				if _, dup := attrs[code]; dup {
					errs = append(errs, fmt.Errorf("input attributes: attribute %s is also an input attribute.%s; give it once", code, code))
					continue
				}
				attrs[code] = x
			}
		case name == "api_key" || name == "jurisdiction_id":
			errs = append(errs, fmt.Errorf("input %s: comes from connectors.yaml, not from a recipe", name))
		default:
			errs = append(errs, fmt.Errorf("input %s: not a GeoReport v2 field (use %s, attribute.<code> or attributes)", name, strings.Join(fields, ", ")))
		}
	}
	for _, code := range slices.Sorted(maps.Keys(attrs)) {
		switch v := attrs[code].(type) {
		case []any:
			for _, x := range v {
				s, err := single(x)
				if err != nil {
					errs = append(errs, fmt.Errorf("attribute %s: %w", code, err))
				} else if s != "" {
					form.Add("attribute["+code+"][]", s)
				}
			}
		case []string:
			for _, s := range v {
				if s != "" {
					form.Add("attribute["+code+"][]", s)
				}
			}
		default:
			s, err := single(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("attribute %s: %w", code, err))
			} else if s != "" {
				form.Set("attribute["+code+"]", s)
			}
		}
	}
	if form.Get("service_code") == "" {
		errs = append(errs, errors.New("input service_code: is required"))
	}
	if (form.Get("lat") == "") != (form.Get("long") == "") {
		errs = append(errs, errors.New("inputs lat and long: give both or neither"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return form, nil
}

// only refuses inputs to an operation that takes none but those named.
func only(input map[string]any, names ...string) error {
	var extra []string
	for name := range input {
		if !slices.Contains(names, name) {
			extra = append(extra, name)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	slices.Sort(extra)
	if len(names) == 0 {
		return fmt.Errorf("inputs %s: this operation takes none", strings.Join(extra, ", "))
	}
	return fmt.Errorf("inputs %s: this operation takes only %s", strings.Join(extra, ", "), strings.Join(names, ", "))
}

// required reads the one input an operation takes.
func required(input map[string]any, name string) (string, error) {
	if err := only(input, name); err != nil {
		return "", err
	}
	s, err := single(input[name])
	if err != nil {
		return "", fmt.Errorf("input %s: %w", name, err)
	}
	if s == "" {
		return "", fmt.Errorf("input %s: is required", name)
	}
	return s, nil
}

// single renders one input value as form text: numbers without exponent,
// so a latitude reads 51.5072, not 5.15072e+01.
func single(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return strings.TrimSpace(v), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32), nil
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, bool:
		return fmt.Sprint(v), nil
	case json.Number:
		return v.String(), nil
	}
	return "", fmt.Errorf("want a single value, got %s", describe(v))
}

func describe(v any) string {
	switch v.(type) {
	case []any, []string:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("%T", v)
}
