package staff

import (
	"context"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/workflows"
)

// session is the signed-in session of the request; the /staff group's
// middleware has made sure there is one.
func (h *Handler) session(c *gin.Context) access.Session {
	s, _ := c.Get(sessionKey)
	sess, _ := s.(access.Session)
	return sess
}

const sessionKey = "larder.staff.session"

// render shows a staff page: data gains what the layout needs (the user,
// the CSRF token, the navigation and any notification).
//
// Every staff template may use, beside its own keys:
//   - User (access.User): who is signed in; zero on the sign-in page.
//   - CSRF (string): the session's token; every form posts it as the
//     hidden field "csrf" ({{template "csrf" .}} writes it).
//   - Section (string): "inbox", "search" or "incidents", the navigation
//     item marked current, from the path unless data sets it.
//   - Flash (string): the notification a redirect asked for with done,
//     shown by {{template "notification" .}}, once.
//
// A non-empty Errors ([]forms.FieldError) in data puts "Error: " before
// the page's title.
func (h *Handler) render(c *gin.Context, status int, page, title string, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	sess := h.session(c)
	data["User"] = sess.User
	data["CSRF"] = sess.CSRF
	if _, ok := data["Section"]; !ok {
		data["Section"] = section(c.Request.URL.Path)
	}
	if status == http.StatusOK {
		if text := h.takeFlash(c); text != "" {
			data["Flash"] = text
		}
	}
	errs, _ := data["Errors"].([]forms.FieldError)
	c.Header("Cache-Control", "no-store")
	h.pages.Render(c, status, page, title, len(errs) > 0, data)
}

// section is the navigation item a path belongs to.
func section(path string) string {
	switch {
	case strings.HasPrefix(path, "/staff/search"), strings.HasPrefix(path, "/staff/cases/"):
		return "search"
	case strings.HasPrefix(path, "/staff/incidents"):
		return "incidents"
	}
	return "inbox"
}

// done redirects (303) after a POST that worked, with the notification
// named by message (one of flashes; never free text from a request).
func (h *Handler) done(c *gin.Context, to, message string) {
	if flashText(message) != "" {
		http.SetCookie(c.Writer, &http.Cookie{
			Name: flashCookie, Value: message, Path: "/staff", MaxAge: 60,
			HttpOnly: true, Secure: h.SecureCookies, SameSite: http.SameSiteLaxMode,
		})
	}
	c.Redirect(http.StatusSeeOther, to)
}

// flashCookie carries the id of the notification the next page shows: a
// key of flashes, never text.
const flashCookie = "larder_staff_flash"

// takeFlash is the notification the last redirect asked for, once.
func (h *Handler) takeFlash(c *gin.Context) string {
	id, err := c.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: flashCookie, Path: "/staff", MaxAge: -1,
		HttpOnly: true, Secure: h.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
	return flashText(id)
}

// flashes are the notifications a redirect may ask for.
var flashes = map[string]string{
	"signed-out": "You have signed out",
	"claimed":    "You have claimed this task",
	"unclaimed":  "You have released this task: it is back in its queue",
	"assigned":   "The task has been assigned",
	"noted":      "Your note has been added",
	"completed":  "Task completed",
}

// flashText is the notification with the id, from flashes or the case
// pages' caseFlashes; "" for an id that is neither.
func flashText(id string) string {
	if text, ok := flashes[id]; ok {
		return text
	}
	return caseFlashes[id]
}

// problem shows the problem page, a heading and a paragraph, with the
// staff navigation, and stops the request.
func (h *Handler) problem(c *gin.Context, status int, heading, body string) {
	h.render(c, status, "problem", heading, map[string]any{"Heading": heading, "Body": body})
	c.Abort()
}

// notFound is the page for a case, task or address that names nothing.
func (h *Handler) notFound(c *gin.Context) {
	h.problem(c, http.StatusNotFound, "Page not found", "If you typed the web address, check it is correct.")
}

// forbidden is the page for work in a queue the user may not work.
func (h *Handler) forbidden(c *gin.Context) {
	h.problem(c, http.StatusForbidden, "You cannot work on this task",
		"This task is in a queue you do not work in. Ask a supervisor if you need access.")
}

// unavailable logs what went wrong and shows a plain apology: staff
// pages never show an internal error.
func (h *Handler) unavailable(c *gin.Context, err error) {
	h.log().ErrorContext(c, "staff page unavailable", "path", c.Request.URL.Path, "err", err)
	c.Header("Retry-After", "30")
	h.problem(c, http.StatusServiceUnavailable, "Sorry, there is a problem with the service", "Try again in a few minutes.")
}

// detailFor reads a case as user may see it: with the answers to sensitive
// questions only for a role that sees them.
func (h *Handler) detailFor(ctx context.Context, user access.User, ref string) (workflows.CaseDetail, error) {
	if user.SeesSensitive() {
		return h.Cases.SensitiveDetail(ctx, ref)
	}
	return h.Cases.Detail(ctx, ref)
}
