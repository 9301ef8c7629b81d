package activities

import (
	"context"
	"time"

	"github.com/larder-council/larder/workflows/calendar"
	"github.com/larder-council/larder/workflows/recipe"
)

// DueRequest asks when a period that starts at From ends.
type DueRequest struct {
	// From is when the period starts, e.g. when the task opened.
	From time.Time `json:"from"`
	// Period is the recipe's due or escalate.after.
	Period recipe.Period `json:"period"`
}

// DueAt is when the period ends: working days are counted on the council
// calendar, at the same UK time of day; a plain duration is added as it is.
// Cases run it as a local activity, so the answer is recorded in history
// and a later change of calendar does not move a task already open.
func (a *Activities) DueAt(_ context.Context, r DueRequest) (time.Time, error) {
	if r.Period.WorkingDays == 0 {
		return r.From.Add(r.Period.Duration), nil
	}
	cal := a.Calendar
	if cal == nil {
		cal = calendar.Default()
	}
	return cal.AddWorkingDays(r.From, r.Period.WorkingDays), nil
}
