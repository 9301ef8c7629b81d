package staff

import (
	"cmp"
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageNames are the sign-in, inbox and task pages' templates, and the
// staff problem page, which replaces the resident one.
var pageNames = []string{"signin", "inbox", "task", "problem"}

// Work is what staff pages ask of the case client.
type Work interface {
	Cases
	SensitiveDetail(ctx context.Context, ref string) (workflows.CaseDetail, error)
	AssignTask(ctx context.Context, ref string, a workflows.Assignment) error
	AddNote(ctx context.Context, ref string, n workflows.TaskNote) error
	Search(ctx context.Context, q cases.SearchQuery) ([]cases.CaseSummary, error)
}

// Inbox is what staff pages read of the inbox index.
type Inbox interface {
	Tasks(ctx context.Context, f inbox.Filter) (inbox.Page, error)
	Counts(ctx context.Context, queues []string, now, endOfDay time.Time) (map[string]inbox.QueueCount, error)
	Incidents(ctx context.Context, service string, page, perPage int) (inbox.Page, error)
}

// People lists colleagues a supervisor may assign a queue's task to.
type People interface {
	Colleagues(queue string) []access.User
}

// Handler serves the staff pages under /staff; construct it with its
// fields set, then call Routes.
type Handler struct {
	// Cases reads and works cases.
	Cases Work
	// Inbox lists open tasks and incidents.
	Inbox Inbox
	// Identity signs staff in.
	Identity access.Identity
	// People names colleagues for reassigning.
	People People
	// Sessions keeps who is signed in, in Redis.
	Sessions *access.Sessions
	// Recipes are the services, for their titles and filters.
	Recipes []*recipe.Recipe
	// Site is the council's look.
	Site *web.Site
	// Validator checks a task's outcome fields like resident answers.
	Validator *forms.Validator
	// SecureCookies marks the session cookie Secure; set it when served
	// over HTTPS.
	SecureCookies bool
	// SignInsPerMinute is how many sign-in attempts one address may make
	// a minute; default 20.
	SignInsPerMinute int
	// Now is the clock "overdue" and "due today" are told by; default time.Now.
	Now func() time.Time
	// Log receives what staff are not shown.
	Log *slog.Logger

	pages *web.Pages
}

// Routes parses the pages and adds the staff pages: sign-in and sign-out,
// then everything else under /staff for signed-in staff only, every post
// carrying the session's CSRF token.
func (h *Handler) Routes(r gin.IRouter) error {
	pages, err := h.Site.Pages(templateFS, append(append([]string{}, pageNames...), casePageNames...)...)
	if err != nil {
		return err
	}
	h.pages = pages
	if h.Log == nil {
		h.Log = slog.Default()
	}
	r.GET("/staff/sign-in", h.signInPage)
	// Lockout guards each username; this guards against one address
	// trying many.
	signIns := &web.RateLimit{
		Redis: h.Sessions.Redis, KeyPrefix: h.Sessions.Prefix, Pages: h.pages, Log: h.Log,
		Title: "Too many attempts to sign in", Body: "Wait a minute, then try again.",
	}
	r.POST("/staff/sign-in", signIns.Guard("staff-sign-in", cmp.Or(h.SignInsPerMinute, 20)), h.signIn)
	r.POST("/staff/sign-out", h.signOut)
	g := r.Group("/staff", h.signedIn)
	g.GET("/", h.inbox)
	g.GET("/tasks/:reference/:task", h.taskPage)
	g.POST("/tasks/:reference/:task/claim", h.claim)
	g.POST("/tasks/:reference/:task/unclaim", h.unclaim)
	g.POST("/tasks/:reference/:task/assign", h.assign)
	g.POST("/tasks/:reference/:task/note", h.addNote)
	g.POST("/tasks/:reference/:task/complete", h.complete)
	// A page shown after a post (errors to fix) sits at the post's
	// address; reloading or bookmarking it leads back to the task.
	g.GET("/tasks/:reference/:task/:action", func(c *gin.Context) {
		c.Redirect(http.StatusSeeOther, "/staff/tasks/"+url.PathEscape(c.Param("reference"))+"/"+url.PathEscape(c.Param("task")))
	})
	h.caseRoutes(g)
	return nil
}

// sessionCookie holds the signed-in session's id.
const sessionCookie = "larder_staff"

// signedIn lets a request through only with a session: without one a
// page asks the user to sign in and come back, and a post without the
// session's CSRF token is refused. Staff pages are never cached.
func (h *Handler) signedIn(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	sess, ok, err := h.currentSession(c)
	if err != nil {
		h.unavailable(c, err)
		return
	}
	if !ok {
		// After signing in the user sees the page they asked for, or for
		// a form posted once the session had ended, the page it was on.
		next := c.Request.URL.RequestURI()
		if c.Request.Method != http.MethodGet {
			next = "/staff/"
			if ref, err := url.Parse(c.GetHeader("Referer")); err == nil && ref.Host == c.Request.Host {
				next = ref.RequestURI()
			}
		}
		c.Redirect(http.StatusSeeOther, "/staff/sign-in?next="+url.QueryEscape(safeNext(next)))
		c.Abort()
		return
	}
	c.Set(sessionKey, sess)
	if c.Request.Method == http.MethodPost && !access.CheckCSRF(sess, c.PostForm("csrf")) {
		h.problem(c, http.StatusForbidden, "This form has expired", "Go back, reload the page and try again.")
		return
	}
	c.Next()
}

// currentSession is the session the request's cookie names, if any.
func (h *Handler) currentSession(c *gin.Context) (access.Session, bool, error) {
	id, err := c.Cookie(sessionCookie)
	if err != nil || id == "" {
		return access.Session{}, false, nil
	}
	sess, err := h.Sessions.Get(c, id)
	if errors.Is(err, access.ErrNoSession) {
		return access.Session{}, false, nil
	}
	if err != nil {
		return access.Session{}, false, err
	}
	return sess, true, nil
}

// sameToken compares a posted token with the expected one in constant
// time; an empty expected token matches nothing.
func sameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// safeNext is where to go after signing in: a path on this site under
// /staff/, never another site, else the inbox.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.Contains(next, `\`) || strings.Contains(u.Path, "..") ||
		strings.HasPrefix(next, "//") || !strings.HasPrefix(u.Path, "/staff/") || strings.HasPrefix(u.Path, "/staff/sign-") {
		return "/staff/"
	}
	return u.RequestURI()
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// log is where what staff are not shown goes.
func (h *Handler) log() *slog.Logger {
	if h.Log == nil {
		return slog.Default()
	}
	return h.Log
}
