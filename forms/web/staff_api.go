package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// bearer lets a request through only with the given token. With no token
// configured the routes are closed, never open.
func bearer(token, what string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if token == "" {
			problem(c, http.StatusServiceUnavailable, what+" are turned off: set a token to use them", nil)
			return
		}
		got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			c.Header("WWW-Authenticate", `Bearer realm="larder"`)
			problem(c, http.StatusUnauthorized, "A valid bearer token is required", nil)
			return
		}
		c.Next()
	}
}

// caseDetail asks the case for its staff view.
func (s *Server) caseDetail(ctx context.Context, ref string) (workflows.CaseDetail, error) {
	var d workflows.CaseDetail
	return d, s.askCase(ctx, ref, workflows.DetailQuery, &d)
}

func (s *Server) apiCaseDetail(c *gin.Context) {
	d, err := s.caseDetail(c, c.Param("reference"))
	if err != nil {
		s.caseProblem(c, err)
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

func (s *Server) apiCompleteTask(c *gin.Context) {
	ref := c.Param("reference")
	var body completeBody
	if err := json.NewDecoder(c.Request.Body).Decode(&body); err != nil {
		problem(c, http.StatusBadRequest, "The body must be JSON with outcome, values and by", nil)
		return
	}
	d, err := s.caseDetail(c, ref)
	if err != nil {
		s.caseProblem(c, err)
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
		problem(c, http.StatusNotFound, "This case has no such task", nil)
		return
	}
	values, errs := s.Validator.Form(&recipe.Recipe{Form: recipe.Form{Pages: []recipe.Page{{Fields: task.Fields}}}}, orEmpty(body.Values))
	if len(errs) > 0 {
		problem(c, http.StatusUnprocessableEntity, "Some answers need fixing", errs)
		return
	}
	done := workflows.Completion{TaskID: taskID, Outcome: body.Outcome, Values: values, By: body.By}
	s.update(c, ref, workflows.CompleteTask, done)
}

// resolveBody is POST .../incidents/{incident}/resolve.
type resolveBody struct {
	Action string         `json:"action"`
	Value  map[string]any `json:"value"`
	By     string         `json:"by"`
}

func (s *Server) apiResolveIncident(c *gin.Context) {
	var body resolveBody
	if err := json.NewDecoder(c.Request.Body).Decode(&body); err != nil {
		problem(c, http.StatusBadRequest, "The body must be JSON with action (retry, skip or cancel), value and by", nil)
		return
	}
	r := workflows.Resolution{IncidentID: c.Param("incident"), Action: body.Action, Value: body.Value, By: body.By}
	s.update(c, c.Param("reference"), workflows.ResolveIncident, r)
}

// update sends an update and waits for the case to take it. A refusal by
// the case's validator is a 409 carrying the reason.
func (s *Server) update(c *gin.Context, ref, name string, arg any) {
	if !referencePattern.MatchString(ref) {
		s.caseProblem(c, errNoCase)
		return
	}
	ctx, cancel := context.WithTimeout(c, 10*time.Second)
	defer cancel()
	h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: ref, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var result string
	if err == nil {
		err = h.Get(ctx, &result)
	}
	if err != nil {
		if errors.Is(queryError(err), errNoCase) {
			s.caseProblem(c, errNoCase)
			return
		}
		problem(c, http.StatusConflict, refusal(err), nil)
		return
	}
	c.JSON(http.StatusOK, gin.H{"reference": ref, "result": result})
}

func (s *Server) apiCancelCase(c *gin.Context) {
	ref := c.Param("reference")
	if !referencePattern.MatchString(ref) {
		s.caseProblem(c, errNoCase)
		return
	}
	if err := s.Temporal.CancelWorkflow(c, ref, ""); err != nil {
		s.caseProblem(c, queryError(err))
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"reference": ref, "status": "cancelling"})
}

func (s *Server) caseProblem(c *gin.Context, err error) {
	if errors.Is(err, errNoCase) {
		problem(c, http.StatusNotFound, "No case has that reference", nil)
		return
	}
	s.Log.ErrorContext(c, "case unavailable", "err", err)
	problem(c, http.StatusServiceUnavailable, "The case is unavailable just now; try again shortly", nil)
}

// refusal is the validator's reason without Temporal's wrapping.
func refusal(err error) string {
	msg, _, _ := strings.Cut(err.Error(), " (type: ")
	return msg
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
