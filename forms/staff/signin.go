package staff

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/staff/access"
)

// signInCookie holds the sign-in form's token until the user signs in, so
// another site cannot sign a browser in as someone else.
const signInCookie = "larder_staff_sign_in"

// signInPage shows the sign-in form, or goes straight on for someone
// already signed in.
func (h *Handler) signInPage(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	next := safeNext(c.Query("next"))
	if _, ok, err := h.currentSession(c); err == nil && ok {
		c.Redirect(http.StatusSeeOther, next)
		return
	}
	h.showSignIn(c, http.StatusOK, next, "", nil)
}

// showSignIn renders the sign-in form with a fresh form token.
func (h *Handler) showSignIn(c *gin.Context, status int, next, username string, errs []forms.FieldError) {
	token := randomToken()
	http.SetCookie(c.Writer, &http.Cookie{
		Name: signInCookie, Value: token, Path: "/staff/sign-in",
		HttpOnly: true, Secure: h.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
	data := map[string]any{
		"Next": next, "Username": username, "Errors": errs, "FormToken": token,
		"UsernameError": fieldError(errs, "username"), "PasswordError": fieldError(errs, "password"),
	}
	h.render(c, status, "signin", "Sign in", data)
}

// signIn checks the username and password and starts a new session.
func (h *Handler) signIn(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	next := safeNext(c.PostForm("next"))
	token, err := c.Cookie(signInCookie)
	if err != nil || !sameToken(c.PostForm("csrf"), token) {
		h.problem(c, http.StatusForbidden, "This form has expired", "Go back, reload the page and try again.")
		return
	}
	username := strings.TrimSpace(c.PostForm("username"))
	password := c.PostForm("password")
	var errs []forms.FieldError
	if username == "" {
		errs = append(errs, forms.FieldError{Field: "username", Message: "Enter your username"})
	}
	if password == "" {
		errs = append(errs, forms.FieldError{Field: "password", Message: "Enter your password"})
	}
	if len(errs) > 0 {
		h.showSignIn(c, http.StatusUnprocessableEntity, next, username, errs)
		return
	}
	user, err := h.Identity.SignIn(c, username, password)
	switch {
	case errors.Is(err, access.ErrBadCredentials):
		// One message for either mistake, so the page does not tell
		// whether the username exists.
		h.showSignIn(c, http.StatusUnprocessableEntity, next, username,
			[]forms.FieldError{{Field: "username", Message: "Enter a correct username and password"}})
		return
	case errors.Is(err, access.ErrLockedOut):
		h.showSignIn(c, http.StatusTooManyRequests, next, username,
			[]forms.FieldError{{Field: "username", Message: sentence(access.ErrLockedOut.Error())}})
		return
	case err != nil:
		h.unavailable(c, err)
		return
	}
	// A new session every time: an id from before signing in, which
	// someone else may have planted, is never carried over.
	if old, err := c.Cookie(sessionCookie); err == nil && old != "" {
		if err := h.Sessions.Delete(c, old); err != nil {
			h.log().WarnContext(c, "old staff session not deleted", "err", err)
		}
	}
	sess, err := h.Sessions.Create(c, user)
	if err != nil {
		h.unavailable(c, err)
		return
	}
	h.setSessionCookie(c, sess.ID, 0)
	http.SetCookie(c.Writer, &http.Cookie{Name: signInCookie, Path: "/staff/sign-in", MaxAge: -1,
		HttpOnly: true, Secure: h.SecureCookies, SameSite: http.SameSiteLaxMode})
	h.log().InfoContext(c, "staff signed in", "username", user.Username)
	c.Redirect(http.StatusSeeOther, next)
}

// signOut ends the session, asked by a form carrying its CSRF token.
func (h *Handler) signOut(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	sess, ok, err := h.currentSession(c)
	if err != nil {
		h.unavailable(c, err)
		return
	}
	if !ok {
		c.Redirect(http.StatusSeeOther, "/staff/sign-in")
		return
	}
	c.Set(sessionKey, sess)
	if !access.CheckCSRF(sess, c.PostForm("csrf")) {
		h.problem(c, http.StatusForbidden, "This form has expired", "Go back, reload the page and try again.")
		return
	}
	if err := h.Sessions.Delete(c, sess.ID); err != nil {
		h.unavailable(c, err)
		return
	}
	h.setSessionCookie(c, "", -1)
	c.Set(sessionKey, access.Session{})
	h.done(c, "/staff/sign-in", "signed-out")
}

// setSessionCookie sets (maxAge 0: until the browser closes) or clears
// (maxAge -1) the session cookie.
func (h *Handler) setSessionCookie(c *gin.Context, id string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: sessionCookie, Value: id, Path: "/staff", MaxAge: maxAge,
		HttpOnly: true, Secure: h.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func randomToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// fieldError is the message for one field among errs, or "".
func fieldError(errs []forms.FieldError, field string) string {
	for _, e := range errs {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// sentence starts an error's text with a capital, for a page.
func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
