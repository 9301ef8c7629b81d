package resident

import (
	"net/url"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows/recipe"
)

// fileRecipes are services of the test's own with file questions: details
// asks what happened beside a file, lenient takes any photo (by default
// up to 10 MB) and strict a PNG of at most 50 bytes; lenient's and
// strict's questions share the id photo.
func fileRecipes(t *testing.T) []*recipe.Recipe {
	t.Helper()
	const end = "steps:\n  - id: done\n    end:\n      outcome: Sent\n"
	sources := map[string]string{
		"details": `id: details
version: "1"
title: Tell us what happened
reference_prefix: DT
form:
  pages:
    - id: details
      title: What happened?
      fields:
        - { id: what, type: text, label: What happened, validate: required, messages: { required: Enter what happened } }
        - { id: evidence, type: file, label: Evidence }
`,
		"lenient": `id: lenient
version: "1"
title: Send a photo
reference_prefix: LE
form:
  pages:
    - id: photo
      title: Upload a photo
      fields:
        - { id: photo, type: file, label: Photo, validate: required }
`,
		"strict": `id: strict
version: "1"
title: Send a small photo
reference_prefix: ST
form:
  pages:
    - id: photo
      title: Upload a small photo
      fields:
        - { id: photo, type: file, label: Photo, validate: required, accept: [image/png], max_bytes: 50 }
`,
	}
	var out []*recipe.Recipe
	for _, id := range []string{"details", "lenient", "strict"} {
		r, err := recipe.Parse(id+".yaml", []byte(sources[id]+end), nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// Security finding 9: an uploaded file could answer any file question,
// bypassing that question's accept and max_bytes. On the web, a draft
// saved for one service could be restored into another whose question has
// the same id: its upload must not answer the stricter question.
func TestFinding9AnUploadForOneQuestionDoesNotAnswerAnother(t *testing.T) {
	cases := &fakeCases{}
	l := serve(t, &Handler{Recipes: fileRecipes(t), Cases: cases}, 0, nil)
	r := newResident(t, l.URL)
	// A 70-byte PNG is a fine answer to lenient's photo.
	if got := r.postFile("/services/lenient/pages/photo", "photo", "tip.png", tinyPNG); got.Path != "/services/lenient/check" {
		t.Fatalf("lenient's photo: %d on %s", got.Status, got.Path)
	}
	if got := r.post("/services/lenient/pages/photo", url.Values{"save": {"1"}}); got.Path != "/services/lenient/save" {
		t.Fatalf("save for later: %d on %s", got.Status, got.Path)
	}
	r.post("/services/lenient/save", url.Values{"email": {"sam@example.com"}})
	links := resumeLinks(t, l)
	if len(links) != 1 {
		t.Fatalf("%d resume links, want 1", len(links))
	}
	// Opened under strict's address, the link would carry the upload to
	// strict's photo, which takes at most 50 bytes.
	r.post(strings.Replace(links[0], "/services/lenient/", "/services/strict/", 1), url.Values{})
	sent := r.post("/services/strict/check", url.Values{})
	for _, c := range cases.Started() {
		t.Errorf("case %s of %s started with photo %v, an upload made for another question", c.Reference, c.Service, c.Answers["photo"])
	}
	if sent.Path != "/services/strict/pages/photo" {
		t.Errorf("sending landed on %s, want strict's photo asked again", sent.Path)
	}
	// Uploaded for strict's own question, the same file is refused for its size.
	got := r.postFile("/services/strict/pages/photo", "photo", "tip.png", tinyPNG)
	mustSay(t, "a 70-byte photo for strict", got, "The selected file must be smaller than 1 MB")
}
