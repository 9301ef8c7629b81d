package resident

import (
	"time"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows/recipe"
)

// rateLimits are the counts of answers sent and of drafts started, each
// with its own "too many" page.
func (h *Handler) rateLimits() (answers, drafts *web.RateLimit) {
	limit := func(title, body string) *web.RateLimit {
		return &web.RateLimit{Redis: h.Redis, KeyPrefix: h.KeyPrefix, Pages: h.pages, Title: title, Body: body, Now: h.Now, Log: h.Log}
	}
	return limit("Sorry, you have sent too many answers", "Wait a minute, then try again. Answers you sent before this page have been saved."),
		limit("Sorry, too many forms have been started from your connection", "Try again in an hour. Forms you have already started have been saved.")
}

// limitAnswers lets one address send AnswersPerMinute pages of answers a
// minute, and one session half as many.
func (h *Handler) limitAnswers(c *gin.Context) {
	if h.AnswersPerMinute <= 0 {
		c.Next()
		return
	}
	if !h.answerLimit.Allow(c, "answers", c.ClientIP(), h.AnswersPerMinute, time.Minute) ||
		!h.answerLimit.Allow(c, "answers-session", h.session(c), max(h.AnswersPerMinute/2, 1), time.Minute) {
		return
	}
	c.Next()
}

// keepDraft saves the draft. A session's first draft of a service counts
// against the DraftsPerHour its address may start; over that, the
// resident is told to try later and nothing is saved. It reports whether
// the draft was saved, having answered the request when not.
func (h *Handler) keepDraft(c *gin.Context, sid string, r *recipe.Recipe, d *draft, maybeNew bool) bool {
	if maybeNew && h.DraftsPerHour > 0 {
		n, err := h.Redis.Exists(c, h.key("draft", sid, r.ID)).Result()
		if err != nil {
			h.Log.WarnContext(c, "drafts started not counted", "err", err)
		}
		if err == nil && n == 0 && !h.draftLimit.Allow(c, "drafts", c.ClientIP(), h.DraftsPerHour, time.Hour) {
			return false
		}
	}
	if err := h.saveDraft(c, sid, r.ID, d); err != nil {
		h.pages.Unavailable(c, err)
		return false
	}
	return true
}
