package forms

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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

// age sets when an upload was last used.
func age(t *testing.T, u *Uploads, ref string, at time.Time) {
	t.Helper()
	if err := os.Chtimes(u.file(strings.TrimPrefix(ref, UploadPrefix)), at, at); err != nil {
		t.Fatal(err)
	}
}

// files lists what is in the uploads folder.
func files(t *testing.T, u *Uploads) []string {
	t.Helper()
	entries, err := os.ReadDir(u.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// Security finding 1: nothing ever deleted uploads.
func TestFinding1SweepRemovesOrphanUploadsAndKeepsCasesFiles(t *testing.T) {
	u := &Uploads{Dir: t.TempDir()}
	r := evidenceForm()
	ttl := 7 * 24 * time.Hour
	now := time.Now()
	longAgo := now.Add(-ttl - time.Hour)

	submitted := saved(t, u, r.ID, field(r, "evidence"), tinyPNG)
	if errs := u.CheckAnswers(r, map[string]any{"evidence": submitted}); errs != nil {
		t.Fatal(errs)
	}
	if err := u.Keep(r, map[string]any{"evidence": submitted}); err != nil {
		t.Fatal(err)
	}
	orphan := saved(t, u, r.ID, field(r, "evidence"), tinyPNG)
	inUse := saved(t, u, r.ID, field(r, "notes"), tinyPNG)
	for _, ref := range []string{submitted, orphan, inUse} {
		age(t, u, ref, longAgo)
	}
	// A draft that refers to it was loaded just now.
	if !u.Touch(inUse) {
		t.Fatal("touching an upload that is there reported it missing")
	}
	// What an interrupted save left, long ago.
	leftover := filepath.Join(u.Dir, ".upload-123")
	if err := os.WriteFile(leftover, []byte("half a file"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(leftover, longAgo, longAgo); err != nil {
		t.Fatal(err)
	}

	n, err := u.Sweep(now.Add(-ttl))
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("swept %d files, want 3: the orphan, its description and the leftover", n)
	}
	if _, found := u.Describe(orphan); found || u.Touch(orphan) {
		t.Error("the orphan upload is still there after its TTL")
	}
	if msg := u.Check(r.ID, field(r, "evidence"), submitted); msg != "" {
		t.Errorf("the submitted case's file: %q, want it kept", msg)
	}
	if msg := u.Check(r.ID, field(r, "notes"), inUse); msg != "" {
		t.Errorf("the file a live draft refers to: %q, want it kept", msg)
	}
	want := []string{strings.TrimPrefix(submitted, UploadPrefix), strings.TrimPrefix(inUse, UploadPrefix)}
	for _, name := range files(t, u) {
		if !slices.Contains(want, strings.TrimSuffix(name, ".json")) {
			t.Errorf("%s is still in the uploads folder", name)
		}
	}
	if got := len(files(t, u)); got != 4 {
		t.Errorf("%d files left, want 4 (two files and their descriptions): %v", got, files(t, u))
	}
}

func TestSweepPutsBackAFileUsedWhileItLooked(t *testing.T) {
	u := &Uploads{Dir: t.TempDir()}
	r := evidenceForm()
	ref := saved(t, u, r.ID, field(r, "evidence"), tinyPNG)
	id := strings.TrimPrefix(ref, UploadPrefix)
	cutoff := time.Now().Add(-time.Hour)
	removed := 0
	// Used after the sweep listed it as old: its time is read again once
	// set aside, and it goes back.
	if err := u.sweepOne(id, cutoff, func(string) { removed++ }); err != nil {
		t.Fatal(err)
	}
	if removed != 0 || !u.Touch(ref) {
		t.Errorf("a file used since the cutoff was removed (%d)", removed)
	}
	// A sweep stopped halfway is finished by the next: a kept file goes back.
	if err := u.Keep(r, map[string]any{"evidence": ref}); err != nil {
		t.Fatal(err)
	}
	aside := filepath.Join(u.Dir, ".sweep-"+id)
	if err := os.Rename(u.file(id), aside); err != nil {
		t.Fatal(err)
	}
	old := cutoff.Add(-time.Hour)
	_ = os.Chtimes(aside, old, old)
	if _, err := u.Sweep(cutoff); err != nil {
		t.Fatal(err)
	}
	if msg := u.Check(r.ID, field(r, "evidence"), ref); msg != "" {
		t.Errorf("a kept file set aside by a stopped sweep: %q, want it back", msg)
	}
}

func TestSweepOfAFolderNotYetMade(t *testing.T) {
	u := &Uploads{Dir: filepath.Join(t.TempDir(), "uploads")}
	if n, err := u.Sweep(time.Now()); n != 0 || err != nil {
		t.Errorf("sweeping a folder that is not there: %d, %v", n, err)
	}
}
