package resident

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var resumeLink = regexp.MustCompile(`http://\S+/resume/[A-Za-z0-9_-]+`)

// resumeLinks are the links in the "come back later" emails sent so far.
func resumeLinks(t *testing.T, l *larder) []string {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(l.Outbox, "resume_*.eml"))
	var links []string
	for _, p := range paths {
		eml, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if link := resumeLink.FindString(strings.ReplaceAll(string(eml), "=\r\n", "")); link != "" {
			links = append(links, strings.TrimPrefix(link, l.URL))
		}
	}
	return links
}

// saveForLater answers the postcode, presses "Save and come back later"
// and asks for the link by email.
func saveForLater(t *testing.T, r *resident) reply {
	t.Helper()
	if got := r.post("/services/missed-bin/pages/postcode", url.Values{"postcode": {"LR1 1AA"}, "save": {"1"}}); got.Path != "/services/missed-bin/save" {
		t.Fatalf("save landed on %s", got.Path)
	}
	return r.post("/services/missed-bin/save", url.Values{"email": {"sam@example.com"}})
}

func TestSaveAndComeBackLater(t *testing.T) {
	// 12:05 UTC on 1 July is 1:05pm in Larchester.
	now := time.Date(2026, 7, 1, 12, 5, 0, 0, time.UTC)
	l := serve(t, &Handler{Now: func() time.Time { return now }}, 0, nil)
	r := newResident(t, l.URL)
	r.post("/services/missed-bin/pages/postcode", url.Values{"postcode": {"LR1 1AA"}, "save": {"1"}})
	bad := r.post("/services/missed-bin/save", url.Values{"email": {"nope"}})
	if bad.Status != http.StatusUnprocessableEntity {
		t.Errorf("a bad email address: %d, want 422", bad.Status)
	}
	mustSay(t, "a bad email address", bad, "<title>Error: ", "Enter an email address in the correct format", `value="nope"`)

	expires := "1:05pm on 8 July 2026"
	if _, err := time.LoadLocation("Europe/London"); err != nil {
		expires = "12:05pm on 8 July 2026" // no zone data: times are told in UTC
	}
	saved := saveForLater(t, r)
	mustSay(t, "saved", saved, "Your answers have been saved", "<strong>sam@example.com</strong>", "before "+expires)
	links := resumeLinks(t, l)
	if len(links) != 1 {
		t.Fatalf("%d emails with a link, want 1", len(links))
	}
	eml, _ := os.ReadFile(filepath.Join(l.Outbox, "resume_"+links[0][strings.LastIndex(links[0], "/")+1:]+".eml"))
	if body := strings.ReplaceAll(string(eml), "=\r\n", ""); !strings.Contains(body, "before "+expires) || !strings.Contains(body, "Report a missed bin collection") {
		t.Errorf("the email does not say which form or until when:\n%s", body)
	}

	// Another browser opens the link and carries on from the address page,
	// with the postcode it was given.
	other := newResident(t, l.URL)
	resumed := other.post(links[0], url.Values{})
	if resumed.Path != "/services/missed-bin/pages/address" {
		t.Fatalf("resumed on %s, want the first unanswered page", resumed.Path)
	}
	mustSay(t, "resumed", resumed, "3 Orchard Way, Larchester, LR1 1AA")

	used := newResident(t, l.URL).get(links[0])
	if used.Status != http.StatusNotFound {
		t.Errorf("the link opened a second time: %d, want 404", used.Status)
	}
	mustSay(t, "the link opened a second time", used, "This link has expired or has been used", "Start the form again")
}

func TestResumeLinkExpiresAfterDraftTTL(t *testing.T) {
	l := serve(t, &Handler{DraftTTL: time.Second}, 0, nil)
	r := newResident(t, l.URL)
	saveForLater(t, r)
	r.post("/services/missed-bin/save", url.Values{"email": {"sam@example.com"}})
	links := resumeLinks(t, l)
	if len(links) != 2 {
		t.Fatalf("%d emails with a link, want 2", len(links))
	}
	if got := newResident(t, l.URL).post(links[0], url.Values{}); got.Path != "/services/missed-bin/pages/address" {
		t.Fatalf("a fresh link resumed on %s (%d), want the address page", got.Path, got.Status)
	}
	l.Redis.FastForward(1500 * time.Millisecond) // the TTL runs out, on a real Redis or miniredis
	late := newResident(t, l.URL).get(links[1])
	if late.Status != http.StatusNotFound {
		t.Errorf("a link opened after the draft TTL: %d, want 404", late.Status)
	}
	mustSay(t, "a link opened after the draft TTL", late, "<title>This link has expired", "This link has expired or has been used")
}

func TestResumeLinkForAnUnknownServiceIsNotFound(t *testing.T) {
	l := serve(t, &Handler{}, 0, nil)
	r := newResident(t, l.URL)
	saveForLater(t, r)
	link := resumeLinks(t, l)[0]
	got := r.get(strings.Replace(link, "/missed-bin/", "/no-such-service/", 1))
	if got.Status != http.StatusNotFound {
		t.Fatalf("a link to no service: %d, want 404", got.Status)
	}
	mustSay(t, "a link to no service", got, "Page not found")
	// The link itself is still good.
	if got := r.post(link, url.Values{}); got.Path != "/services/missed-bin/pages/address" {
		t.Errorf("the link, after a mistyped one, resumed on %s", got.Path)
	}
}

// Security finding 14: opening the emailed link restored the draft and
// used the link up, so a mail system's link scanner that opened it first
// left the resident with a dead link.
func TestFinding14OpeningResumeLinkChangesNothingUntilContinue(t *testing.T) {
	l := serve(t, &Handler{}, 0, nil)
	saveForLater(t, newResident(t, l.URL))
	link := resumeLinks(t, l)[0]

	// A link scanner opens the link, twice, with no cookies kept.
	for i := range 2 {
		scanned := newResident(t, l.URL).get(link)
		if scanned.Status != http.StatusOK || scanned.Path != link {
			t.Fatalf("scan %d: %d on %s, want the page that asks to continue", i+1, scanned.Status, scanned.Path)
		}
		mustSay(t, "the link's page", scanned, "Continue with your saved answers", "Report a missed bin collection",
			`<form method="post"`, `name="csrf_token"`, ">Continue</button>")
	}

	// The resident opens it and presses Continue: the draft is restored.
	resident := newResident(t, l.URL)
	resumed := resident.post(link, url.Values{})
	if resumed.Path != "/services/missed-bin/pages/address" {
		t.Fatalf("Continue landed on %s (%d), want the first unanswered page", resumed.Path, resumed.Status)
	}
	mustSay(t, "resumed", resumed, "3 Orchard Way, Larchester, LR1 1AA")

	// Once: the link's page and its button now say it has been used.
	if again := newResident(t, l.URL).get(link); again.Status != http.StatusNotFound {
		t.Errorf("the used link opened with %d, want 404", again.Status)
	}
	replay := resident.send(link, url.Values{"csrf_token": {resident.token}})
	if replay.Status != http.StatusNotFound {
		t.Errorf("pressing Continue again: %d, want 404", replay.Status)
	}
	mustSay(t, "pressing Continue again", replay, "This link has expired or has been used")

	// A post without the page's token restores nothing.
	saveForLater(t, newResident(t, l.URL))
	fresh := resumeLinks(t, l)
	for _, other := range fresh {
		if other == link {
			continue
		}
		refused(t, "Continue without the page's token", newResident(t, l.URL).send(other, url.Values{}))
		if got := newResident(t, l.URL).post(other, url.Values{}); got.Path != "/services/missed-bin/pages/address" {
			t.Errorf("after a forged post, the link landed on %s, want the saved answers", got.Path)
		}
	}
}

// Security finding 6: a restored draft kept the idempotency key it was
// saved with, so answers saved, sent, restored, changed and sent again
// found the first case: the resident got the old reference and the
// changed answers were lost.
func TestFinding6RestoredDraftSentAgainStartsANewCase(t *testing.T) {
	cases := &fakeCases{}
	l := serve(t, &Handler{Cases: cases}, 0, nil)
	r := newResident(t, l.URL)
	fillMissedBin(t, r)
	if got := r.post("/services/missed-bin/save", url.Values{"email": {"sam@example.com"}}); got.Status != http.StatusOK {
		t.Fatalf("saving from check answers: %d on %s", got.Status, got.Path)
	}
	link := resumeLinks(t, l)[0]
	first := r.post("/services/missed-bin/check", url.Values{})
	if !strings.HasPrefix(first.Path, "/services/missed-bin/done/") {
		t.Fatalf("the first send landed on %s", first.Path)
	}

	// Later: the link, a changed answer, and send again.
	if got := r.post(link, url.Values{}); got.Path != "/services/missed-bin/check" {
		t.Fatalf("the link restored to %s, want check answers", got.Path)
	}
	if got := r.post("/services/missed-bin/pages/bin?return=check", url.Values{"bin_type": {"recycling"}}); got.Path != "/services/missed-bin/check" {
		t.Fatalf("changing the bin landed on %s", got.Path)
	}
	second := r.post("/services/missed-bin/check", url.Values{})
	if !strings.HasPrefix(second.Path, "/services/missed-bin/done/") {
		t.Fatalf("the second send landed on %s", second.Path)
	}
	if second.Path == first.Path {
		t.Errorf("the second send showed the first case's reference (%s); want a new case", first.Path)
	}
	started := cases.Started()
	if len(started) != 2 {
		t.Fatalf("%d cases started, want 2", len(started))
	}
	if got := started[1].Answers["bin_type"]; got != "recycling" {
		t.Errorf("the second case has bin_type %v, want the changed answer recycling", got)
	}
	if started[0].Answers["bin_type"] != "general" {
		t.Errorf("the first case has bin_type %v, want general", started[0].Answers["bin_type"])
	}
}
