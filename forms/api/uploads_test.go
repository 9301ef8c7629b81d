package api_test

import (
	"bytes"
	"encoding/base64"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/api"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/internal/casetest"
)

// tinyPNG is a 1x1 PNG, for file questions.
var tinyPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

// upload sends a file as multipart form data in a part named part.
func upload(t *testing.T, url, part, name string, data []byte) reply {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, _ := w.CreateFormFile(part, name)
	_, _ = fw.Write(data)
	_ = w.Close()
	return do(t, http.MethodPost, url, &body, "Content-Type", w.FormDataContentType())
}

// flyTipping is a fly-tipping report with photo as the photo's answer.
func flyTipping(photo any) map[string]any {
	return map[string]any{"location": "Mill Lane", "seen_on": "2026-03-07", "items": []any{"bags"}, "amount": "bag",
		"witnessed": "no", "photo": photo, "name": "Sam", "email": "sam@example.com"}
}

func TestAPIUploadThenSubmit(t *testing.T) {
	base, _ := running(t)
	url := base + "/services/fly-tipping/uploads/photo"
	r := upload(t, url, "file", "fake.png", []byte("%PDF-1.4 not a png"))
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("a PDF named .png for a JPG/PNG question: %d %s, want 422", r.status, r.body)
	}
	if p := r.problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "photo" || !strings.Contains(p.Errors[0].Message, "JPG or PNG") {
		t.Errorf("refusal %+v, want the photo question told it must be a JPG or PNG", p)
	}
	r = upload(t, url, "file", "tip.png", tinyPNG)
	var up struct {
		Reference, Name, Type string
		Size                  int
	}
	r.decode(t, &up)
	if r.status != http.StatusCreated || !strings.HasPrefix(up.Reference, forms.UploadPrefix) || up.Name != "tip.png" || up.Type != "image/png" || up.Size != len(tinyPNG) {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var done submitted
	if r := postJSON(t, base+"/services/fly-tipping/submissions", flyTipping(up.Reference)); r.status != http.StatusCreated {
		t.Fatalf("submit with the upload: %d %s", r.status, r.body)
	} else {
		r.decode(t, &done)
	}
	if !strings.HasPrefix(done.Reference, "FT-") {
		t.Errorf("reference %q, want a fly-tipping one", done.Reference)
	}
}

func TestSubmitRefusesAnUploadThatDoesNotExist(t *testing.T) {
	cases := &fakeCases{}
	base := faked(t, cases)
	r := postJSON(t, base+"/services/fly-tipping/submissions", flyTipping(forms.UploadPrefix+"00000000000000000000000000000000"))
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("a made-up upload: %d %s, want 422", r.status, r.body)
	}
	if p := r.problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "photo" || !strings.Contains(p.Errors[0].Message, "upload it again") {
		t.Errorf("refusal %+v, want the photo question asked to upload again", p)
	}
	if cases.starts() != 0 {
		t.Error("a case was started with a file that does not exist")
	}
}

func TestUploadOnlyToAFileQuestion(t *testing.T) {
	base := faked(t, &fakeCases{})
	for _, path := range []string{"/services/fly-tipping/uploads/location", "/services/fly-tipping/uploads/nope", "/services/no-such-thing/uploads/photo"} {
		if r := upload(t, base+path, "file", "tip.png", tinyPNG); r.status != http.StatusNotFound || r.problem(t).Title != "No such file question" {
			t.Errorf("%s: %d %s, want 404", path, r.status, r.body)
		}
	}
	r := upload(t, base+"/services/fly-tipping/uploads/photo", "photo", "tip.png", tinyPNG)
	if r.status != http.StatusBadRequest || !strings.Contains(r.problem(t).Title, "part named file") {
		t.Errorf("a file in the wrong part: %d %s, want 400 naming the part", r.status, r.body)
	}
}

func TestUploadThatCannotBeStoredIs503(t *testing.T) {
	// A folder that cannot be made: a file already has its name.
	blocked := filepath.Join(t.TempDir(), "uploads")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	base := serve(t, &api.Handler{Recipes: shipped(t), Cases: &fakeCases{}, Validator: forms.New(),
		Uploads: &forms.Uploads{Dir: blocked}, Log: casetest.Log()}, pass, pass)
	r := upload(t, base+"/services/fly-tipping/uploads/photo", "file", "tip.png", tinyPNG)
	if r.status != http.StatusServiceUnavailable || strings.Contains(string(r.body), blocked) {
		t.Errorf("upload with nowhere to keep it: %d %s, want 503 without the folder", r.status, r.body)
	}
}

func TestAPIUploadMayBeLargerThanAJSONBody(t *testing.T) {
	base := faked(t, &fakeCases{})
	photo := append(append([]byte{}, tinyPNG...), make([]byte, 2*web.MaxBody)...)
	if r := upload(t, base+"/services/fly-tipping/uploads/photo", "file", "tip.png", photo); r.status != http.StatusCreated {
		t.Errorf("a photo over the JSON limit: %d %s, want 201", r.status, r.body)
	}
}
