package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
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
		if perMinute <= 0 {
			c.Next()
			return
		}
		now := time.Now()
		if l.Now != nil {
			now = l.Now()
		}
		prefix := l.KeyPrefix
		if prefix == "" {
			prefix = "larder:"
		}
		key := fmt.Sprintf("%srate:%s:%s:%d", prefix, name, c.ClientIP(), now.Unix()/60)
		n, err := l.Redis.Incr(c, key).Result()
		if err == nil && n == 1 {
			l.Redis.Expire(c, key, 2*time.Minute)
		}
		if err != nil {
			// Losing the count must not lose a resident's submission.
			l.log().WarnContext(c, "rate limit not counted", "err", err)
			c.Next()
			return
		}
		if n <= int64(perMinute) {
			c.Next()
			return
		}
		c.Header("Retry-After", strconv.FormatInt(60-now.Unix()%60, 10))
		if l.Pages == nil || c.GetHeader("Accept") == "application/json" || c.ContentType() == "application/json" {
			Problem(c, http.StatusTooManyRequests, "Too many requests; try again in a minute", nil)
			return
		}
		l.Pages.Problem(c, http.StatusTooManyRequests, "Sorry, you have sent too many forms",
			"Wait a minute, then try again. Your answers have been saved.")
	}
}

func (l *RateLimit) log() *slog.Logger {
	if l.Log == nil {
		return slog.Default()
	}
	return l.Log
}
