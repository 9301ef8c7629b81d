package staff

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// Cases is what the staff API asks of the case client.
type Cases interface {
	Detail(ctx context.Context, ref string) (workflows.CaseDetail, error)
	CompleteTask(ctx context.Context, ref string, done workflows.Completion) (string, error)
	ResolveIncident(ctx context.Context, ref string, r workflows.Resolution) (string, error)
	Cancel(ctx context.Context, ref string) error
}

// Clients knows the staff API's clients by their bearer tokens
// (*access.Clients, from staff.yaml and staff_token).
type Clients interface {
	Authenticate(token string) (access.Client, bool)
}

// API serves the staff JSON API to other council systems; construct it
// with its fields set.
//
// Each client has a bearer token of its own and names the queues it may
// touch. A client lists, claims and completes the tasks of its queues
// only, and reads or cancels only cases with a task in one of them. A
// client with every queue (All: the client of staff_token) is the API's
// administrator: it alone lists and resolves incidents and searches cases.
type API struct {
	// Cases reads and works cases.
	Cases Work
	// Inbox lists open tasks and incidents.
	Inbox Inbox
	// Recipes are the services, for the queues a client with every queue
	// lists.
	Recipes []*recipe.Recipe
	// Validator checks a task's outcome fields like resident answers.
	Validator *forms.Validator
	// Clients are who may call; none turns the API off.
	Clients Clients
	// Now is the clock "overdue" and "due today" are told by; default time.Now.
	Now func() time.Time
	// Log receives what callers are not shown.
	Log *slog.Logger
}

// clientKey holds the request's client in the gin context.
const clientKey = "larder.staff.client"

// Routes adds the staff API under r (mounted at /api/v1).
func (h *API) Routes(r gin.IRouter) {
	if h.Log == nil {
		h.Log = slog.Default()
	}
	g := r.Group("", h.authenticate)
	g.GET("/tasks", h.listTasks)
	g.POST("/tasks/:reference/:task/claim", h.claim)
	g.POST("/tasks/:reference/:task/unclaim", h.unclaim)
	g.POST("/tasks/:reference/:task/complete", h.completeTask)
	g.GET("/incidents", h.listIncidents)
	g.POST("/incidents/:reference/:incident/resolve", h.resolveIncident)
	g.GET("/cases", h.searchCases)
	g.GET("/cases/:reference/detail", h.detail)
	g.POST("/cases/:reference/tasks/:task/complete", h.completeTask)
	g.POST("/cases/:reference/incidents/:incident/resolve", h.resolveIncident)
	g.POST("/cases/:reference/cancel", h.cancel)
}

// authenticate lets a request through with a client's bearer token. With
// no client configured the routes are closed, never open.
func (h *API) authenticate(c *gin.Context) {
	clients := h.clients()
	if clients == nil {
		web.Problem(c, http.StatusServiceUnavailable, "Staff APIs are turned off: set a token to use them", nil)
		return
	}
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	client, known := clients.Authenticate(token)
	if !ok || !known {
		c.Header("WWW-Authenticate", `Bearer realm="larder"`)
		web.Problem(c, http.StatusUnauthorized, "A valid bearer token is required", nil)
		return
	}
	c.Set(clientKey, client)
	c.Next()
}

// clients are the API's clients; nil when there are none.
func (h *API) clients() Clients {
	if h.Clients == nil {
		return nil
	}
	if n, ok := h.Clients.(interface{ Len() int }); ok && n.Len() == 0 {
		return nil
	}
	return h.Clients
}

// client is the request's client.
func client(c *gin.Context) access.Client {
	v, _ := c.Get(clientKey)
	cl, _ := v.(access.Client)
	return cl
}

// mayTouch reports whether the client may read or cancel the case: one
// with every queue, or one of whose queues has a task of the case.
func mayTouch(cl access.Client, d workflows.CaseDetail) bool {
	return cl.All || slices.ContainsFunc(d.Tasks, func(t *workflows.Task) bool { return cl.MayWork(t.Queue) })
}

// forbidden answers 403 for a client that may not do what it asked.
func forbidden(c *gin.Context, why string) {
	web.Problem(c, http.StatusForbidden, why, nil)
}

// caseFor reads the case for the client; on false it has answered.
func (h *API) caseFor(c *gin.Context, ref string) (workflows.CaseDetail, bool) {
	d, err := h.Cases.Detail(c, ref)
	if err != nil {
		h.caseProblem(c, err)
		return d, false
	}
	if !mayTouch(client(c), d) {
		forbidden(c, "This client may not touch this case: it has no task in the client's queues")
		return d, false
	}
	return d, true
}

// detail is the case as staff see it, answers to sensitive questions
// redacted.
func (h *API) detail(c *gin.Context) {
	if d, ok := h.caseFor(c, c.Param("reference")); ok {
		c.JSON(http.StatusOK, d)
	}
}

// cancel asks the case to stop, its calls with an undo reversed.
func (h *API) cancel(c *gin.Context) {
	ref := c.Param("reference")
	if _, ok := h.caseFor(c, ref); !ok {
		return
	}
	var refused *cases.RefusedError
	if err := h.Cases.Cancel(c, ref); errors.As(err, &refused) {
		web.Problem(c, http.StatusConflict, refused.Reason, nil)
		return
	} else if err != nil {
		h.caseProblem(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"reference": ref, "status": "cancelling"})
}

// resolveBody is POST .../incidents/{incident}/resolve.
type resolveBody struct {
	Action string         `json:"action"`
	Value  map[string]any `json:"value"`
	By     string         `json:"by"`
}

// resolveIncident retries, skips or cancels at an incident; only a
// client with every queue may.
func (h *API) resolveIncident(c *gin.Context) {
	if !client(c).All {
		forbidden(c, "Only a client with every queue may resolve incidents")
		return
	}
	var body resolveBody
	if err := json.NewDecoder(c.Request.Body).Decode(&body); err != nil {
		web.Problem(c, http.StatusBadRequest, "The body must be JSON with action (retry, skip or cancel), value and by", nil)
		return
	}
	ref := c.Param("reference")
	result, err := h.Cases.ResolveIncident(c, ref, workflows.Resolution{IncidentID: c.Param("incident"), Action: body.Action, Value: body.Value, By: body.By})
	h.updated(c, ref, result, err)
}

// updated answers an update: 200 with the case's result, 409 with the
// case's reason when it refused.
func (h *API) updated(c *gin.Context, ref, result string, err error) {
	var refused *cases.RefusedError
	switch {
	case errors.As(err, &refused):
		web.Problem(c, http.StatusConflict, refused.Reason, nil)
	case err != nil:
		h.caseProblem(c, err)
	default:
		c.JSON(http.StatusOK, gin.H{"reference": ref, "result": result})
	}
}

// caseProblem answers 404 for no case, otherwise 503 without the error.
func (h *API) caseProblem(c *gin.Context, err error) {
	if errors.Is(err, cases.ErrNoCase) {
		web.Problem(c, http.StatusNotFound, "No case has that reference", nil)
		return
	}
	h.unavailable(c, err)
}

// unavailable logs what failed and asks the caller to try again, without
// the error.
func (h *API) unavailable(c *gin.Context, err error) {
	h.Log.ErrorContext(c, "staff API unavailable", "path", c.Request.URL.Path, "err", err)
	web.Problem(c, http.StatusServiceUnavailable, "The case is unavailable just now; try again shortly", nil)
}

// orEmpty is m, or an empty map for nil.
func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
