package staff

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms"
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

// API serves the staff JSON API; construct it with its fields set.
type API struct {
	// Cases reads and works cases.
	Cases Cases
	// Validator checks a task's outcome fields like resident answers.
	Validator *forms.Validator
	// Token is the staff API's bearer token; empty turns the API off.
	Token string
	// Log receives what callers are not shown.
	Log *slog.Logger
}

// Routes adds the staff API under r (mounted at /api/v1).
func (h *API) Routes(r gin.IRouter) {
	if h.Log == nil {
		h.Log = slog.Default()
	}
	g := r.Group("/cases/:reference", web.Bearer(h.Token, "Staff APIs"))
	g.GET("/detail", h.detail)
	g.POST("/tasks/:task/complete", h.completeTask)
	g.POST("/incidents/:incident/resolve", h.resolveIncident)
	g.POST("/cancel", h.cancel)
}

func (h *API) detail(c *gin.Context) {
	d, err := h.Cases.Detail(c, c.Param("reference"))
	if err != nil {
		h.caseProblem(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

// completeBody is POST .../tasks/{task}/complete.
type completeBody struct {
	Outcome string         `json:"outcome"`
	Values  map[string]any `json:"values"`
	By      string         `json:"by"`
}

func (h *API) completeTask(c *gin.Context) {
	ref := c.Param("reference")
	var body completeBody
	if err := json.NewDecoder(c.Request.Body).Decode(&body); err != nil {
		web.Problem(c, http.StatusBadRequest, "The body must be JSON with outcome, values and by", nil)
		return
	}
	d, err := h.Cases.Detail(c, ref)
	if err != nil {
		h.caseProblem(c, err)
		return
	}
	taskID := ref + "/" + c.Param("task")
	var task *workflows.Task
	for _, t := range d.Tasks {
		if t.ID == taskID {
			task = t
		}
	}
	if task == nil {
		web.Problem(c, http.StatusNotFound, "This case has no such task", nil)
		return
	}
	values, errs := h.Validator.Form(&recipe.Recipe{Form: recipe.Form{Pages: []recipe.Page{{Fields: task.Fields}}}}, orEmpty(body.Values))
	if len(errs) > 0 {
		web.Problem(c, http.StatusUnprocessableEntity, "Some answers need fixing", errs)
		return
	}
	result, err := h.Cases.CompleteTask(c, ref, workflows.Completion{TaskID: taskID, Outcome: body.Outcome, Values: values, By: body.By})
	h.updated(c, ref, result, err)
}

// resolveBody is POST .../incidents/{incident}/resolve.
type resolveBody struct {
	Action string         `json:"action"`
	Value  map[string]any `json:"value"`
	By     string         `json:"by"`
}

func (h *API) resolveIncident(c *gin.Context) {
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

func (h *API) cancel(c *gin.Context) {
	ref := c.Param("reference")
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

func (h *API) caseProblem(c *gin.Context, err error) {
	if errors.Is(err, cases.ErrNoCase) {
		web.Problem(c, http.StatusNotFound, "No case has that reference", nil)
		return
	}
	h.Log.ErrorContext(c, "case unavailable", "err", err)
	web.Problem(c, http.StatusServiceUnavailable, "The case is unavailable just now; try again shortly", nil)
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
