package resident

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/workflows/recipe"
)

// nextSteps is the confirmation's "what happens next" for the answers
// sent: the recipe's next_steps with each {{ expression }} over the
// answers (form.<id>, label(form.<id>), with the words the resident chose
// from a lookup) and the case filled in. It is kept with the sent draft,
// since the answers are not; "" when there is none or it could not be
// written (the problem is logged for staff).
func (h *Handler) nextSteps(c *gin.Context, r *recipe.Recipe, answers map[string]any, d *draft, ref string) string {
	if r.NextSteps == "" {
		return ""
	}
	text, err := r.RenderNextSteps(answers, d.Labels, ref)
	if err != nil {
		h.Log.WarnContext(c, "next steps not written", "service", r.ID, "reference", ref, "err", err)
		return ""
	}
	return text
}

// shownNextSteps is what the confirmation of case ref says happens next.
// The resident who sent the form reads it written for their answers; anyone
// else who opens the address (a reference is no secret) reads next_steps
// only when it speaks of no answer, and nothing otherwise.
func (h *Handler) shownNextSteps(c *gin.Context, r *recipe.Recipe, ref string) string {
	if h.hasDraft(c, r.ID) {
		d, err := h.loadDraft(c, h.session(c), r.ID)
		if err != nil {
			h.Log.WarnContext(c, "confirmation without its next steps", "service", r.ID, "reference", ref, "err", err)
		}
		if err == nil && d.Submitted == ref && d.NextSteps != "" {
			return d.NextSteps
		}
	}
	if strings.Contains(r.NextSteps, "{{") {
		return ""
	}
	return r.NextSteps
}
