package resident

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/larder-council/larder/internal/wastesim"
)

// unavailable checks the page says, in GOV.UK words, to try again later,
// with none of the error behind it.
func unavailable(t *testing.T, what string, got reply, errorText ...string) {
	t.Helper()
	if got.Status != http.StatusServiceUnavailable {
		t.Errorf("%s: %d, want 503", what, got.Status)
	}
	if got.Header.Get("Retry-After") == "" {
		t.Errorf("%s: no Retry-After", what)
	}
	mustSay(t, what, got, "Sorry, there is a problem with the service")
	mustNotSay(t, what, got, errorText...)
}

func TestCannotStartNowKeepsTheAnswers(t *testing.T) {
	cases := &fakeCases{}
	log, logged := recorded()
	l := serve(t, &Handler{Cases: cases, Log: log}, 0, nil)
	r := newResident(t, l.URL)
	fillMissedBin(t, r)

	const internal = "start case: dial tcp 10.9.8.7:7233: connect: connection refused"
	cases.FailWith(errors.New(internal))
	got := r.post("/services/missed-bin/check", url.Values{})
	unavailable(t, "sending while Temporal is down", got, "10.9.8.7", "7233", "connection refused", "start case")
	mustSay(t, "sending while Temporal is down", got, "Your answers have been saved. Try sending them again later.")
	if !strings.Contains(logged.String(), internal) {
		t.Errorf("the error was not logged for staff:\n%s", logged)
	}

	// They were: check answers still has them, and sending works once
	// Temporal is back.
	mustSay(t, "check answers after the failure", r.get("/services/missed-bin/check"), "Sam Resident", "3 Orchard Way")
	cases.FailWith(nil)
	if got := r.post("/services/missed-bin/check", url.Values{}); !strings.HasPrefix(got.Path, "/services/missed-bin/done/") {
		t.Fatalf("sending again landed on %s", got.Path)
	}
	if n := len(cases.Started()); n != 1 {
		t.Errorf("%d cases started, want 1", n)
	}
}

func TestFailingAddressLookupShowsTheGOVUKMessage(t *testing.T) {
	for name, wasteURL := range map[string]func(t *testing.T) string{
		"waste system failing": func(t *testing.T) string {
			ws := httptest.NewServer(wastesim.New(wastesim.Options{Faults: wastesim.Faults{FailRate: 1}}))
			t.Cleanup(ws.Close)
			return ws.URL
		},
		"waste system not there": func(t *testing.T) string { return "http://" + closedAddress(t) },
	} {
		t.Run(name, func(t *testing.T) {
			recipes, conns := shippedAt(t, wasteURL(t))
			l := serve(t, &Handler{Recipes: recipes, Connectors: conns}, 0, nil)
			r := newResident(t, l.URL)
			errorText := []string{"connector waste", "/api/properties", "503", "temporarily unavailable", "connection refused", "127.0.0.1"}

			page := r.post("/services/missed-bin/pages/postcode", url.Values{"postcode": {"LR1 1AA"}})
			if page.Status != http.StatusOK || page.Path != "/services/missed-bin/pages/address" {
				t.Fatalf("the postcode landed on %s (%d)", page.Path, page.Status)
			}
			mustSay(t, "the address page", page, "We could not look up addresses just now. Try again in a few minutes.")
			mustNotSay(t, "the address page", page, errorText...)

			got := r.post("/services/missed-bin/pages/address", url.Values{"uprn": {"100001000003"}})
			unavailable(t, "choosing an address anyway", got, errorText...)
			mustNotSay(t, "choosing an address anyway", got, "Your answers have been saved")
		})
	}
}

func TestAddressLookupFindingNothing(t *testing.T) {
	l := serve(t, &Handler{}, 0, nil)
	r := newResident(t, l.URL)
	r.post("/services/missed-bin/pages/postcode", url.Values{"postcode": {"LR9 9ZZ"}})
	mustSay(t, "a postcode with no addresses", r.get("/services/missed-bin/pages/address"),
		"We could not find any addresses for that postcode. Go back and check the postcode.")

	r.post("/services/missed-bin/pages/postcode", url.Values{"postcode": {"LR1 1AA"}})
	got := r.post("/services/missed-bin/pages/address", url.Values{"uprn": {"100002000001"}}) // on Mill Lane
	if got.Status != http.StatusUnprocessableEntity {
		t.Errorf("an address not in the list: %d, want 422", got.Status)
	}
	mustSay(t, "an address not in the list", got, `<a href="#uprn">Select an address from the list</a>`, "3 Orchard Way")
}

func TestPagePostedWhileRedisIsDown(t *testing.T) {
	down := redis.NewClient(&redis.Options{Addr: closedAddress(t), MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = down.Close() })
	log, logged := recorded()
	l := serve(t, &Handler{Redis: down, KeyPrefix: "larder-test-down:", Log: log}, 0, nil)
	r := newResident(t, l.URL)
	errorText := []string{"connection refused", "dial tcp", "save draft", "load draft"}

	for name, values := range map[string]url.Values{
		"Continue":                 {"postcode": {"LR1 1AA"}},
		"Save and come back later": {"postcode": {"LR1 1AA"}, "save": {"1"}},
	} {
		got := r.post("/services/missed-bin/pages/postcode", values)
		unavailable(t, name, got, errorText...)
		mustNotSay(t, name, got, "Your answers have been saved", "have been saved")
	}
	got := r.post("/services/missed-bin/save", url.Values{"email": {"sam@example.com"}})
	unavailable(t, "asking for a resume link", got, errorText...)
	mustNotSay(t, "asking for a resume link", got, "Your answers have been saved")

	got = r.get("/services/missed-bin/resume/c29tZS1yZXN1bWUtdG9rZW4tdGhhdC1pcy1sb25n")
	unavailable(t, "opening a resume link", got, errorText...)
	mustNotSay(t, "opening a resume link", got, "This link has expired")

	if !strings.Contains(logged.String(), "connection refused") {
		t.Errorf("the Redis error was not logged for staff:\n%s", logged)
	}
}

// A send that seemed to fail had started the case; the resident then
// changes an answer and sends again. The draft's key has started a case
// with other answers, so the new answers go under a new key: a second
// case with them, not a lasting "try again later".
func TestChangedAnswersAfterASendThatSeemedToFailStartANewCase(t *testing.T) {
	cases := &fakeCases{}
	l := serve(t, &Handler{Cases: cases}, 0, nil)
	r := newResident(t, l.URL)
	fillMissedBin(t, r)

	cases.LoseNextReply()
	unavailable(t, "a send whose reply was lost", r.post("/services/missed-bin/check", url.Values{}))
	r.post("/services/missed-bin/pages/contact?return=check", url.Values{"name": {"Sam Jones"}, "email": {"sam@example.com"}})
	got := r.post("/services/missed-bin/check", url.Values{})
	if !strings.HasPrefix(got.Path, "/services/missed-bin/done/") {
		t.Fatalf("sending the changed answers landed on %s (%d)", got.Path, got.Status)
	}
	started := cases.Started()
	if len(started) != 2 || started[1].Answers["name"] != "Sam Jones" || started[0].Key == started[1].Key {
		t.Fatalf("cases started %+v; want the first and a second, under a new key, with the changed name", started)
	}
	if ref := strings.TrimPrefix(got.Path, "/services/missed-bin/done/"); ref != started[1].Reference {
		t.Errorf("the resident was given %s, want the new case's %s", ref, started[1].Reference)
	}
}
