package staff

import (
	"context"
	"log/slog"
	"time"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// Work is what staff pages ask of the case client.
type Work interface {
	Cases
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
	// Now is the clock "overdue" and "due today" are told by; default time.Now.
	Now func() time.Time
	// Log receives what staff are not shown.
	Log *slog.Logger
}
