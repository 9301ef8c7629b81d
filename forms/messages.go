package forms

import (
	"fmt"
	"strings"

	"github.com/larder-council/larder/workflows/recipe"
)

// message is the GOV.UK-style error for a failed rule, unless the designer
// wrote their own in the field's messages.
func message(f recipe.Field, rule, param string) string {
	if m, ok := f.Messages[rule]; ok {
		return m
	}
	// "Which bin was not collected?" reads as "Select which bin was not collected".
	label := strings.TrimSuffix(strings.ToLower(f.Label[:1])+f.Label[1:], "?")
	switch rule {
	case "required":
		switch f.Type {
		case "radios", "address", "select", "yesno", "checkboxes":
			return "Select " + label
		case "file":
			return "Select " + label + " to upload"
		case "email":
			return "Enter an email address"
		case "phone":
			return "Enter a telephone number"
		}
		return "Enter " + label
	case "yesno":
		return "Select yes or no"
	case "date":
		return f.Label + " must be a real date"
	case "date_before":
		switch param {
		case "today":
			return f.Label + " must be in the past"
		case "tomorrow":
			return f.Label + " must be today or in the past"
		}
		return f.Label + " must be before " + prettyDate(param)
	case "date_after":
		switch param {
		case "today":
			return f.Label + " must be in the future"
		case "tomorrow":
			return f.Label + " must be after tomorrow"
		}
		return f.Label + " must be after " + prettyDate(param)
	case "file":
		return "Select " + label + " to upload"
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
	case "max", "lte":
		if f.Type == "number" {
			return fmt.Sprintf("%s must be %s or less", f.Label, param)
		}
		if f.Type == "checkboxes" {
			return fmt.Sprintf("Select no more than %s", param)
		}
		return fmt.Sprintf("%s must be %s characters or fewer", f.Label, param)
	case "min", "gte":
		if f.Type == "number" {
			return fmt.Sprintf("%s must be %s or more", f.Label, param)
		}
		if f.Type == "checkboxes" {
			return fmt.Sprintf("Select at least %s", param)
		}
		return fmt.Sprintf("%s must be %s characters or more", f.Label, param)
	case "numeric", "number":
		return f.Label + " must be a number"
	}
	return "Enter a valid " + label
}

func prettyDate(s string) string {
	if d, ok := parseDate(s); ok {
		return d.Format("2 January 2006")
	}
	return s
}
