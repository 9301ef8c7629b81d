package resident

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows"
)

func TestTrackPage(t *testing.T) {
	at := time.Date(2026, 7, 1, 13, 5, 0, 0, time.UTC)
	cases := &fakeCases{Views: map[string]workflows.CaseView{
		"MB-RNNG-2345": {Reference: "MB-RNNG-2345", Status: workflows.StatusRunning,
			Timeline: []workflows.Event{{At: at, Note: "Report received"}}},
		"MB-CMPT-2345": {Reference: "MB-CMPT-2345", Status: workflows.StatusCompleted, Outcome: "Bin collected",
			Timeline: []workflows.Event{{At: at, Note: "Report received"}, {At: at.Add(time.Hour), Note: "Crew sent"}}},
		"MB-FAXD-2345": {Reference: "MB-FAXD-2345", Status: workflows.StatusFailed, Outcome: "Report not accepted"},
		"MB-CNCD-2345": {Reference: "MB-CNCD-2345", Status: workflows.StatusCancelled},
		"MB-SMRY-2345": {Reference: "MB-SMRY-2345", Status: workflows.StatusCompleted, SummaryOnly: true},
	}}
	l := serve(t, &Handler{Cases: cases}, 0, nil)
	r := newResident(t, l.URL)
	for _, tc := range []struct {
		ref  string
		want []string
		not  []string
	}{
		{"MB-RNNG-2345", []string{"<title>Progress of MB-RNNG-2345", `<strong class="govuk-tag">In progress</strong>`, "Report received"}, []string{"Outcome"}},
		{"MB-CMPT-2345", []string{`<strong class="govuk-tag govuk-tag--grey">Closed</strong>`, "Bin collected", "Report received", "Crew sent"}, nil},
		{"MB-FAXD-2345", []string{">Closed</strong>", "Report not accepted", "Nothing has happened yet."}, nil},
		{"MB-CNCD-2345", []string{">Cancelled</strong>"}, nil},
		{"MB-SMRY-2345", []string{">Closed</strong>", "We cannot show the steps of your case just now."}, nil},
	} {
		got := r.get("/track/" + tc.ref)
		if got.Status != http.StatusOK {
			t.Errorf("%s: %d, want 200", tc.ref, got.Status)
		}
		mustSay(t, tc.ref, got, tc.want...)
		mustNotSay(t, tc.ref, got, tc.not...)
	}
	for _, ref := range []string{"MB-NNNN-2345", "not-a-reference"} {
		got := r.get("/track/" + ref)
		if got.Status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", ref, got.Status)
		}
		mustSay(t, ref, got, "Page not found")
	}
}

func TestTrackPageWhileTemporalIsDown(t *testing.T) {
	l := serve(t, &Handler{Cases: &fakeCases{ViewFail: errors.New("query case: context deadline exceeded")}}, 0, nil)
	got := newResident(t, l.URL).get("/track/MB-RNNG-2345")
	unavailable(t, "tracking while Temporal is down", got, "query case", "deadline")
}

func TestAddressesThatNameNothingAreNotFound(t *testing.T) {
	l := serve(t, &Handler{}, 0, nil)
	r := newResident(t, l.URL)
	for _, path := range []string{
		"/services/no-such-service",
		"/services/no-such-service/pages/postcode",
		"/services/no-such-service/check",
		"/services/no-such-service/save",
		"/services/no-such-service/done/MB-TEST-2223",
		"/services/missed-bin/pages/no-such-page",
		"/services/missed-bin/done/not-a-reference",
		"/no/such/address",
	} {
		got := r.get(path)
		if got.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, got.Status)
		}
		mustSay(t, path, got, "<title>Page not found – Larchester Council</title>", "If you typed the web address, check it is correct.")
	}
	r.readToken("/services/missed-bin/pages/postcode")
	for _, path := range []string{"/services/missed-bin/pages/no-such-page", "/services/no-such-service/pages/postcode", "/services/no-such-service/check"} {
		if got := r.send(path, url.Values{"csrf_token": {r.token}}); got.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", path, got.Status)
		}
	}
}

func TestServicesListAndStartPages(t *testing.T) {
	l := serve(t, &Handler{}, 0, nil)
	r := newResident(t, l.URL)
	mustSay(t, "home", r.get("/"), "<title>Council services – Larchester Council</title>",
		`<a class="govuk-link govuk-!-font-weight-bold" href="/services/missed-bin">Report a missed bin collection</a>`,
		`href="/services/fly-tipping"`, "Tell us if we did not empty your bin on collection day.")
	start := r.get("/services/fly-tipping")
	mustSay(t, "start", start, `<h1 class="govuk-heading-xl">Report fly-tipping</h1>`, `href="/services/fly-tipping/pages/location"`, "Start now")
	mustSay(t, "confirmation", r.get("/services/missed-bin/done/MB-TEST-2223"), "<strong>MB-TEST-2223</strong>", "What happens next")

	// Check answers with nothing answered sends the resident to the first question.
	if got := r.get("/services/missed-bin/check"); got.Path != "/services/missed-bin/pages/postcode" {
		t.Errorf("check answers with nothing answered landed on %s", got.Path)
	}
}

func TestBackLinksFollowTheQuestionsAsked(t *testing.T) {
	l := serve(t, &Handler{}, 0, nil)
	r := newResident(t, l.URL)
	page := func(p string) string { return "/services/fly-tipping/pages/" + p }
	mustSay(t, "the first page", r.get(page("location")), `<a href="/services/fly-tipping" class="govuk-back-link">Back</a>`)
	r.post(page("witness"), url.Values{"witnessed": {"no"}})
	mustSay(t, "the photo page, no witness", r.get(page("photo")), `<a href="`+page("witness")+`" class="govuk-back-link">Back</a>`)
	r.post(page("witness"), url.Values{"witnessed": {"yes"}})
	mustSay(t, "the photo page, a witness", r.get(page("photo")), `<a href="`+page("who")+`" class="govuk-back-link">Back</a>`)
	mustSay(t, "a change from check answers", r.get(page("amount")+"?return=check"), `<a href="/services/fly-tipping/check" class="govuk-back-link">Back</a>`)
}

func TestUploadThatCannotBeKept(t *testing.T) {
	log, logged := recorded()
	l := serve(t, &Handler{Log: log}, 0, nil)
	l.Handler.Uploads.Dir = "/dev/null/uploads" // a folder that cannot be made
	r := newResident(t, l.URL)
	got := r.postFile("/services/fly-tipping/pages/photo", "photo", "tip.png", tinyPNG)
	if got.Status != http.StatusUnprocessableEntity {
		t.Errorf("an upload that cannot be kept: %d, want 422", got.Status)
	}
	mustSay(t, "an upload that cannot be kept", got, "The selected file could not be saved; try again")
	mustNotSay(t, "an upload that cannot be kept", got, "/dev/null")
	if logged.String() == "" {
		t.Error("the upload error was not logged for staff")
	}
}
