package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// visibilityLag is how long a hook keeps looking for a case by business key.
const visibilityLag = 2 * time.Second

// hookBody is what a line-of-business system posts to /hooks/{recipe}/{message}.
type hookBody struct {
	// Correlation is the case reference or the business key the wait step named.
	Correlation string         `json:"correlation"`
	Data        map[string]any `json:"data"`
}

// apiHook delivers a message to every running case of the recipe waiting
// on its correlation key. A message for a case that is not waiting yet is
// kept by the case until it is.
func (s *Server) apiHook(c *gin.Context) {
	r := s.recipe(c.Param("recipe"))
	name := c.Param("message")
	if r == nil || !listensFor(r, name) {
		problem(c, http.StatusNotFound, fmt.Sprintf("No service here waits for a %q message", name), nil)
		return
	}
	var body hookBody
	if err := json.NewDecoder(c.Request.Body).Decode(&body); err != nil || body.Correlation == "" {
		problem(c, http.StatusBadRequest, "The body must be JSON with correlation (a case reference or business key) and data", nil)
		return
	}
	refs, err := s.casesFor(c, r.ID, body.Correlation)
	// Visibility lists a case a moment after it starts waiting on a key;
	// look again for a little while rather than turn the message away.
	for deadline := time.Now().Add(visibilityLag); err == nil && len(refs) == 0 && time.Now().Before(deadline); {
		time.Sleep(visibilityLag / 8)
		refs, err = s.casesFor(c, r.ID, body.Correlation)
	}
	if err != nil {
		s.caseProblem(c, err)
		return
	}
	msg := workflows.Message{Name: name, Correlation: body.Correlation, Data: body.Data}
	var delivered []string
	for _, ref := range refs {
		if err := s.Temporal.SignalWorkflow(c, ref, "", workflows.MessageSignal, msg); err == nil {
			delivered = append(delivered, ref)
		}
	}
	if len(delivered) == 0 {
		problem(c, http.StatusNotFound, "No running case matches that correlation", nil)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"delivered": delivered})
}

// casesFor finds running cases by reference, or by the correlation search
// attribute for a business key among the service's cases. Cases started
// before cases carried their service, and subrecipes' child cases, have
// none and are asked too; they keep a message no wait of theirs takes.
func (s *Server) casesFor(ctx context.Context, service, key string) ([]string, error) {
	if referencePattern.MatchString(key) {
		return []string{key}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := s.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("%s = %s AND ExecutionStatus = 'Running' AND (%s = %s OR %[3]s IS NULL)",
			workflows.CorrelationKeys.GetName(), quote(key), workflows.ServiceKey.GetName(), quote(service)),
	})
	if err != nil {
		return nil, fmt.Errorf("find cases: %w", err)
	}
	var refs []string
	for _, e := range resp.Executions {
		refs = append(refs, e.Execution.WorkflowId)
	}
	return refs, nil
}

// quote makes a string literal of a visibility query.
func quote(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// listensFor reports whether any wait step of the recipe takes the message.
func listensFor(r *recipe.Recipe, name string) bool {
	if slices.ContainsFunc(r.AllSteps(), func(s recipe.Step) bool { return s.Wait != nil && s.Wait.Message == name }) {
		return true
	}
	for _, sub := range r.Subrecipes {
		if listensFor(sub, name) {
			return true
		}
	}
	return false
}
