package main

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/larder-council/larder/internal/wastesim"
)

// tinyPNG is a 1x1 PNG, for file questions.
var tinyPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

// postFile submits a page with a file, as a browser does.
func (r *resident) postFile(path, field, name string, data []byte) (int, string, string) {
	r.t.Helper()
	_, page := r.get(path)
	if m := csrfField.FindStringSubmatch(page); m != nil {
		r.token = m[1]
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("csrf_token", r.token)
	fw, _ := w.CreateFormFile(field, name)
	_, _ = fw.Write(data)
	_ = w.Close()
	resp, err := r.http.Post(r.base+path, w.FormDataContentType(), &body)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Request.URL.Path, string(b)
}

// TestFlyTippingJourneyWithEveryQuestionType walks the fly-tipping form
// with plain form posts: a date, checkboxes, a select, yes/no with a page
// that shows only on yes, a photo upload, and check answers.
func TestFlyTippingJourneyWithEveryQuestionType(t *testing.T) {
	base, dataDir := startLarder(t, wastesim.New(wastesim.Options{}))
	r := newResident(t, base)
	page := func(p string) string { return "/services/fly-tipping/pages/" + p }

	r.post(page("location"), url.Values{"location": {"Outside 12 Mill Lane"}})
	status, _, body := r.post(page("seen"), url.Values{"seen_on-day": {"31"}, "seen_on-month": {"2"}, "seen_on-year": {"2026"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "Date you saw it must be a real date") || !strings.Contains(body, `value="31"`) {
		t.Fatalf("31 February: %d, want the real-date error with the day kept:\n%s", status, body)
	}
	r.post(page("seen"), url.Values{"seen_on-day": {"7"}, "seen_on-month": {"3"}, "seen_on-year": {"2026"}})
	r.post(page("what"), url.Values{"items": {"bags", "hazardous"}})
	r.post(page("amount"), url.Values{"amount": {"car"}})
	_, landed, _ := r.post(page("witness"), url.Values{"witnessed": {"no"}})
	if landed != page("photo") {
		t.Fatalf("after answering no, landed on %s; the description page should be skipped", landed)
	}
	status, _, body = r.postFile(page("photo"), "photo", "notes.txt", []byte("not a picture at all"))
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "The selected file must be a JPG or PNG") {
		t.Fatalf("a text file posing as a photo: %d, want refused by its content", status)
	}
	_, landed, _ = r.postFile(page("photo"), "photo", "tip.png", tinyPNG)
	if landed != page("contact") {
		t.Fatalf("after the photo, landed on %s", landed)
	}
	_, landed, check := r.post(page("contact"), url.Values{"name": {"Sam"}, "email": {"sam@example.com"}, "phone": {""}})
	for _, want := range []string{"7 March 2026", "Black bags, Chemicals, oil or asbestos", "A car boot load", "No", "tip.png"} {
		if !strings.Contains(check, want) {
			t.Errorf("check answers lacks %q", want)
		}
	}
	if landed != "/services/fly-tipping/check" || strings.Contains(check, "What you saw") {
		t.Fatalf("check answers on %s shows a question that was not asked", landed)
	}
	// Changing to yes brings the skipped page back before check answers.
	_, landed, _ = r.post(page("witness")+"?return=check", url.Values{"witnessed": {"yes"}})
	if _, landed, _ = r.post("/services/fly-tipping/check", url.Values{}); landed != page("who") {
		t.Fatalf("sending with a newly needed answer missing landed on %s, want the description page", landed)
	}
	r.post(page("who"), url.Values{"description": {"A white van"}})
	_, landed, done := r.post("/services/fly-tipping/check", url.Values{})
	ref := regexp.MustCompile(`FT-[A-Z0-9]{4}-[A-Z0-9]{4}`).FindString(done)
	if ref == "" {
		t.Fatalf("no reference on %s", landed)
	}
	ups, _ := filepath.Glob(filepath.Join(dataDir, "uploads", "*.json"))
	if len(ups) != 1 {
		t.Errorf("%d uploads stored, want the one photo", len(ups))
	}
}

func TestSaveAndComeBackLater(t *testing.T) {
	base, dataDir := startLarder(t, wastesim.New(wastesim.Options{}))
	r := newResident(t, base)
	_, landed, _ := r.post("/services/missed-bin/pages/postcode", url.Values{"postcode": {"LR1 1AA"}, "save": {"1"}})
	if landed != "/services/missed-bin/save" {
		t.Fatalf("save landed on %s", landed)
	}
	status, _, body := r.post("/services/missed-bin/save", url.Values{"email": {"nope"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter an email address in the correct format") {
		t.Fatalf("bad email: %d", status)
	}
	_, _, body = r.post("/services/missed-bin/save", url.Values{"email": {"sam@example.com"}})
	if !strings.Contains(body, "sam@example.com") {
		t.Fatal("confirmation does not say where the link went")
	}
	var link string
	for name, eml := range outbox(t, dataDir) {
		if strings.HasPrefix(name, "resume_") {
			link = regexp.MustCompile(`http://\S+/resume/[A-Za-z0-9_-]+`).FindString(strings.ReplaceAll(eml, "=\r\n", ""))
		}
	}
	if link == "" {
		t.Fatal("no email with a link")
	}
	// Another browser opens the link and carries on from the address page.
	other := newResident(t, base)
	path := link[strings.Index(link, "/services/"):]
	resp, err := other.http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/services/missed-bin/pages/address" {
		t.Fatalf("resumed on %s, want the first unanswered page", resp.Request.URL.Path)
	}
	if resp, _ := other.http.Get(base + path); resp.Request.URL.Path == "/services/missed-bin/pages/address" {
		t.Error("the link worked twice")
	}
}

func TestSubmissionsAreLimitedPerAddress(t *testing.T) {
	ws := httptest.NewServer(wastesim.New(wastesim.Options{}))
	defer ws.Close()
	t.Setenv("WASTE_URL", ws.URL)
	base, _ := startLarderWith(t, larderOptions{recipesDir: recipesDir, dataDir: t.TempDir(), perMinute: "3"})
	var last int
	for range 4 {
		last, _ = submit(t, base, map[string]any{}, "")
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("fourth submission in a minute: %d, want 429", last)
	}
}
