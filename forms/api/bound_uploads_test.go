package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/api"
	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/workflows/recipe"
)

// twoFiles is a service with two file questions: evidence takes what
// file questions take by default, photo only a PNG of at most 50 bytes.
const twoFiles = `id: two-files
version: "1"
title: Send evidence
reference_prefix: TF
form:
  pages:
    - id: evidence
      title: Upload your evidence
      fields:
        - { id: evidence, type: file, label: Evidence }
    - id: photo
      title: Upload a photo
      fields:
        - { id: photo, type: file, label: Photo, accept: [image/png], max_bytes: 50 }
steps:
  - id: done
    end:
      outcome: Sent
`

// Security finding 9: an uploaded file could answer any file question,
// bypassing that question's accept and max_bytes.
func TestFinding9AnUploadForOneQuestionIsRefusedForAnother(t *testing.T) {
	r, err := recipe.Parse("two-files.yaml", []byte(twoFiles), nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := &fakeCases{}
	base := serve(t, &api.Handler{Recipes: []*recipe.Recipe{r}, Cases: cases, Validator: forms.New(),
		Uploads: &forms.Uploads{Dir: t.TempDir()}, Log: casetest.Log()}, pass, pass)

	// A 70-byte PNG is refused by photo itself...
	if got := upload(t, base+"/services/two-files/uploads/photo", "file", "tip.png", tinyPNG); got.status != http.StatusUnprocessableEntity {
		t.Fatalf("a 70-byte file for a 50-byte question: %d %s, want 422", got.status, got.body)
	}
	// ...but is a fine answer to evidence.
	got := upload(t, base+"/services/two-files/uploads/evidence", "file", "tip.png", tinyPNG)
	var up struct{ Reference string }
	got.decode(t, &up)
	if got.status != http.StatusCreated {
		t.Fatalf("upload for evidence: %d %s", got.status, got.body)
	}

	sent := postJSON(t, base+"/services/two-files/submissions", map[string]any{"photo": up.Reference})
	if sent.status != http.StatusUnprocessableEntity {
		t.Fatalf("evidence's upload as the photo: %d %s, want 422", sent.status, sent.body)
	}
	if p := sent.problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "photo" ||
		p.Errors[0].Message != "The selected file was uploaded for a different question; upload it again for this one" {
		t.Errorf("refusal %+v, want the photo question told the file was uploaded for another", p)
	}
	if cases.starts() != 0 {
		t.Error("a case was started with a file uploaded for another question")
	}
	// As the answer it was made for, it stands.
	if sent := postJSON(t, base+"/services/two-files/submissions", map[string]any{"evidence": up.Reference}); sent.status != http.StatusCreated {
		t.Errorf("the upload as evidence: %d %s, want 201", sent.status, sent.body)
	}
}

// Security finding 1: nothing ever deleted uploads. The sweep removes an
// upload no case refers to, and never one a case submitted through the
// API refers to.
func TestFinding1SweepKeepsTheFilesOfSubmittedCases(t *testing.T) {
	uploads := &forms.Uploads{Dir: t.TempDir()}
	base := serve(t, &api.Handler{Recipes: shipped(t), Cases: &fakeCases{}, Validator: forms.New(), Uploads: uploads, Log: casetest.Log()}, pass, pass)
	reference := func() string {
		t.Helper()
		got := upload(t, base+"/services/fly-tipping/uploads/photo", "file", "tip.png", tinyPNG)
		var up struct{ Reference string }
		got.decode(t, &up)
		if got.status != http.StatusCreated {
			t.Fatalf("upload: %d %s", got.status, got.body)
		}
		return up.Reference
	}
	submitted, orphan := reference(), reference()
	if got := postJSON(t, base+"/services/fly-tipping/submissions", flyTipping(submitted)); got.status != http.StatusCreated {
		t.Fatalf("submit: %d %s", got.status, got.body)
	}
	// Sweep as if a TTL had passed since both were last used.
	if _, err := uploads.Sweep(time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, found := uploads.Describe(submitted); !found || !uploads.Touch(submitted) {
		t.Error("the sweep removed the file a submitted case refers to")
	}
	if _, found := uploads.Describe(orphan); found || uploads.Touch(orphan) {
		t.Error("an upload no case refers to is still there after the sweep")
	}
}
