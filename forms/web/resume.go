package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/workflows/recipe"
)

// emailQuestion is the one question of the "save and come back later" page.
var emailQuestion = recipe.Field{ID: "email", Type: "email", Label: "Email address", Validate: "required,email,max=254"}

func resumeKey(token string) string { return "larder:resume:" + token }

// saveForLater shows the page asking where to send the link.
func (s *Server) saveForLater(c *gin.Context) {
	r, _, sid, _, ok := s.journey(c)
	if !ok {
		return
	}
	s.render(c, http.StatusOK, "save", "Save your answers and come back later", false, gin.H{
		"Recipe": r, "CSRF": s.csrfToken(sid), "Field": emailQuestion,
	})
}

// sendResumeLink emails a one-use link that restores the draft, in this
// browser or another, until the draft would have expired.
func (s *Server) sendResumeLink(c *gin.Context) {
	r, _, sid, d, ok := s.journey(c)
	if !ok || !s.checkCSRF(c, sid) {
		return
	}
	email := forms.Clean(emailQuestion, c.PostForm("email"))
	if msg := s.Validator.Field(emailQuestion, email); msg != "" {
		s.render(c, http.StatusUnprocessableEntity, "save", "Save your answers and come back later", true, gin.H{
			"Recipe": r, "CSRF": s.csrfToken(sid), "Field": emailQuestion, "Value": email,
			"Errors": []forms.FieldError{{Field: "email", Message: msg}},
		})
		return
	}
	token := randomToken()
	data, _ := json.Marshal(d)
	if err := s.Redis.Set(c, resumeKey(token), data, s.draftTTL()).Err(); err != nil {
		s.unavailable(c, err)
		return
	}
	expires := time.Now().Add(s.draftTTL())
	link := strings.TrimRight(s.PublicURL, "/") + "/services/" + r.ID + "/resume/" + token
	err := s.Mail.Send(c, mail.Message{
		Key: "resume/" + token, To: email, Subject: "Your saved form: " + r.Title,
		Text: fmt.Sprintf("You saved your answers to %q.\n\nTo carry on, open this link before %s:\n\n%s\n\n"+
			"The link works once. If you did not ask for this email, you can ignore it.\n\n%s\n",
			r.Title, expires.Format("3:04pm on 2 January 2006"), link, s.CouncilName),
	})
	if err != nil {
		s.unavailable(c, err)
		return
	}
	s.render(c, http.StatusOK, "saved", "Your answers have been saved", false, gin.H{
		"Recipe": r, "Email": email, "Expires": expires.Format("3:04pm on 2 January 2006"),
	})
}

// resume restores a saved draft into this browser's session.
func (s *Server) resume(c *gin.Context) {
	r := s.recipe(c.Param("service"))
	if r == nil {
		s.notFound(c)
		return
	}
	data, err := s.Redis.GetDel(c, resumeKey(c.Param("token"))).Bytes()
	if errors.Is(err, redis.Nil) {
		s.render(c, http.StatusNotFound, "problem", "This link has expired", false, gin.H{
			"Heading": "This link has expired or has been used",
			"Body":    "Links to saved answers work once, for a limited time. Start the form again.",
		})
		return
	}
	if err != nil {
		s.unavailable(c, err)
		return
	}
	var d draft
	if err := json.Unmarshal(data, &d); err != nil {
		s.unavailable(c, err)
		return
	}
	sid := s.sessionID(c)
	if err := s.saveDraft(c, sid, r.ID, &d); err != nil {
		s.unavailable(c, err)
		return
	}
	next := "/services/" + r.ID + "/check"
	if i := s.firstUnanswered(r, &d); i >= 0 {
		next = pageURL(r, i)
	}
	c.Redirect(http.StatusSeeOther, next)
}
