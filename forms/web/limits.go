package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// RateLimit counts requests per client address a minute in Redis, so every
// web process shares the count.
type RateLimit struct {
	// Redis holds the counts.
	Redis redis.UniversalClient
	// KeyPrefix starts every key the counts use; default "larder:".
	KeyPrefix string
	// Pages shows people (not API clients) the "too many" page.
	Pages *Pages
	// Title and Body are that page's words; by default they are for a
	// resident sending forms.
	Title, Body string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Log receives counts that could not be kept.
	Log *slog.Logger
}

// Guard lets each client address make perMinute requests a minute to the
// routes it guards, counted under name; 0 is no limit. Over the limit the
// answer is 429 with Retry-After.
func (l *RateLimit) Guard(name string, perMinute int) gin.HandlerFunc {
	return func(c *gin.Context) {
		if l.Allow(c, name, c.ClientIP(), perMinute, time.Minute) {
			c.Next()
		}
	}
}

// Allow counts a request by key (a client address, a session) under name
// and reports whether it is one of the first limit in the current window
// of length per; 0 is no limit. When it is not, Allow has answered 429
// with Retry-After, and the caller stops. A count that cannot be kept
// lets the request through.
func (l *RateLimit) Allow(c *gin.Context, name, key string, limit int, per time.Duration) bool {
	if limit <= 0 {
		return true
	}
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	prefix := l.KeyPrefix
	if prefix == "" {
		prefix = "larder:"
	}
	window := max(int64(per/time.Second), 1)
	k := fmt.Sprintf("%srate:%s:%s:%d", prefix, name, key, now.Unix()/window)
	n, err := l.Redis.Incr(c, k).Result()
	if err == nil && n == 1 {
		l.Redis.Expire(c, k, 2*time.Duration(window)*time.Second)
	}
	if err != nil {
		// Losing the count must not lose a resident's submission.
		l.log().WarnContext(c, "rate limit not counted", "err", err)
		return true
	}
	if n <= int64(limit) {
		return true
	}
	c.Header("Retry-After", strconv.FormatInt(window-now.Unix()%window, 10))
	if l.Pages == nil || !wantsPage(c) {
		Problem(c, http.StatusTooManyRequests, "Too many requests; try again in "+windowWords(per), nil)
		return false
	}
	title, body := l.Title, l.Body
	if title == "" {
		title, body = "Sorry, you have sent too many forms", "Wait a minute, then try again. Your answers have been saved."
	}
	l.Pages.Problem(c, http.StatusTooManyRequests, title, body)
	return false
}

// windowWords says how long a window is, as a client reads it in "try
// again in ...": a minute, an hour, or a day.
func windowWords(per time.Duration) string {
	switch {
	case per <= time.Minute:
		return "a minute"
	case per <= time.Hour:
		return "an hour"
	}
	return "a day"
}

// wantsPage reports whether the request should be answered with a page:
// one from a browser, or from a client that states no preference. A JSON
// body, or an Accept naming JSON and not HTML (such as "application/json,
// text/plain, */*"), marks an API client, which gets problem+json.
func wantsPage(c *gin.Context) bool {
	if c.ContentType() == "application/json" {
		return false
	}
	accept := c.GetHeader("Accept")
	return strings.Contains(accept, "text/html") || !strings.Contains(accept, "json")
}

func (l *RateLimit) log() *slog.Logger {
	if l.Log == nil {
		return slog.Default()
	}
	return l.Log
}
