package forms

import (
	"fmt"
	"sort"
	"strings"

	"github.com/larder-council/larder/workflows/recipe"
)

// message is the GOV.UK-style error for a failed rule, unless the designer
// wrote their own in the field's messages.
func message(f recipe.Field, rule, param string) string {
	if m, ok := f.Messages[rule]; ok {
		return m
	}
	label := strings.ToLower(f.Label[:1]) + f.Label[1:]
	switch rule {
	case "required":
		if f.Type == "radios" || f.Type == "address" {
			return "Select " + label
		}
		return "Enter " + label
	case "oneof":
		return "Select " + label + " from the list"
	case "email":
		return "Enter an email address in the correct format, like name@example.com"
	case "postcode":
		return "Enter a full UK postcode, like LR1 1AA"
	case "uprn":
		return "Select an address from the list"
	case "uk_phone":
		return "Enter a UK telephone number, like 01632 960 001 or 07700 900 982"
	case "max":
		return fmt.Sprintf("%s must be %s characters or fewer", f.Label, param)
	case "min":
		return fmt.Sprintf("%s must be %s characters or more", f.Label, param)
	case "numeric", "number":
		return f.Label + " must be a number"
	}
	return "Enter a valid " + label
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
