package staff

import "github.com/gin-gonic/gin"

// casePageNames are the case, search and incident pages' templates.
var casePageNames = []string{}

// caseRoutes adds the case, search and incident pages to the signed-in
// /staff group.
func (h *Handler) caseRoutes(g *gin.RouterGroup) {}
