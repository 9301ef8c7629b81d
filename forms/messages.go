package forms

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/larder-council/larder/workflows/recipe"
)

// message is the GOV.UK-style error for a failed rule, unless the designer
// wrote their own in the field's messages.
//
// A label that names the answer ("Full name", "Date you saw it") is used
// in the message: "Enter full name", "Date you saw it must be a real
// date". A label that is a question ("Why do you need a larger bin?") or
// an instruction ("Upload a photo") cannot be, so the message speaks of
// the answer by its type: "Select an option", "Enter your answer", "The
// date must be a real date".
func message(f recipe.Field, rule, param string) string {
	if m, ok := f.Messages[rule]; ok {
		return m
	}
	noun := answerNoun(f)
	subject := answerSubject(f)
	switch rule {
	case "required":
		switch f.Type {
		case "email":
			return "Enter an email address"
		case "phone":
			return "Enter a telephone number"
		case "file":
			return selectFile(noun)
		case "radios", "address", "select", "yesno", "checkboxes":
			if noun != "" {
				return "Select " + noun
			}
			switch f.Type {
			case "yesno":
				return "Select yes or no"
			case "address":
				return "Select an address"
			case "checkboxes":
				return "Select at least one option"
			}
			return "Select an option"
		}
		if noun != "" {
			return "Enter " + noun
		}
		switch f.Type {
		case "date":
			return "Enter a date"
		case "number":
			return "Enter a number"
		case "postcode":
			return "Enter a postcode"
		}
		return "Enter your answer"
	case "yesno":
		return "Select yes or no"
	case "date":
		return subject + " must be a real date"
	case "date_before":
		switch param {
		case "today":
			return subject + " must be in the past"
		case "tomorrow":
			return subject + " must be today or in the past"
		}
		return subject + " must be before " + prettyDate(param)
	case "date_after":
		switch param {
		case "today":
			return subject + " must be in the future"
		case "tomorrow":
			return subject + " must be after tomorrow"
		}
		return subject + " must be after " + prettyDate(param)
	case "file":
		return selectFile(noun)
	case "oneof":
		switch {
		case noun != "":
			return "Select " + noun + " from the list"
		case f.Type == "address":
			return "Select an address from the list"
		case f.Type == "checkboxes":
			return "Select options from the list"
		}
		return "Select an option from the list"
	case "email":
		return "Enter an email address in the correct format, like name@example.com"
	case "postcode":
		return "Enter a full UK postcode, like LR1 1AA"
	case "uprn":
		return "Select an address from the list"
	case "uk_phone":
		return "Enter a UK telephone number, like 01632 960 001 or 07700 900 982"
	case "max", "lte":
		switch f.Type {
		case "number":
			return fmt.Sprintf("%s must be %s or less", subject, param)
		case "checkboxes":
			return fmt.Sprintf("Select no more than %s", options(param))
		}
		return fmt.Sprintf("%s must be %s characters or fewer", subject, param)
	case "min", "gte":
		switch f.Type {
		case "number":
			return fmt.Sprintf("%s must be %s or more", subject, param)
		case "checkboxes":
			return fmt.Sprintf("Select at least %s", options(param))
		}
		return fmt.Sprintf("%s must be %s characters or more", subject, param)
	case "len":
		switch f.Type {
		case "number":
			return fmt.Sprintf("%s must be %s", subject, param)
		case "checkboxes":
			return fmt.Sprintf("Select %s", options(param))
		}
		return fmt.Sprintf("%s must be %s characters", subject, param)
	case "numeric", "number":
		if noun == "" && f.Type == "number" {
			return "Enter a number"
		}
		return subject + " must be a number"
	}
	if noun != "" {
		return "Enter " + noun + " in the correct format"
	}
	return "Enter your answer in the correct format"
}

// selectFile asks for a file, by the label's noun when there is one.
func selectFile(noun string) string {
	if noun == "" {
		return "Select a file to upload"
	}
	return "Select " + noun + " to upload"
}

// options is "1 option" or "3 options".
func options(n string) string {
	if n == "1" {
		return "1 option"
	}
	return n + " options"
}

// instructions start labels that tell the resident what to do rather than
// name the answer: "Upload a photo", "Tell us what you saw".
var instructions = map[string]bool{
	"add": true, "choose": true, "describe": true, "enter": true, "give": true,
	"list": true, "pick": true, "provide": true, "select": true, "tell": true,
	"type": true, "upload": true, "write": true,
}

// auxiliaries start a question even without its question mark: "Did you
// see who dumped it", "When was it missed".
var auxiliaries = map[string]bool{
	"am": true, "are": true, "can": true, "could": true, "did": true, "do": true,
	"does": true, "had": true, "has": true, "have": true, "is": true, "may": true,
	"might": true, "shall": true, "should": true, "was": true, "were": true,
	"will": true, "would": true,
}

// questionWords start a question when an auxiliary follows: "Why do you
// need a larger bin" is one, "Which bin was not collected" names an answer.
var questionWords = map[string]bool{
	"how": true, "what": true, "when": true, "where": true, "which": true,
	"who": true, "whom": true, "whose": true, "why": true,
}

// answerNoun is the label as the thing a message asks for ("Full name"
// reads "full name", "NHS number" stays as it is), or "" when the label is
// a question or an instruction and cannot be put in a sentence.
func answerNoun(f recipe.Field) string {
	label := strings.TrimSpace(f.Label)
	if label == "" || strings.HasSuffix(label, "?") {
		return ""
	}
	words := strings.Fields(strings.ToLower(label))
	if instructions[words[0]] || auxiliaries[words[0]] ||
		(len(words) > 1 && questionWords[words[0]] && auxiliaries[words[1]]) {
		return ""
	}
	r, size := utf8.DecodeRuneInString(label)
	if next, _ := utf8.DecodeRuneInString(label[size:]); unicode.IsUpper(next) {
		return label // an acronym: "UPRN", "NHS number"
	}
	return string(unicode.ToLower(r)) + label[size:]
}

// answerSubject starts a message about the answer given: the label when
// it names the answer, else the answer by its type.
func answerSubject(f recipe.Field) string {
	if answerNoun(f) != "" {
		return strings.TrimSpace(f.Label)
	}
	switch f.Type {
	case "date":
		return "The date"
	case "number":
		return "The number"
	case "file":
		return "The file"
	}
	return "Your answer"
}

func prettyDate(s string) string {
	if d, ok := parseDate(s); ok {
		return d.Format("2 January 2006")
	}
	return s
}
