package recipe

import (
	"slices"
	"sort"
	"strings"
)

// rule is one validator tag, e.g. {name: "max", param: "254"}.
type rule struct{ name, param string }

// splitRules parses "required,email,max=254".
func splitRules(tags string) []rule {
	var out []rule
	for _, t := range strings.Split(tags, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		name, param, _ := strings.Cut(t, "=")
		out = append(out, rule{name: name, param: param})
	}
	return out
}

// typeRules are the checks a question's type implies, by the key of the
// message each gives when it fails.
var typeRules = map[string]string{
	"radios": "oneof", "select": "oneof", "checkboxes": "oneof", "yesno": "yesno",
	"number": "number", "date": "date", "phone": "uk_phone", "postcode": "postcode",
	"email": "email", "file": "file",
}

// MessageKeys lists the keys the question's messages may override, in
// the order they are checked: required, the check its type implies (a
// choice not offered is oneof, a phone number uk_phone), each rule of
// validate by its name (gte=2 is gte), and, for choices from a lookup,
// lookup (a choice it did not offer), lookup_failed and lookup_empty.
func (f Field) MessageKeys() []string {
	keys := []string{"required"}
	add := func(k string) {
		if k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if f.Lookup == nil || f.Type == "checkboxes" {
		add(typeRules[f.Type])
	}
	for _, r := range splitRules(f.Validate) {
		add(r.name)
	}
	if f.Lookup != nil {
		add("lookup")
		add("lookup_failed")
		add("lookup_empty")
	}
	return keys
}

// SortedKeys lists a map's keys in order, so that the workflow never
// decides by ranging over a map.
//
//workflowcheck:ignore the keys are sorted before anything uses them
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
