package resident

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/forms"
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

// uploaded lists the files in the uploads folder, descriptions aside.
func uploaded(t *testing.T, l *larder) []string {
	t.Helper()
	entries, err := os.ReadDir(l.Uploads)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			ids = append(ids, e.Name())
		}
	}
	return ids
}

// Security finding 1: a posted file was stored before anything else on
// its page was checked.
func TestFinding1APageWithErrorsStoresNoFile(t *testing.T) {
	l := serve(t, &Handler{Recipes: fileRecipes(t)}, 0, nil)
	r := newResident(t, l.URL)
	page := "/services/details/pages/details"
	bad := r.postFile(page, "evidence", "tip.png", tinyPNG)
	if bad.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a file with what happened left out: %d on %s, want 422", bad.Status, bad.Path)
	}
	mustSay(t, "a file with what happened left out", bad, "Enter what happened", "Select the file again")
	if got := uploaded(t, l); len(got) != 0 {
		t.Errorf("a page with errors stored %d files, want none", len(got))
	}
	// The file that fails its own checks is refused before it is written.
	if got := r.postFile(page, "evidence", "notes.png", []byte("not a picture at all")); got.Status != http.StatusUnprocessableEntity {
		t.Errorf("a text file posing as a picture: %d, want 422", got.Status)
	}
	if got := uploaded(t, l); len(got) != 0 {
		t.Errorf("%d files stored, want none", len(got))
	}
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

// fillFlyTipping answers the fly-tipping form up to the photo, and the
// photo, leaving the resident on the contact page.
func fillFlyTipping(t *testing.T, r *resident) {
	t.Helper()
	page := func(p string) string { return "/services/fly-tipping/pages/" + p }
	for _, p := range []struct {
		page   string
		values url.Values
	}{
		{"location", url.Values{"location": {"Outside 12 Mill Lane"}}},
		{"seen", url.Values{"seen_on-day": {"7"}, "seen_on-month": {"3"}, "seen_on-year": {"2026"}}},
		{"what", url.Values{"items": {"bags"}}},
		{"amount", url.Values{"amount": {"car"}}},
		{"witness", url.Values{"witnessed": {"no"}}},
	} {
		if got := r.post(page(p.page), p.values); got.Status != http.StatusOK {
			t.Fatalf("answering %s: %d on %s\n%s", p.page, got.Status, got.Path, got.Body)
		}
	}
	if got := r.postFile(page("photo"), "photo", "tip.png", tinyPNG); got.Path != page("contact") {
		t.Fatalf("after the photo, landed on %s", got.Path)
	}
}

// sendFlyTipping answers the contact page and sends the report.
func sendFlyTipping(t *testing.T, r *resident) reply {
	t.Helper()
	r.post("/services/fly-tipping/pages/contact", url.Values{"name": {"Sam"}, "email": {"sam@example.com"}})
	return r.post("/services/fly-tipping/check", url.Values{})
}

// Security finding 1: nothing ever deleted uploads. The sweep removes a
// file no draft or case refers to once its TTL has passed, and never one
// a submitted case refers to.
func TestFinding1SweepKeepsASubmittedCasesFileAndRemovesAnOrphan(t *testing.T) {
	cases := &fakeCases{}
	l := serve(t, &Handler{Cases: cases}, 0, nil)
	sam, jo, kim := newResident(t, l.URL), newResident(t, l.URL), newResident(t, l.URL)
	fillFlyTipping(t, sam)
	if got := sendFlyTipping(t, sam); !strings.HasPrefix(got.Path, "/services/fly-tipping/done/") {
		t.Fatalf("sam's report: %d on %s", got.Status, got.Path)
	}
	started := cases.Started()
	if len(started) != 1 {
		t.Fatalf("%d cases started, want sam's", len(started))
	}
	kept := strings.TrimPrefix(started[0].Answers["photo"].(string), forms.UploadPrefix)
	fillFlyTipping(t, jo)  // and goes away
	fillFlyTipping(t, kim) // and comes back within the week
	if n := len(uploaded(t, l)); n != 3 {
		t.Fatalf("%d uploads, want 3", n)
	}

	// Eight days on for every file; kim has looked at her form since.
	ttl := 7 * 24 * time.Hour
	longAgo := time.Now().Add(-ttl - 24*time.Hour)
	for _, id := range uploaded(t, l) {
		if err := os.Chtimes(filepath.Join(l.Uploads, id), longAgo, longAgo); err != nil {
			t.Fatal(err)
		}
	}
	kim.get("/services/fly-tipping/pages/contact")
	if _, err := l.Handler.Uploads.Sweep(time.Now().Add(-ttl)); err != nil {
		t.Fatal(err)
	}

	left := uploaded(t, l)
	if len(left) != 2 {
		t.Fatalf("%d uploads left after the sweep, want sam's and kim's", len(left))
	}
	if _, found := l.Handler.Uploads.Describe(kept); !found || !slices.Contains(left, kept) {
		t.Error("the sweep removed the file sam's case refers to")
	}
	if got := sendFlyTipping(t, kim); !strings.HasPrefix(got.Path, "/services/fly-tipping/done/") {
		t.Errorf("kim's report after the sweep: %d on %s, want it sent with her photo", got.Status, got.Path)
	}
}
