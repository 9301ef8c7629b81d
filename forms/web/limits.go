package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// rateLimit lets each client address make perMinute requests a minute to
// the routes it guards, counted in Redis so every web process shares the
// count. Over the limit the answer is 429 with Retry-After.
func (s *Server) rateLimit(name string, perMinute int) gin.HandlerFunc {
	return func(c *gin.Context) {
		if perMinute <= 0 {
			c.Next()
			return
		}
		now := time.Now()
		window := now.Unix() / 60
		key := fmt.Sprintf("larder:rate:%s:%s:%d", name, c.ClientIP(), window)
		n, err := s.Redis.Incr(c, key).Result()
		if err == nil && n == 1 {
			s.Redis.Expire(c, key, 2*time.Minute)
		}
		if err != nil {
			// Losing the count must not lose a resident's submission.
			s.Log.WarnContext(c, "rate limit not counted", "err", err)
			c.Next()
			return
		}
		if n > int64(perMinute) {
			c.Header("Retry-After", strconv.FormatInt(60-now.Unix()%60, 10))
			if c.GetHeader("Accept") == "application/json" || c.ContentType() == "application/json" {
				problem(c, http.StatusTooManyRequests, "Too many requests; try again in a minute", nil)
				return
			}
			s.render(c, http.StatusTooManyRequests, "problem", "Too many requests", false, gin.H{
				"Heading": "Sorry, you have sent too many forms", "Body": "Wait a minute, then try again. Your answers have been saved.",
			})
			c.Abort()
			return
		}
		c.Next()
	}
}
