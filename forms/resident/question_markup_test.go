package resident

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows/recipe"
)

var updateMarkup = flag.Bool("update", false, "rewrite testdata/*.golden from the pages' output")

// TestQuestionMarkupIsGOVUKs holds the question page's form, a field of
// every type in every state, to the letter: the field markup is shared
// with the staff pages (forms/web's _fields.html), and a change to it must
// be seen here, not found by residents.
func TestQuestionMarkupIsGOVUKs(t *testing.T) {
	opts := []recipe.Option{{Value: "general", Label: "General waste"}, {Value: "garden", Label: "Garden <waste>"}, {Value: "recycling", Label: "Recycling"}}
	fields := []fieldState{
		{Field: recipe.Field{ID: "name", Type: "text", Label: "Full name"}, Value: `"><script>alert(1)</script>`},
		{Field: recipe.Field{ID: "email", Type: "email", Label: "Email address"}, Hint: "We will send your reference here", Describedby: "email-hint"},
		{Field: recipe.Field{ID: "phone", Type: "phone", Label: "Phone number"}, Error: "Enter a phone number", Describedby: "phone-error"},
		{Field: recipe.Field{ID: "bags", Type: "number", Label: "Number of bags"}, Value: "3"},
		{Field: recipe.Field{ID: "postcode", Type: "postcode", Label: "Postcode"}, Hint: "For example, LR1 1AA", Error: "Enter a real postcode", Describedby: "postcode-hint postcode-error"},
		{Field: recipe.Field{ID: "details", Type: "textarea", Label: "What happened"}, Value: "line one\nline two", Error: "Enter at most 500 characters"},
		{Field: recipe.Field{ID: "bin", Type: "radios", Label: "Which bin"}, Options: opts, Value: "garden", Hint: "Choose one", Error: "Select a bin"},
		{Field: recipe.Field{ID: "assisted", Type: "yesno", Label: "Assisted collection?"}, Value: "no"},
		{Field: recipe.Field{ID: "bins", Type: "checkboxes", Label: "Which bins"}, Options: opts, Values: []string{"general", "recycling"}, Error: "Select a bin"},
		{Field: recipe.Field{ID: "ward", Type: "select", Label: "Ward"}, Options: opts, Value: "recycling"},
		{Field: recipe.Field{ID: "ward2", Type: "select", Label: "Ward"}, Options: opts, Error: "Select a ward"},
		{Field: recipe.Field{ID: "when", Type: "date", Label: "When"}, Day: "4", Month: "3", Year: "2026", Hint: "For example, 27 3 2026"},
		{Field: recipe.Field{ID: "when2", Type: "date", Label: "When"}, Day: "31", Error: "When must be a real date"},
		{Field: recipe.Field{ID: "uprn", Type: "address", Label: "Address"}, Options: opts, LookupFailed: "We could not find any addresses"},
		{Field: recipe.Field{ID: "photo", Type: "file", Label: "Photo", Accept: []string{"image/jpeg", "application/pdf"}}, FileName: "bin.jpg", Error: "Choose a smaller file", Describedby: "photo-error"},
	}
	html := page(t, "question", "About the collection", true, map[string]any{
		"Page": map[string]any{"Title": "About the collection"}, "Fields": fields, "CSRF": "token-123",
	})
	start, end := strings.Index(html, "<form "), strings.Index(html, "</form>")
	if start < 0 || end < start {
		t.Fatalf("no form on the question page:\n%s", html)
	}
	got := html[start : end+len("</form>")]
	golden := filepath.Join("testdata", "question-fields.golden")
	if *updateMarkup {
		if err := os.WriteFile(golden, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got+"\n" != string(want) {
		t.Errorf("the question page's form is not %s (go test -update rewrites it); got:\n%s", golden, got)
	}
}
