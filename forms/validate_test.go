package forms

import (
	"testing"

	"github.com/larder-council/larder/workflows/recipe"
)

func loadMissedBin(t *testing.T) *recipe.Recipe {
	t.Helper()
	r, err := recipe.LoadFile("../recipes/missed-bin.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestExamplesPassTheirOwnRules(t *testing.T) {
	v := New()
	r := loadMissedBin(t)
	raw := map[string]any{}
	for _, f := range r.Fields() {
		if f.Example == "" {
			t.Errorf("field %s has no example", f.ID)
		}
		raw[f.ID] = f.Example
	}
	if _, errs := v.Form(r, raw); len(errs) > 0 {
		t.Fatalf("examples fail: %v", errs)
	}
}

func TestFieldMessages(t *testing.T) {
	v := New()
	postcode := recipe.Field{ID: "postcode", Type: "postcode", Label: "Postcode", Validate: "required,postcode"}
	email := recipe.Field{ID: "email", Type: "email", Label: "Email address", Validate: "required,email,max=254"}
	name := recipe.Field{ID: "name", Type: "text", Label: "Full name", Validate: "required,max=5"}
	bin := recipe.Field{ID: "bin", Type: "radios", Label: "Which bin", Validate: "required",
		Options: []recipe.Option{{Value: "general", Label: "General"}}}
	custom := recipe.Field{ID: "uprn", Type: "address", Label: "Address", Validate: "required,uprn",
		Messages: map[string]string{"required": "Select the address"}}
	phone := recipe.Field{ID: "phone", Type: "text", Label: "Phone", Validate: "uk_phone"}
	for _, tc := range []struct {
		f     recipe.Field
		value string
		want  string
	}{
		{postcode, "", "Enter postcode"},
		{postcode, "LR1", "Enter a full UK postcode, like LR1 1AA"},
		{postcode, Clean(postcode, " lr11aa "), ""},
		{email, "sam@", "Enter an email address in the correct format, like name@example.com"},
		{email, "sam@example.com", ""},
		{name, "Samantha", "Full name must be 5 characters or fewer"},
		{bin, "", "Select which bin"},
		{bin, "glass", "Select which bin from the list"},
		{bin, "general", ""},
		{custom, "", "Select the address"},
		{custom, "12ab", "Select an address from the list"},
		{phone, "", ""},
		{phone, "01632 960 001", ""},
		{phone, "12345", "Enter a UK telephone number, like 01632 960 001 or 07700 900 982"},
	} {
		if got := v.Field(tc.f, tc.value); got != tc.want {
			t.Errorf("%s %q: got %q, want %q", tc.f.ID, tc.value, got, tc.want)
		}
	}
}

func TestCleanKeepsWhatWasTypedWhenItIsNotAPostcode(t *testing.T) {
	f := recipe.Field{Type: "postcode"}
	if got := Clean(f, "lr1 1aa"); got != "LR1 1AA" {
		t.Errorf("got %q", got)
	}
	if got := Clean(f, "nonsense"); got != "nonsense" {
		t.Errorf("got %q", got)
	}
}

func TestFormRefusesUnknownAnswersAndCleans(t *testing.T) {
	v := New()
	r := loadMissedBin(t)
	raw := map[string]any{"postcode": "lr1 1aa", "uprn": "100001000001", "bin_type": "general",
		"name": "Sam", "email": "Sam@Example.com", "colour": "blue"}
	clean, errs := v.Form(r, raw)
	if len(errs) != 1 || errs[0].Field != "colour" {
		t.Fatalf("want one error for the unknown answer, got %v", errs)
	}
	if clean["postcode"] != "LR1 1AA" || clean["email"] != "sam@example.com" {
		t.Errorf("answers not cleaned: %v", clean)
	}
}
