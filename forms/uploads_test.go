package forms

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows/recipe"
)

// tinyPNG is a 1x1 PNG, 70 bytes.
var tinyPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

// evidenceForm is a service with two file questions: evidence takes the
// default types and sizes, photo only a PNG of at most 50 bytes.
func evidenceForm() *recipe.Recipe {
	return &recipe.Recipe{ID: "evidence", Form: recipe.Form{Pages: []recipe.Page{
		{ID: "evidence", Fields: []recipe.Field{{ID: "evidence", Type: "file", Label: "Evidence"}}},
		{ID: "photo", Fields: []recipe.Field{{ID: "photo", Type: "file", Label: "Photo", Accept: []string{"image/png"}, MaxBytes: 50}}},
		{ID: "notes", Fields: []recipe.Field{{ID: "notes", Type: "file", Label: "Notes"}}},
	}}}
}

func field(r *recipe.Recipe, id string) recipe.Field {
	fields := r.Fields()
	return fields[slices.IndexFunc(fields, func(f recipe.Field) bool { return f.ID == id })]
}

func saved(t *testing.T, u *Uploads, service string, f recipe.Field, data []byte) string {
	t.Helper()
	up, err := u.Save(bytes.NewReader(data), "tip.png", service, f)
	if err != nil {
		t.Fatalf("upload for %s: %v", f.ID, err)
	}
	return UploadPrefix + up.ID
}

// Security finding 9: an uploaded file could answer any file question,
// bypassing that question's accept and max_bytes.
func TestFinding9AnUploadAnswersOnlyItsOwnQuestion(t *testing.T) {
	u := &Uploads{Dir: t.TempDir()}
	r := evidenceForm()
	ref := saved(t, u, r.ID, field(r, "evidence"), tinyPNG)

	if msg := u.Check(r.ID, field(r, "evidence"), ref); msg != "" {
		t.Errorf("the upload as the answer it was made for: %q, want it to stand", msg)
	}
	// As the answer to the stricter question (at most 50 bytes), refused.
	errs := u.CheckAnswers(r, map[string]any{"photo": ref})
	if len(errs) != 1 || errs[0].Field != "photo" || errs[0].Message != uploadOtherField {
		t.Errorf("evidence's upload as the photo: %+v, want photo refused as uploaded for a different question", errs)
	}
	// Refused too for a question with the same rules, and for another service.
	if msg := u.Check(r.ID, field(r, "notes"), ref); msg != uploadOtherField {
		t.Errorf("evidence's upload as the notes: %q, want %q", msg, uploadOtherField)
	}
	if msg := u.Check("other-service", field(r, "evidence"), ref); msg != uploadOtherField {
		t.Errorf("evidence's upload for another service: %q, want %q", msg, uploadOtherField)
	}
	// A question's own limits hold when the file is saved.
	if _, err := u.Save(bytes.NewReader(tinyPNG), "tip.png", r.ID, field(r, "photo")); err == nil || err.Error() != "The selected file must be smaller than 1 MB" {
		t.Errorf("a 70-byte file for a 50-byte question: %v, want it refused for its size", err)
	}
}

func TestUploadsStoredBeforeBindingMustFitTheQuestion(t *testing.T) {
	u := &Uploads{Dir: t.TempDir()}
	r := evidenceForm()
	ref := saved(t, u, r.ID, field(r, "evidence"), tinyPNG)
	// Take the binding away, as a file stored by an older Larder has none.
	up, _ := u.Describe(ref)
	up.Service, up.Field = "", ""
	if err := u.describe(up); err != nil {
		t.Fatal(err)
	}
	if msg := u.Check(r.ID, field(r, "notes"), ref); msg != "" {
		t.Errorf("an unbound PNG for a question taking PNGs: %q, want it to stand", msg)
	}
	if msg := u.Check(r.ID, field(r, "photo"), ref); !strings.Contains(msg, "smaller than") {
		t.Errorf("an unbound 70-byte file for a 50-byte question: %q, want it refused for its size", msg)
	}
	if msg := u.Check(r.ID, field(r, "evidence"), UploadPrefix+strings.Repeat("0", 32)); msg != uploadNotFound {
		t.Errorf("an upload that does not exist: %q, want %q", msg, uploadNotFound)
	}
}
