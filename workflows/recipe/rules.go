package recipe

import (
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
