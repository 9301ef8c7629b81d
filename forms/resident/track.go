package resident

import (
	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms/web"
)

// defaultTracksPerMinute is how many progress pages one address may open
// a minute when Handler.TracksPerMinute is 0: more than a resident
// checking their cases needs, far fewer than guessing references takes.
const defaultTracksPerMinute = 60

// trackLimit guards the progress page (/track/{reference}), since each
// reference asked about, real or guessed, costs a Temporal query. Over
// the limit the page is 429 and Temporal is not asked.
func (h *Handler) trackLimit() gin.HandlerFunc {
	n := h.TracksPerMinute
	if n == 0 {
		n = defaultTracksPerMinute
	}
	limits := &web.RateLimit{
		Redis: h.Redis, KeyPrefix: h.KeyPrefix, Pages: h.pages, Now: h.Now, Log: h.Log,
		Title: "Sorry, there have been too many requests",
		Body:  "Wait a minute, then try again.",
	}
	return limits.Guard("track", n)
}
