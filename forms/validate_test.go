package forms

import (
	"encoding/json"
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

func TestNewFieldTypes(t *testing.T) {
	v := New()
	opts := []recipe.Option{{Value: "sofa", Label: "Sofa"}, {Value: "fridge", Label: "Fridge"}}
	items := recipe.Field{ID: "items", Type: "checkboxes", Label: "Items", Validate: "required,max=1", Options: opts}
	count := recipe.Field{ID: "count", Type: "number", Label: "Number of items", Validate: "required,min=1,max=10"}
	when := recipe.Field{ID: "when", Type: "date", Label: "Date of the collection", Validate: "required,date_after=2026-01-01"}
	born := recipe.Field{ID: "born", Type: "date", Label: "Date of birth", Validate: "date_before=today"}
	garden := recipe.Field{ID: "garden", Type: "yesno", Label: "Do you have a garden", Validate: "required"}
	pick := recipe.Field{ID: "pick", Type: "select", Label: "Ward", Options: opts}
	tel := recipe.Field{ID: "tel", Type: "phone", Label: "Phone"}
	proof := recipe.Field{ID: "proof", Type: "file", Label: "a photo", Validate: "required"}
	for _, tc := range []struct {
		f     recipe.Field
		value string
		want  string
	}{
		{items, "", "Select items"},
		{items, "sofa", ""},
		{items, "sofa\nfridge", "Select no more than 1 option"},
		{items, "piano", "Select items from the list"},
		{count, "many", "Number of items must be a number"},
		{count, "0", "Number of items must be 1 or more"},
		{count, "11", "Number of items must be 10 or less"},
		{count, "4", ""},
		{when, "2026-2-30", "Date of the collection must be a real date"},
		{when, Clean(when, "2026-3-7"), ""},
		{when, "2025-12-31", "Date of the collection must be after 1 January 2026"},
		{born, "2999-01-01", "Date of birth must be in the past"},
		{born, "1980-05-17", ""},
		{garden, "maybe", "Select yes or no"},
		{garden, "no", ""},
		{pick, "piano", "Select ward from the list"},
		{tel, "999", "Enter a UK telephone number, like 01632 960 001 or 07700 900 982"},
		{tel, "07700 900 982", ""},
		{proof, "", "Select a photo to upload"},
		{proof, "upload:abc", ""},
	} {
		if got := v.Field(tc.f, tc.value); got != tc.want {
			t.Errorf("%s %q: got %q, want %q", tc.f.ID, tc.value, got, tc.want)
		}
	}
}

func TestHiddenQuestionsAreNotAskedAndTheirAnswersDropped(t *testing.T) {
	r := &recipe.Recipe{Form: recipe.Form{Pages: []recipe.Page{
		{ID: "garden", Fields: []recipe.Field{{ID: "garden", Type: "yesno", Label: "Garden", Validate: "required"}}},
		{ID: "size", ShowIf: `form.garden == "yes"`, Fields: []recipe.Field{{ID: "size", Type: "number", Label: "Size", Validate: "required"}}},
		{ID: "contact", Fields: []recipe.Field{
			{ID: "email", Type: "email", Label: "Email"},
			{ID: "phone", Type: "phone", Label: "Phone", Validate: "required", ShowIf: `form.email == ""`},
		}},
	}}}
	v := New()
	answers, errs := v.Form(r, map[string]any{"garden": "no", "size": "twelve", "email": "sam@example.com", "phone": "x"})
	if len(errs) != 0 {
		t.Fatalf("answers to questions not asked were checked: %v", errs)
	}
	if _, ok := answers["size"]; ok || answers["phone"] != nil {
		t.Errorf("answers to questions not asked were kept: %v", answers)
	}
	answers, errs = v.Form(r, map[string]any{"garden": "yes", "size": "12", "email": ""})
	if len(errs) != 1 || errs[0].Field != "phone" || answers["size"] != float64(12) {
		t.Errorf("got %v %v, want size kept as a number and phone required", answers, errs)
	}
}

// Security finding 4: "Infinity", "inf" and "NaN" passed as numbers, so a
// case holding one could never start (its answers cannot be written as
// JSON). A number answer must be a finite number.
func TestFinding4NonFiniteNumbersAreRefused(t *testing.T) {
	v := New()
	size := recipe.Field{ID: "size", Type: "number", Label: "Size of the garden"}
	count := recipe.Field{ID: "count", Type: "number", Label: "Number of items", Validate: "required,min=1,max=10"}
	r := &recipe.Recipe{Form: recipe.Form{Pages: []recipe.Page{{ID: "sizes", Fields: []recipe.Field{size, count}}}}}
	for _, bad := range []string{"Infinity", "inf", "-Inf", "+INF", "NaN", "nan", "1e400", "-1e400"} {
		for _, f := range []recipe.Field{size, count} {
			if got, want := v.Field(f, bad), f.Label+" must be a number"; got != want {
				t.Errorf("%s %q: got %q, want %q", f.ID, bad, got, want)
			}
		}
		answers, errs := v.Form(r, map[string]any{"size": bad, "count": "2"})
		if len(errs) != 1 || errs[0].Field != "size" {
			t.Errorf("form with size %q: errors %v, want one for size", bad, errs)
		}
		if _, err := json.Marshal(answers); err != nil {
			t.Errorf("form with size %q: the answers a case gets cannot be written: %v", bad, err)
		}
	}
	for text, want := range map[string]float64{"1,250.5": 1250.5, "-3": -3, "1e3": 1000, " 7 ": 7} {
		answers, errs := v.Form(r, map[string]any{"size": text, "count": "2"})
		if len(errs) != 0 || answers["size"] != want {
			t.Errorf("size %q: %v %v, want %v", text, answers, errs, want)
		}
	}
}

// A postcode or email question checks its answer by its type alone: a
// designer who leaves out `validate: postcode` or `email` does not get a
// question that takes any text.
func TestPostcodeAndEmailTypesCheckTheirAnswersWithoutARule(t *testing.T) {
	v := New()
	postcode := recipe.Field{ID: "postcode", Type: "postcode", Label: "Postcode"}
	email := recipe.Field{ID: "email", Type: "email", Label: "Email address"}
	for _, tc := range []struct {
		f           recipe.Field
		value, want string
	}{
		{postcode, "<script>alert(1)</script>", "Enter a full UK postcode, like LR1 1AA"},
		{postcode, "not a postcode", "Enter a full UK postcode, like LR1 1AA"},
		{postcode, Clean(postcode, "lr11aa"), ""},
		{email, `"><img src=x onerror=alert(1)>`, "Enter an email address in the correct format, like name@example.com"},
		{email, "sam@example.com", ""},
	} {
		if got := v.Field(tc.f, tc.value); got != tc.want {
			t.Errorf("%s %q: got %q, want %q", tc.f.ID, tc.value, got, tc.want)
		}
	}
}
