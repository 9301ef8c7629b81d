// Package designer serves the service designer's pages of `larder serve
// --dev`: a list of the recipes, and for each recipe one page with every
// page of its form, its steps as a table and its steps drawn as a BPMN
// diagram (bpmn-js, from the BPMN export served beside the page). The
// table says what the diagram shows, so the page works without JavaScript
// and for those who do not see the drawing.
package designer

import (
	"bytes"
	"embed"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows/bpmn"
	"github.com/larder-council/larder/workflows/recipe"
)

//go:embed templates/*.html
var templateFS embed.FS

// Base is where the designer's pages are served.
const Base = "/dev/recipes"

// Handler serves the designer's pages; construct it with its fields set,
// then call Routes. Serve it in development mode only: it shows every
// recipe as written, connectors and expressions included.
type Handler struct {
	// Recipes are the services, as loaded.
	Recipes []*recipe.Recipe
	// Site is the council's look.
	Site *web.Site
	// Log records pages that could not be made.
	Log *slog.Logger
	// Problems, when set, lists the mistakes that kept the recipes
	// folder's latest save from loading (development mode reloads it on
	// every save); the pages then say they show the version that last
	// loaded, and list them.
	Problems func() []string

	pages *web.Pages
}

// Routes serves GET /dev/recipes (the list), /dev/recipes/:id (a recipe's
// page) and /dev/recipes/:id/bpmn (its BPMN 2.0 XML, which the page's
// script draws).
func (h *Handler) Routes(r gin.IRoutes) error {
	pages, err := h.Site.Pages(templateFS, "list", "recipe")
	if err != nil {
		return err
	}
	h.pages = pages
	if h.Log == nil {
		h.Log = slog.Default()
	}
	r.GET(Base, h.list)
	r.GET(Base+"/:id", h.recipe)
	r.GET(Base+"/:id/bpmn", h.bpmn)
	return nil
}

// list shows every recipe, each linking to its page.
func (h *Handler) list(c *gin.Context) {
	h.pages.Render(c, http.StatusOK, "list", "Designer: recipes", false, gin.H{"Recipes": h.Recipes, "Base": Base, "Problems": h.problems()})
}

// recipe shows one recipe: its form, its steps and its diagram.
func (h *Handler) recipe(c *gin.Context) {
	r := recipe.Find(h.Recipes, c.Param("id"))
	if r == nil {
		h.pages.NotFound(c)
		return
	}
	h.pages.Render(c, http.StatusOK, "recipe", "Designer: "+r.Title, false, h.view(r))
}

// bpmn answers the recipe's BPMN 2.0 XML, as `larder bpmn` writes it.
func (h *Handler) bpmn(c *gin.Context) {
	r := recipe.Find(h.Recipes, c.Param("id"))
	if r == nil {
		h.pages.NotFound(c)
		return
	}
	var buf bytes.Buffer
	if err := bpmn.Write(&buf, r); err != nil {
		h.Log.ErrorContext(c, "bpmn export", "recipe", r.ID, "err", err)
		c.String(http.StatusInternalServerError, "The recipe could not be written as BPMN.\n")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/xml; charset=utf-8", buf.Bytes())
}

// recipePage is what a recipe's page shows.
type recipePage struct {
	Recipe *recipe.Recipe
	// Start is the first step.
	Start string
	Pages []formPage
	Steps []stepRow
	// BPMN is the address of the recipe's BPMN export; Script and Style
	// draw it, "" when `make assets` has not built them.
	BPMN, Script, Style string
	// Service is where residents start the service.
	Service string
	// Problems kept the folder's latest save from loading.
	Problems []string
}

// problems are the mistakes in the folder's latest save, if any.
func (h *Handler) problems() []string {
	if h.Problems == nil {
		return nil
	}
	return h.Problems()
}

// view gathers what the recipe's page shows.
func (h *Handler) view(r *recipe.Recipe) recipePage {
	return recipePage{
		Recipe: r, Start: r.FirstStep(), Pages: formPages(r), Steps: stepRows(r),
		BPMN:   Base + "/" + r.ID + "/bpmn",
		Script: h.Site.AssetLink("designer.js"), Style: h.Site.AssetLink("designer.css"),
		Service: "/services/" + r.ID, Problems: h.problems(),
	}
}
