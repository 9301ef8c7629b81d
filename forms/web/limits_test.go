package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/larder-council/larder/internal/redistest"
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

// limited serves POST /send behind a limit of perMinute a minute, counted
// in the test's own Redis on the clock.
func limited(t *testing.T, perMinute int, at *clock) http.Handler {
	t.Helper()
	db := redistest.New(t)
	site, _ := newSite(t, Branding{CouncilName: "Larchester Council"})
	pages, err := site.Pages(fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	l := &RateLimit{Redis: db.Client, KeyPrefix: db.Prefix, Pages: pages, Now: at.Now}
	r := newEngine(t)
	r.POST("/send", l.Guard("send", perMinute), reached)
	return r
}

// sendFrom posts from the address, as a browser or, with a JSON body, as
// an API client.
func sendFrom(h http.Handler, addr string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/send", strings.NewReader("{}"))
	req.RemoteAddr = addr + ":40000"
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func TestRateLimitLetsExactlyNAMinutePerAddress(t *testing.T) {
	const perMinute = 3
	at := &clock{now: time.Date(2026, 7, 1, 9, 30, 20, 0, time.UTC)}
	h := limited(t, perMinute, at)

	for i := range perMinute {
		if w := sendFrom(h, "203.0.113.7", "Accept", browserAccept); w.Code != http.StatusOK {
			t.Fatalf("send %d of %d in the minute: %d, want it through", i+1, perMinute, w.Code)
		}
	}
	over := sendFrom(h, "203.0.113.7", "Accept", browserAccept)
	if over.Code != http.StatusTooManyRequests {
		t.Fatalf("send %d in the minute: %d, want 429", perMinute+1, over.Code)
	}
	if got := over.Header().Get("Retry-After"); got != "40" {
		t.Errorf("Retry-After %q at 9:30:20, want 40 (seconds to the next minute)", got)
	}
	// Someone else, at another address, is not held up.
	if w := sendFrom(h, "198.51.100.23", "Accept", browserAccept); w.Code != http.StatusOK {
		t.Errorf("another address in the same minute: %d", w.Code)
	}
	// Still the same minute at its last second.
	at.Set(time.Date(2026, 7, 1, 9, 30, 59, 0, time.UTC))
	if w := sendFrom(h, "203.0.113.7", "Accept", browserAccept); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
		t.Errorf("at 9:30:59: %d, Retry-After %q; want 429 and 1", w.Code, w.Header().Get("Retry-After"))
	}
	// The next minute starts a new count.
	at.Set(time.Date(2026, 7, 1, 9, 31, 0, 0, time.UTC))
	for i := range perMinute {
		if w := sendFrom(h, "203.0.113.7", "Accept", browserAccept); w.Code != http.StatusOK {
			t.Fatalf("send %d in the next minute: %d, want it through", i+1, w.Code)
		}
	}
	if w := sendFrom(h, "203.0.113.7", "Accept", browserAccept); w.Code != http.StatusTooManyRequests {
		t.Errorf("send %d in the next minute: %d, want 429", perMinute+1, w.Code)
	}
}

func TestRateLimitAnswersEachClientInItsOwnTerms(t *testing.T) {
	at := &clock{now: time.Date(2026, 7, 1, 9, 30, 0, 0, time.UTC)}
	h := limited(t, 1, at)
	sendFrom(h, "203.0.113.7")

	for name, header := range map[string][]string{
		"browser":         {"Accept", browserAccept, "Content-Type", "application/x-www-form-urlencoded"},
		"no preference":   {"Content-Type", "application/x-www-form-urlencoded"},
		"accept anything": {"Accept", "*/*", "Content-Type", "multipart/form-data; boundary=x"},
	} {
		page := sendFrom(h, "203.0.113.7", header...)
		if page.Code != http.StatusTooManyRequests || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") || page.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s over the limit: %d %s %q; want the page", name, page.Code, page.Header().Get("Content-Type"), page.Header().Get("Cache-Control"))
		}
		pageHas(t, page.Body.String(), "<title>Sorry, you have sent too many forms – Larchester Council</title>",
			"Wait a minute, then try again. Your answers have been saved.")
	}

	for name, header := range map[string][]string{
		"JSON body":                {"Content-Type", "application/json"},
		"JSON body with a charset": {"Content-Type", "application/json; charset=utf-8", "Accept", browserAccept},
		"Accept JSON":              {"Accept", "application/json"},
		"Accept JSON and more":     {"Accept", "application/json, text/plain, */*", "Content-Type", "multipart/form-data; boundary=x"},
		"Accept a problem":         {"Accept", "application/problem+json"},
	} {
		w := sendFrom(h, "203.0.113.7", header...)
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Content-Type") != "application/problem+json" ||
			decodeProblem(t, w.Body.String()).Title != "Too many requests; try again in a minute" {
			t.Errorf("an API client (%s) over the limit: %d %s\n%s", name, w.Code, w.Header().Get("Content-Type"), w.Body)
		}
	}
}

func TestRateLimitLetsRequestsThroughWhenRedisIsDown(t *testing.T) {
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { down.Close() })
	var logged bytes.Buffer
	l := &RateLimit{Redis: down, Log: slog.New(slog.NewTextHandler(&logged, nil))}
	r := newEngine(t)
	r.POST("/send", l.Guard("send", 1), reached)
	for i := range 3 {
		if w := sendFrom(r, "203.0.113.7"); w.Code != http.StatusOK {
			t.Fatalf("send %d with Redis down: %d, want it through: losing the count must not lose a submission", i+1, w.Code)
		}
	}
	if !strings.Contains(logged.String(), "rate limit not counted") {
		t.Errorf("a lost count should be logged; log:\n%s", logged.String())
	}
}

func TestRateLimitOfNoneIsNoLimit(t *testing.T) {
	l := &RateLimit{} // no Redis: a limit of 0 must not touch it
	r := newEngine(t)
	r.POST("/send", l.Guard("send", 0), reached)
	for range 5 {
		if w := sendFrom(r, "203.0.113.7"); w.Code != http.StatusOK {
			t.Fatalf("no limit: %d", w.Code)
		}
	}
}

func TestRateLimitKeysAreTheCouncilsAndExpire(t *testing.T) {
	db := redistest.New(t)
	at := &clock{now: time.Date(2026, 7, 1, 9, 30, 0, 0, time.UTC)}
	l := &RateLimit{Redis: db.Client, KeyPrefix: db.Prefix, Now: at.Now}
	r := newEngine(t)
	r.POST("/send", l.Guard("send", 5), reached)
	sendFrom(r, "203.0.113.7")
	key := db.Prefix + "rate:send:203.0.113.7:" + "29714970" // minutes since 1970 at 9:30 on 1 July 2026
	ttl, err := db.Client.TTL(t.Context(), key).Result()
	if err != nil || ttl <= 0 || ttl > 2*time.Minute {
		keys, _ := db.Client.Keys(t.Context(), db.Prefix+"*").Result()
		t.Errorf("count %s expires in %v (%v); want within 2 minutes; keys: %v", key, ttl, err, keys)
	}
}

// A limit counted by the hour tells an API client to come back in an
// hour, not in a minute.
func TestRateLimitTellsAnAPIClientTheWindowItCounts(t *testing.T) {
	db := redistest.New(t)
	at := &clock{now: time.Date(2026, 7, 1, 9, 30, 0, 0, time.UTC)}
	l := &RateLimit{Redis: db.Client, KeyPrefix: db.Prefix, Now: at.Now}
	for per, want := range map[time.Duration]string{time.Minute: "a minute", time.Hour: "an hour", 24 * time.Hour: "a day"} {
		r := newEngine(t)
		r.POST("/send", func(c *gin.Context) {
			if l.Allow(c, "drafts-"+per.String(), c.ClientIP(), 1, per) {
				c.Status(http.StatusOK)
			}
		})
		sendFrom(r, "203.0.113.7", "Content-Type", "application/json")
		w := sendFrom(r, "203.0.113.7", "Content-Type", "application/json")
		if got := decodeProblem(t, w.Body.String()).Title; w.Code != http.StatusTooManyRequests || got != "Too many requests; try again in "+want {
			t.Errorf("over a limit of one per %s: %d %q, want 429 saying to try again in %s", per, w.Code, got, want)
		}
	}
}
