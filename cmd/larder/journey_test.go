package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/wastesim"
)

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// resident is a browser without JavaScript: cookies, GETs and form posts.
type resident struct {
	t     *testing.T
	base  string
	http  *http.Client
	token string // the CSRF token of the last form seen, as a double click resends it
}

func newResident(t *testing.T, base string) *resident {
	jar, _ := cookiejar.New(nil)
	return &resident{t: t, base: base, http: &http.Client{Jar: jar}}
}

func (r *resident) get(path string) (int, string) {
	r.t.Helper()
	resp, err := r.http.Get(r.base + path)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post submits the form on the page at path, as a browser would after GETting it.
func (r *resident) post(path string, values url.Values) (int, string, string) {
	r.t.Helper()
	_, page := r.get(path)
	if m := csrfField.FindStringSubmatch(page); m != nil {
		r.token = m[1]
	}
	if r.token == "" {
		r.t.Fatalf("no CSRF token on %s", path)
	}
	values.Set("csrf_token", r.token)
	resp, err := r.http.PostForm(r.base+path, values)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Request.URL.Path, string(b)
}

func TestResidentJourneyWithoutJavaScript(t *testing.T) {
	waste := wastesim.New(wastesim.Options{})
	base, dataDir := startLarder(t, waste)
	r := newResident(t, base)

	_, home := r.get("/")
	if !strings.Contains(home, `href="/services/missed-bin"`) {
		t.Fatal("home page does not list the missed bin service")
	}
	_, start := r.get("/services/missed-bin")
	if !strings.Contains(start, "Start now") {
		t.Fatal("no start button")
	}

	status, _, body := r.post("/services/missed-bin/pages/postcode", url.Values{"postcode": {"nonsense"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "<title>Error: ") ||
		!strings.Contains(body, `<a href="#postcode">Enter a full UK postcode, like LR1 1AA</a>`) ||
		!strings.Contains(body, `value="nonsense"`) {
		t.Fatalf("a bad postcode should come back with a GOV.UK error and the answer kept:\n%s", body)
	}
	_, landed, _ := r.post("/services/missed-bin/pages/postcode", url.Values{"postcode": {"lr1 1aa"}})
	if landed != "/services/missed-bin/pages/address" {
		t.Fatalf("after the postcode, landed on %s", landed)
	}
	_, page := r.get("/services/missed-bin/pages/address")
	if !strings.Contains(page, "3 Orchard Way, Larchester, LR1 1AA") {
		t.Fatal("address lookup did not list the street")
	}
	r.post("/services/missed-bin/pages/address", url.Values{"uprn": {"100001000003"}})
	r.post("/services/missed-bin/pages/bin", url.Values{"bin_type": {"recycling"}})
	_, landed, check := r.post("/services/missed-bin/pages/contact", url.Values{"name": {"Jo <b>Bloggs</b>"}, "email": {"jo@example.com"}})
	if landed != "/services/missed-bin/check" {
		t.Fatalf("after the last page, landed on %s", landed)
	}
	if !strings.Contains(check, "3 Orchard Way") || !strings.Contains(check, "Recycling (blue bin)") || !strings.Contains(check, "Jo &lt;b&gt;Bloggs&lt;/b&gt;") {
		t.Fatalf("check answers page is missing answers or does not escape them:\n%s", check)
	}

	// Change the bin from Check your answers and come back to it.
	_, landed, _ = r.post("/services/missed-bin/pages/bin?return=check", url.Values{"bin_type": {"general"}})
	if landed != "/services/missed-bin/check" {
		t.Fatalf("a change should return to check answers, landed on %s", landed)
	}

	_, landed, done := r.post("/services/missed-bin/check", url.Values{})
	ref := regexp.MustCompile(`MB-[A-Z0-9]{4}-[A-Z0-9]{4}`).FindString(done)
	if !strings.HasPrefix(landed, "/services/missed-bin/done/") || ref == "" {
		t.Fatalf("no confirmation with a reference: %s\n%s", landed, done)
	}
	// A second click on the same form lands on the same case.
	_, again, _ := r.post("/services/missed-bin/check", url.Values{})
	if !strings.HasSuffix(again, ref) {
		t.Fatalf("second submit went to %s, want the case %s", again, ref)
	}
	view := waitForCase(t, base, ref, 20*time.Second)
	if view.Outcome != "Missed collection reported" {
		t.Fatalf("outcome %q", view.Outcome)
	}
	if n := len(emailsFor(outbox(t, dataDir), ref)); n != 1 {
		t.Fatalf("%d emails for %s", n, ref)
	}
	_, track := r.get("/track/" + ref)
	if !strings.Contains(track, "Missed collection reported") || !strings.Contains(track, "Closed") {
		t.Fatalf("track page does not show the outcome:\n%s", track)
	}
}

func TestFormPostWithoutCSRFTokenIsRefused(t *testing.T) {
	base, _ := startLarder(t, wastesim.New(wastesim.Options{}))
	r := newResident(t, base)
	r.get("/services/missed-bin/pages/postcode")
	resp, err := r.http.PostForm(base+"/services/missed-bin/pages/postcode", url.Values{"postcode": {"LR1 1AA"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403", resp.StatusCode)
	}
	big := strings.Repeat("x", 70<<10)
	resp, err = http.Post(base+"/api/v1/services/missed-bin/submissions", "application/json", strings.NewReader(`{"name":"`+big+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: status %d, want 413", resp.StatusCode)
	}
}
