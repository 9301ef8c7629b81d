package staff

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms/staff/access"
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
func (h *Handler) render(c *gin.Context, status int, page, title string, data map[string]any) {
	c.String(http.StatusNotImplemented, "not built yet")
}

// done redirects (303) after a POST that worked, with the notification
// named by message (one of flashes; never free text from a request).
func (h *Handler) done(c *gin.Context, to, message string) {
	c.Redirect(http.StatusSeeOther, to)
}

// flashes are the notifications a redirect may ask for.
var flashes = map[string]string{}
