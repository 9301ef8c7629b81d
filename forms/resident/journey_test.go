package resident

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows"
)

// TestMissedBinJourneyWithoutJavaScript reports a missed bin with plain
// links and form posts, against a real case worker: the case starts once
// however often "Accept and send" is pressed, the confirmation shows its
// reference, and the track page shows it closed.
func TestMissedBinJourneyWithoutJavaScript(t *testing.T) {
	env := casetest.Shipped(t, wastesim.Options{})
	l := serve(t, &Handler{Recipes: env.Recipes, Connectors: env.Connectors, Cases: env.Cases}, 0, nil)
	r := newResident(t, l.URL)

	mustSay(t, "home", r.get("/"), `href="/services/missed-bin"`, "Report a missed bin collection")
	mustSay(t, "start", r.get("/services/missed-bin"), "Start now", `href="/services/missed-bin/pages/postcode"`)

	bad := r.post("/services/missed-bin/pages/postcode", url.Values{"postcode": {"nonsense"}})
	if bad.Status != http.StatusUnprocessableEntity {
		t.Errorf("a bad postcode: %d, want 422", bad.Status)
	}
	mustSay(t, "a bad postcode", bad, "<title>Error: ",
		`<a href="#postcode">Enter a full UK postcode, like LR1 1AA</a>`, `value="nonsense"`)

	if got := r.post("/services/missed-bin/pages/postcode", url.Values{"postcode": {"lr1 1aa"}}); got.Path != "/services/missed-bin/pages/address" {
		t.Fatalf("after the postcode, landed on %s", got.Path)
	}
	mustSay(t, "the address page", r.get("/services/missed-bin/pages/address"), "3 Orchard Way, Larchester, LR1 1AA")
	r.post("/services/missed-bin/pages/address", url.Values{"uprn": {"100001000003"}})
	r.post("/services/missed-bin/pages/bin", url.Values{"bin_type": {"recycling"}})
	check := r.post("/services/missed-bin/pages/contact", url.Values{"name": {"Jo <b>Bloggs</b>"}, "email": {"jo@example.com"}})
	if check.Path != "/services/missed-bin/check" {
		t.Fatalf("after the last page, landed on %s", check.Path)
	}
	mustSay(t, "check answers", check, "3 Orchard Way, Larchester, LR1 1AA", "Recycling (blue bin)", "Jo &lt;b&gt;Bloggs&lt;/b&gt;")
	mustNotSay(t, "check answers", check, "<b>Bloggs")

	// Change the bin from Check your answers and come back to it.
	if got := r.post("/services/missed-bin/pages/bin?return=check", url.Values{"bin_type": {"general"}}); got.Path != "/services/missed-bin/check" {
		t.Fatalf("a change should return to check answers, landed on %s", got.Path)
	}
	mustSay(t, "check answers after a change", r.get("/services/missed-bin/check"), "General waste (black bin)")

	// A double click: two sends of the same form at once.
	r.readToken("/services/missed-bin/check")
	var wg sync.WaitGroup
	sends := make([]reply, 2)
	for i := range sends {
		wg.Go(func() { sends[i] = r.send("/services/missed-bin/check", url.Values{"csrf_token": {r.token}}) })
	}
	wg.Wait()
	ref := regexp.MustCompile(`MB-[A-Z0-9]{4}-[A-Z0-9]{4}`).FindString(sends[0].Body)
	if ref == "" || sends[0].Path != "/services/missed-bin/done/"+ref {
		t.Fatalf("no confirmation with a reference: %d %s\n%s", sends[0].Status, sends[0].Path, sends[0].Body)
	}
	if sends[1].Path != sends[0].Path {
		t.Errorf("the second click landed on %s, want the same case at %s", sends[1].Path, sends[0].Path)
	}
	mustSay(t, "confirmation", sends[0], "Report a missed bin collection: sent", "<strong>"+ref+"</strong>", `href="/track/`+ref+`"`)
	// Sending again later, from the back button, lands on the same case.
	if again := r.post("/services/missed-bin/check", url.Values{}); again.Path != sends[0].Path {
		t.Errorf("sending again went to %s, want %s", again.Path, sends[0].Path)
	}

	view := waitForCase(t, env, ref)
	if view.Outcome != "Missed collection reported" {
		t.Fatalf("outcome %q, want the missed collection reported", view.Outcome)
	}
	if got := env.Waste.MissedCollections(); len(got) != 1 || got[0].UPRN != "100001000003" || got[0].BinType != "general" {
		t.Errorf("the waste system got %+v, want one general bin report for 100001000003", got)
	}
	if n := len(emailsFor(t, env.Outbox, ref)); n != 1 {
		t.Errorf("%d confirmation emails for %s, want 1", n, ref)
	}
	track := r.get("/track/" + ref)
	mustSay(t, "track", track, "Progress of "+ref, "Missed collection reported", "Closed")
}

// TestFlyTippingJourneyWithEveryQuestionType walks the fly-tipping form
// with plain form posts: a date, checkboxes, a select, yes/no with a page
// that shows only on yes, a photo upload, and check answers.
func TestFlyTippingJourneyWithEveryQuestionType(t *testing.T) {
	cases := &fakeCases{}
	l := serve(t, &Handler{Cases: cases}, 0, nil)
	r := newResident(t, l.URL)
	page := func(p string) string { return "/services/fly-tipping/pages/" + p }

	r.post(page("location"), url.Values{"location": {"Outside 12 Mill Lane"}})
	bad := r.post(page("seen"), url.Values{"seen_on-day": {"31"}, "seen_on-month": {"2"}, "seen_on-year": {"2026"}})
	if bad.Status != http.StatusUnprocessableEntity {
		t.Errorf("31 February: %d, want 422", bad.Status)
	}
	mustSay(t, "31 February", bad, "Date you saw it must be a real date", `value="31"`, `<a href="#seen_on-day">`)
	r.post(page("seen"), url.Values{"seen_on-day": {"7"}, "seen_on-month": {"3"}, "seen_on-year": {"2026"}})
	r.post(page("what"), url.Values{"items": {"bags", "hazardous"}})
	r.post(page("amount"), url.Values{"amount": {"car"}})
	if got := r.post(page("witness"), url.Values{"witnessed": {"no"}}); got.Path != page("photo") {
		t.Fatalf("after answering no, landed on %s; the description page should be skipped", got.Path)
	}
	refused := r.postFile(page("photo"), "photo", "notes.txt", []byte("not a picture at all"))
	if refused.Status != http.StatusUnprocessableEntity {
		t.Errorf("a text file posing as a photo: %d, want 422", refused.Status)
	}
	mustSay(t, "a text file posing as a photo", refused, "The selected file must be a JPG or PNG")
	if got := r.postFile(page("photo"), "photo", "tip.png", tinyPNG); got.Path != page("contact") {
		t.Fatalf("after the photo, landed on %s", got.Path)
	}
	// Back on the photo page, the photo is still there and need not be sent again.
	mustSay(t, "the photo page again", r.get(page("photo")), "You have attached <strong>tip.png</strong>")
	if got := r.post(page("photo"), url.Values{}); got.Path != page("contact") {
		t.Fatalf("continuing without a new photo landed on %s", got.Path)
	}
	check := r.post(page("contact"), url.Values{"name": {"Sam"}, "email": {"sam@example.com"}, "phone": {""}})
	if check.Path != "/services/fly-tipping/check" {
		t.Fatalf("after the last page, landed on %s", check.Path)
	}
	mustSay(t, "check answers", check, "7 March 2026", "Black bags, Chemicals, oil or asbestos", "A car boot load", "No", "tip.png")
	mustNotSay(t, "check answers", check, "What you saw")

	// Changing to yes brings the skipped page back before check answers.
	r.post(page("witness")+"?return=check", url.Values{"witnessed": {"yes"}})
	if got := r.post("/services/fly-tipping/check", url.Values{}); got.Path != page("who") {
		t.Fatalf("sending with a newly needed answer missing landed on %s, want the description page", got.Path)
	}
	if n := len(cases.Started()); n != 0 {
		t.Fatalf("%d cases started with an answer missing", n)
	}
	r.post(page("who"), url.Values{"description": {"A white van"}})
	done := r.post("/services/fly-tipping/check", url.Values{})
	ref := regexp.MustCompile(`FT-[A-Z0-9]{4}-[A-Z0-9]{4}`).FindString(done.Body)
	if ref == "" || done.Path != "/services/fly-tipping/done/"+ref {
		t.Fatalf("no reference on %s:\n%s", done.Path, done.Body)
	}

	started := cases.Started()
	if len(started) != 1 {
		t.Fatalf("%d cases started, want 1", len(started))
	}
	a := started[0].Answers
	photo, _ := a["photo"].(string)
	if a["seen_on"] != "2026-03-07" || a["amount"] != "car" || a["witnessed"] != "yes" || a["description"] != "A white van" ||
		!strings.HasPrefix(photo, "upload:") || strings.Join(toStrings(a["items"]), ",") != "bags,hazardous" {
		t.Errorf("the case got answers %v", a)
	}
	ups, _ := filepath.Glob(filepath.Join(l.Uploads, "*.json"))
	if len(ups) != 1 {
		t.Errorf("%d uploads stored, want the one photo", len(ups))
	}
}

// toStrings is a list answer as strings.
func toStrings(v any) []string {
	var out []string
	switch v := v.(type) {
	case []string:
		out = v
	case []any:
		for _, s := range v {
			out = append(out, s.(string))
		}
	}
	return out
}

// waitForCase asks for the case's progress until it leaves running.
func waitForCase(t *testing.T, env *casetest.Env, ref string) workflows.CaseView {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var view workflows.CaseView
	for time.Now().Before(deadline) {
		v, err := env.Cases.View(context.Background(), ref)
		if err == nil {
			view = v
			if v.Status != workflows.StatusRunning {
				return v
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("case %s still %q after 20s", ref, view.Status)
	return view
}

// emailsFor returns the emails in the outbox whose file name starts with
// the reference.
func emailsFor(t *testing.T, outbox, ref string) []string {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(outbox, ref+"*.eml"))
	var out []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}
