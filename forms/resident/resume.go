package resident

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows/recipe"
)

// emailQuestion is the one question of the "save and come back later" page.
var emailQuestion = recipe.Field{ID: "email", Type: "email", Label: "Email address", Validate: "required,email,max=254"}

// saveForLater shows the page asking where to send the link.
func (h *Handler) saveForLater(c *gin.Context) {
	r, _, sid, _, ok := h.journey(c)
	if !ok {
		return
	}
	h.pages.Render(c, http.StatusOK, "save", "Save your answers and come back later", false, gin.H{
		"Recipe": r, "CSRF": h.csrfToken(sid), "Field": emailQuestion,
	})
}

// sendResumeLink emails a one-use link that restores the draft, in this
// browser or another, until the draft would have expired.
func (h *Handler) sendResumeLink(c *gin.Context) {
	r, _, sid, d, ok := h.journey(c)
	if !ok || !h.checkCSRF(c, sid) {
		return
	}
	email := forms.Clean(emailQuestion, c.PostForm("email"))
	if msg := h.Validator.Field(emailQuestion, email); msg != "" {
		h.pages.Render(c, http.StatusUnprocessableEntity, "save", "Save your answers and come back later", true, gin.H{
			"Recipe": r, "CSRF": h.csrfToken(sid), "Field": emailQuestion, "Value": email,
			"Errors": []forms.FieldError{{Field: "email", Message: msg}},
		})
		return
	}
	token := randomToken()
	data, _ := json.Marshal(d)
	if err := h.Redis.Set(c, h.key("resume", token), data, h.draftTTL()).Err(); err != nil {
		h.pages.Unavailable(c, err)
		return
	}
	expires := web.UKTime(h.now().Add(h.draftTTL())).Format("3:04pm on 2 January 2006")
	link := strings.TrimRight(h.PublicURL, "/") + "/services/" + r.ID + "/resume/" + token
	err := h.Mail.Send(c, mail.Message{
		Key: "resume/" + token, To: email, Subject: "Your saved form: " + r.Title,
		Text: fmt.Sprintf("You saved your answers to %q.\n\nTo carry on, open this link before %s:\n\n%s\n\n"+
			"The link works once. If you did not ask for this email, you can ignore it.\n\n%s\n",
			r.Title, expires, link, h.Site.Brand().CouncilName),
	})
	if err != nil {
		h.pages.Unavailable(c, err)
		return
	}
	h.pages.Render(c, http.StatusOK, "saved", "Your answers have been saved", false, gin.H{
		"Recipe": r, "Email": email, "Expires": expires,
	})
}

// resumePage asks the resident whether to carry on with saved answers.
// Opening the link changes nothing, so a mail system's link scanner that
// opens it first does not use it up; the button posts to restore.
func (h *Handler) resumePage(c *gin.Context) {
	r := h.recipe(c.Param("service"))
	if r == nil {
		h.pages.NotFound(c)
		return
	}
	n, err := h.Redis.Exists(c, h.key("resume", c.Param("token"))).Result()
	if err != nil {
		h.pages.Unavailable(c, err)
		return
	}
	if n == 0 {
		h.linkUsed(c)
		return
	}
	sid := h.sessionID(c)
	h.pages.Render(c, http.StatusOK, "resume", "Continue with your saved answers", false, gin.H{
		"Recipe": r, "CSRF": h.csrfToken(sid),
	})
}

// linkUsed is the page for a resume link that has been used or has expired.
func (h *Handler) linkUsed(c *gin.Context) {
	h.pages.Render(c, http.StatusNotFound, "problem", "This link has expired", false, gin.H{
		"Heading": "This link has expired or has been used",
		"Body":    "Links to saved answers work once, for a limited time. Start the form again.",
	})
}

// resume restores a saved draft into this browser's session, once.
func (h *Handler) resume(c *gin.Context) {
	r := h.recipe(c.Param("service"))
	if r == nil {
		h.pages.NotFound(c)
		return
	}
	sid := h.sessionID(c)
	if !h.checkCSRF(c, sid) {
		return
	}
	data, err := h.Redis.GetDel(c, h.key("resume", c.Param("token"))).Bytes()
	if errors.Is(err, redis.Nil) {
		h.linkUsed(c)
		return
	}
	if err != nil {
		h.pages.Unavailable(c, err)
		return
	}
	var d draft
	if err := json.Unmarshal(data, &d); err != nil {
		h.pages.Unavailable(c, err)
		return
	}
	// The answers may have been sent since they were saved: a new key
	// makes sending them again start a new case, not find the old one.
	d.Key, d.Submitted = randomToken(), ""
	if err := h.saveDraft(c, sid, r.ID, &d); err != nil {
		h.pages.Unavailable(c, err)
		return
	}
	next := "/services/" + r.ID + "/check"
	if i := h.firstUnanswered(r, &d); i >= 0 {
		next = pageURL(r, i)
	}
	c.Redirect(http.StatusSeeOther, next)
}
