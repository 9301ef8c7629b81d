// Package hooks is Larder's inbound connector: line-of-business systems
// post messages to /hooks/{recipe}/{message}, and the message reaches that
// service's cases waiting on its correlation key (a case reference or a
// business key such as the waste system's job number).
package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// Cases is what hooks ask of the case client.
type Cases interface {
	Deliver(ctx context.Context, service string, msg workflows.Message) ([]string, error)
}

// Handler serves /hooks; construct it with its fields set.
type Handler struct {
	// Recipes are the services whose wait steps may take messages.
	Recipes []*recipe.Recipe
	// Cases delivers messages.
	Cases Cases
	// Token is the bearer token systems post with; empty turns hooks off.
	Token string
	// Log receives what callers are not shown.
	Log *slog.Logger
}

// Routes adds POST /hooks/:recipe/:message.
func (h *Handler) Routes(r gin.IRoutes) {
	if h.Log == nil {
		h.Log = slog.Default()
	}
	r.POST("/hooks/:recipe/:message", web.Bearer(h.Token, "Hooks"), h.deliver)
}

// body is what a line-of-business system posts to /hooks/{recipe}/{message}.
type body struct {
	// Correlation is the case reference or the business key the wait step named.
	Correlation string         `json:"correlation"`
	Data        map[string]any `json:"data"`
}

// deliver passes the message to every running case of the recipe waiting
// on its correlation key. A message for a case that is not waiting yet is
// kept by the case until it is.
func (h *Handler) deliver(c *gin.Context) {
	r := h.recipe(c.Param("recipe"))
	name := c.Param("message")
	if r == nil || !listensFor(r, name) {
		web.Problem(c, http.StatusNotFound, fmt.Sprintf("No service here waits for a %q message", name), nil)
		return
	}
	var b body
	if err := json.NewDecoder(c.Request.Body).Decode(&b); err != nil || b.Correlation == "" {
		web.Problem(c, http.StatusBadRequest, "The body must be JSON with correlation (a case reference or business key) and data", nil)
		return
	}
	delivered, err := h.Cases.Deliver(c, r.ID, workflows.Message{Name: name, Correlation: b.Correlation, Data: b.Data})
	switch {
	case errors.Is(err, cases.ErrNoCase):
		web.Problem(c, http.StatusNotFound, "No running case matches that correlation", nil)
	case err != nil:
		h.Log.ErrorContext(c, "hook not delivered", "recipe", r.ID, "message", name, "err", err)
		web.Problem(c, http.StatusServiceUnavailable, "Cases are unavailable just now; try again shortly", nil)
	default:
		c.JSON(http.StatusAccepted, gin.H{"delivered": delivered})
	}
}

func (h *Handler) recipe(id string) *recipe.Recipe { return recipe.Find(h.Recipes, id) }

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
