package forms

import (
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows/recipe"
)

// TestQuestionLabelsAreNotEmbedded: a label that is a question or an
// instruction never lands inside a message ("Select why do you need a
// larger bin? from the list"); the message speaks of the answer by its
// type, as the GOV.UK Design System's error messages do.
func TestQuestionLabelsAreNotEmbedded(t *testing.T) {
	v := New()
	opts := []recipe.Option{{Value: "family", Label: "A bigger family"}, {Value: "medical", Label: "Medical needs"}}
	field := func(typ, label, rules string) recipe.Field {
		f := recipe.Field{ID: "q", Type: typ, Label: label, Validate: rules}
		if typ == "radios" || typ == "select" || typ == "checkboxes" {
			f.Options = opts
		}
		return f
	}
	for _, tc := range []struct {
		f     recipe.Field
		value string
		want  string
	}{
		{field("radios", "Why do you need a larger bin?", "required"), "", "Select an option"},
		{field("radios", "Why do you need a larger bin?", "required"), "spite", "Select an option from the list"},
		{field("select", "Which ward are you in?", "required"), "", "Select an option"},
		{field("checkboxes", "What has been dumped?", "required,max=1"), "", "Select at least one option"},
		{field("checkboxes", "What has been dumped?", "required,max=1"), "piano", "Select options from the list"},
		{field("checkboxes", "What has been dumped?", "required,max=1"), "family\nmedical", "Select no more than 1 option"},
		{field("checkboxes", "What has been dumped?", "min=2"), "family", "Select at least 2 options"},
		{field("yesno", "Did you see who dumped it?", "required"), "", "Select yes or no"},
		{field("yesno", "Did you see who dumped it", "required"), "", "Select yes or no"},
		{field("address", "Where do you live?", "required"), "", "Select an address"},
		{field("address", "Where do you live?", "required,uprn"), "x", "Select an address from the list"},
		{field("text", "What happened?", "required,max=5"), "", "Enter your answer"},
		{field("textarea", "Tell us what you saw", "required,max=5"), "a long story", "Your answer must be 5 characters or fewer"},
		{field("text", "What is your reference?", "len=6"), "AB12", "Your answer must be 6 characters"},
		{field("text", "What is your reference?", "alphanum"), "AB-12", "Enter your answer in the correct format"},
		{field("text", "How old is the bin?", "numeric"), "old", "Your answer must be a number"},
		{field("number", "How many bags are there?", "required,min=1,max=10"), "", "Enter a number"},
		{field("number", "How many bags are there?", "required,min=1,max=10"), "lots", "Enter a number"},
		{field("number", "How many bags are there?", "required,min=1,max=10"), "11", "The number must be 10 or less"},
		{field("date", "When was it missed?", "required,date_before=tomorrow"), "", "Enter a date"},
		{field("date", "When was it missed?", "required,date_before=tomorrow"), "2026-2-30", "The date must be a real date"},
		{field("date", "When was it missed", "date_before=tomorrow"), "2999-01-01", "The date must be today or in the past"},
		{field("postcode", "What is your postcode?", "required"), "", "Enter a postcode"},
		{field("file", "Upload a photo", "required"), "", "Select a file to upload"},
		{field("file", "Upload a photo", ""), "photo.png", "Select a file to upload"},
	} {
		got := v.Field(tc.f, tc.value)
		if got != tc.want {
			t.Errorf("%s %q, %s, %q: got %q, want %q", tc.f.Type, tc.f.Label, tc.f.Validate, tc.value, got, tc.want)
		}
		if strings.Contains(got, strings.ToLower(strings.TrimSuffix(tc.f.Label, "?"))) {
			t.Errorf("%q embeds its label %q", got, tc.f.Label)
		}
	}
}

// TestLabelsThatNameTheAnswer: a label naming the answer is the message's
// noun, lower-cased unless it starts with an acronym, and the subject of
// "must be" messages as written.
func TestLabelsThatNameTheAnswer(t *testing.T) {
	v := New()
	for _, tc := range []struct {
		f     recipe.Field
		value string
		want  string
	}{
		{recipe.Field{Type: "text", Label: "Full name", Validate: "required"}, "", "Enter full name"},
		{recipe.Field{Type: "text", Label: "NHS number", Validate: "required"}, "", "Enter NHS number"},
		{recipe.Field{Type: "text", Label: "UPRN", Validate: "required,len=12"}, "123", "UPRN must be 12 characters"},
		{recipe.Field{Type: "radios", Label: "Which bin was not collected", Validate: "required",
			Options: []recipe.Option{{Value: "general", Label: "General"}}}, "", "Select which bin was not collected"},
		{recipe.Field{Type: "date", Label: "Date you saw it", Validate: "date_after=2026-01-01"}, "2025-05-01", "Date you saw it must be after 1 January 2026"},
		{recipe.Field{Type: "file", Label: "A photo of the bin", Validate: "required"}, "", "Select a photo of the bin to upload"},
		{recipe.Field{Type: "text", Label: "Reference", Validate: "alphanum"}, "AB-1", "Enter reference in the correct format"},
	} {
		if got := v.Field(tc.f, tc.value); got != tc.want {
			t.Errorf("%s %q, %s, %q: got %q, want %q", tc.f.Type, tc.f.Label, tc.f.Validate, tc.value, got, tc.want)
		}
	}
}

// TestEveryMessageCanBeReplaced: each rule's message gives way to the
// designer's messages entry under the rule's name.
func TestEveryMessageCanBeReplaced(t *testing.T) {
	v := New()
	opts := []recipe.Option{{Value: "a", Label: "A"}}
	for _, tc := range []struct {
		rule  string
		f     recipe.Field
		value string
	}{
		{"required", recipe.Field{Type: "text", Validate: "required"}, ""},
		{"email", recipe.Field{Type: "email"}, "sam@"},
		{"postcode", recipe.Field{Type: "postcode"}, "LR1"},
		{"uprn", recipe.Field{Type: "text", Validate: "uprn"}, "12ab"},
		{"uk_phone", recipe.Field{Type: "phone"}, "999"},
		{"min", recipe.Field{Type: "number", Validate: "min=2"}, "1"},
		{"max", recipe.Field{Type: "text", Validate: "max=2"}, "abc"},
		{"len", recipe.Field{Type: "text", Validate: "len=2"}, "abc"},
		{"oneof", recipe.Field{Type: "radios", Options: opts}, "b"},
		{"number", recipe.Field{Type: "number"}, "many"},
		{"date", recipe.Field{Type: "date"}, "2026-2-30"},
		{"date_before", recipe.Field{Type: "date", Validate: "date_before=2026-01-01"}, "2026-02-01"},
		{"date_after", recipe.Field{Type: "date", Validate: "date_after=2026-01-01"}, "2025-02-01"},
		{"file", recipe.Field{Type: "file"}, "photo.png"},
		{"yesno", recipe.Field{Type: "yesno"}, "maybe"},
		{"alphanum", recipe.Field{Type: "text", Validate: "alphanum"}, "a-b"},
	} {
		tc.f.Label = "Answer"
		tc.f.Messages = map[string]string{tc.rule: "The council's own words"}
		if got := v.Field(tc.f, tc.value); got != "The council's own words" {
			t.Errorf("messages.%s: got %q", tc.rule, got)
		}
	}
}
