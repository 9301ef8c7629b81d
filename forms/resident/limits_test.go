package resident

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a test's time, moved on by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func TestSendsAreLimitedPerAddressAMinute(t *testing.T) {
	const perMinute = 3
	at := &clock{now: time.Date(2026, 7, 1, 9, 30, 20, 0, time.UTC)}
	l := serve(t, &Handler{}, perMinute, at.Now)
	send := func(r *resident) reply {
		t.Helper()
		return r.post("/services/missed-bin/check", url.Values{})
	}
	sent := func(what string, got reply) {
		t.Helper()
		if got.Status != http.StatusOK || !strings.HasPrefix(got.Path, "/services/missed-bin/done/") {
			t.Fatalf("%s: %d on %s, want the confirmation", what, got.Status, got.Path)
		}
	}

	jo := newResidentAt(t, l.URL, "203.0.113.7")
	fillMissedBin(t, jo)
	for i := range perMinute {
		sent(fmt.Sprintf("send %d in the minute", i+1), send(jo))
	}
	over := send(jo)
	if over.Status != http.StatusTooManyRequests {
		t.Fatalf("send %d in the minute: %d, want 429", perMinute+1, over.Status)
	}
	mustSay(t, "one send too many", over, "Sorry, you have sent too many forms", "Wait a minute, then try again. Your answers have been saved.")
	if got := over.Header.Get("Retry-After"); got != "40" {
		t.Errorf("Retry-After %q at 9:30:20, want 40 (seconds to the next minute)", got)
	}

	// Someone else, at another address, is not held up.
	sam := newResidentAt(t, l.URL, "198.51.100.23")
	fillMissedBin(t, sam)
	sent("another address's send", send(sam))

	// Still refused at the end of the minute; let through in the next.
	at.Set(time.Date(2026, 7, 1, 9, 30, 59, 0, time.UTC))
	if got := send(jo); got.Status != http.StatusTooManyRequests {
		t.Fatalf("at 9:30:59: %d, want 429", got.Status)
	}
	at.Set(time.Date(2026, 7, 1, 9, 31, 0, 0, time.UTC))
	for i := range perMinute {
		sent(fmt.Sprintf("send %d in the next minute", i+1), send(jo))
	}
	if got := send(jo); got.Status != http.StatusTooManyRequests {
		t.Fatalf("send %d in the next minute: %d, want 429", perMinute+1, got.Status)
	}
}

func TestResumeLinkRequestsShareTheLimit(t *testing.T) {
	at := &clock{now: time.Date(2026, 7, 1, 9, 30, 0, 0, time.UTC)}
	l := serve(t, &Handler{}, 1, at.Now)
	r := newResidentAt(t, l.URL, "203.0.113.8")
	mustSay(t, "the first link", saveForLater(t, r), "Your answers have been saved")
	got := r.post("/services/missed-bin/save", url.Values{"email": {"sam@example.com"}})
	if got.Status != http.StatusTooManyRequests {
		t.Fatalf("a second link in the minute: %d, want 429", got.Status)
	}
	if n := len(resumeLinks(t, l)); n != 1 {
		t.Errorf("%d links emailed, want 1", n)
	}
}

// answerPostcode answers the missed-bin form's first page.
func answerPostcode(r *resident) reply {
	r.t.Helper()
	return r.post("/services/missed-bin/pages/postcode", url.Values{"postcode": {"LR1 1AA"}})
}

// drafts counts the drafts kept in the test's Redis.
func drafts(t *testing.T, l *larder) int {
	t.Helper()
	keys, err := l.Redis.Client.Keys(t.Context(), l.Redis.Prefix+"draft:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	return len(keys)
}

// Security finding 1: POST /services/:service/pages/:page had no rate
// limit, per session or per address.
func TestFinding1AnswersAreLimitedPerSessionAndPerAddress(t *testing.T) {
	at := &clock{now: time.Date(2026, 7, 1, 9, 30, 15, 0, time.UTC)}
	// Four pages a minute from one address, two from one session.
	l := serve(t, &Handler{AnswersPerMinute: 4, Now: at.Now}, 0, nil)
	answered := func(what string, got reply) {
		t.Helper()
		if got.Status != http.StatusOK || got.Path != "/services/missed-bin/pages/address" {
			t.Fatalf("%s: %d on %s, want the next page", what, got.Status, got.Path)
		}
	}
	refused := func(what string, got reply) {
		t.Helper()
		if got.Status != http.StatusTooManyRequests {
			t.Fatalf("%s: %d on %s, want 429", what, got.Status, got.Path)
		}
		mustSay(t, what, got, "Sorry, you have sent too many answers", "Wait a minute, then try again.")
		if ra := got.Header.Get("Retry-After"); ra != "45" {
			t.Errorf("%s: Retry-After %q at 9:30:15, want 45", what, ra)
		}
	}

	jo := newResidentAt(t, l.URL, "203.0.113.7")
	answered("jo's first answer", answerPostcode(jo))
	answered("jo's second answer", answerPostcode(jo))
	refused("jo's third answer in the minute (her session's limit)", answerPostcode(jo))

	// Another session from the same address has its own two, until the
	// address has sent four.
	sam := newResidentAt(t, l.URL, "203.0.113.7")
	answered("sam's first answer", answerPostcode(sam))
	refused("sam's second answer, the address's fifth", answerPostcode(sam))

	// Another address is not held up, and the next minute starts afresh.
	answered("an answer from another address", answerPostcode(newResidentAt(t, l.URL, "198.51.100.23")))
	at.Set(time.Date(2026, 7, 1, 9, 31, 0, 0, time.UTC))
	answered("jo's answer in the next minute", answerPostcode(jo))
}

// Security finding 1: each new session's "save" stored a draft, with no cap.
func TestFinding1NewDraftsAreCappedPerAddress(t *testing.T) {
	at := &clock{now: time.Date(2026, 7, 1, 9, 30, 0, 0, time.UTC)}
	l := serve(t, &Handler{DraftsPerHour: 2, Now: at.Now}, 0, nil)
	const addr = "203.0.113.7"
	first := newResidentAt(t, l.URL, addr)
	for i := range 2 {
		r := first
		if i > 0 {
			r = newResidentAt(t, l.URL, addr)
		}
		if got := answerPostcode(r); got.Path != "/services/missed-bin/pages/address" {
			t.Fatalf("draft %d of the hour: %d on %s", i+1, got.Status, got.Path)
		}
	}
	third := newResidentAt(t, l.URL, addr)
	over := answerPostcode(third)
	if over.Status != http.StatusTooManyRequests {
		t.Fatalf("a third new draft in the hour: %d on %s, want 429", over.Status, over.Path)
	}
	mustSay(t, "a third new draft", over, "Sorry, too many forms have been started from your connection", "Try again in an hour.")
	saved := third.post("/services/missed-bin/pages/postcode", url.Values{"postcode": {"LR1 1AA"}, "save": {"1"}})
	if saved.Status != http.StatusTooManyRequests {
		t.Errorf("saving a third new draft for later: %d on %s, want 429", saved.Status, saved.Path)
	}
	if n := drafts(t, l); n != 2 {
		t.Errorf("%d drafts kept, want 2", n)
	}

	// A draft already started carries on; another address starts its own.
	if got := first.post("/services/missed-bin/pages/address", url.Values{"uprn": {"100001000003"}}); got.Path != "/services/missed-bin/pages/bin" {
		t.Errorf("carrying on with a draft already started: %d on %s", got.Status, got.Path)
	}
	if got := answerPostcode(newResidentAt(t, l.URL, "198.51.100.23")); got.Status != http.StatusOK {
		t.Errorf("a draft from another address: %d on %s", got.Status, got.Path)
	}
	// The next hour, the third resident may start.
	at.Set(time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC))
	if got := answerPostcode(third); got.Path != "/services/missed-bin/pages/address" {
		t.Errorf("a new draft the next hour: %d on %s", got.Status, got.Path)
	}
}
