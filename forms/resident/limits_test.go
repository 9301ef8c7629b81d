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
