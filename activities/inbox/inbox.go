// Package inbox is the back office's index of open work: every open task by
// queue, service and assignee, sorted by due date, and every open incident,
// oldest first. It lives in Redis as sorted sets so an inbox page never
// scans keys; activities write it when work opens, is claimed, moves or
// closes, and `larder reindex` rebuilds it from Temporal's visibility.
// Temporal history stays the truth: the index can always be thrown away.
package inbox

import (
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Kinds of open work.
const (
	KindTask     = "task"
	KindIncident = "incident"
)

// Unassigned is the Filter.Assignee that asks for tasks nobody has claimed.
const Unassigned = "-"

// Statuses a Filter may ask for.
const (
	StatusOverdue  = "overdue"
	StatusDueToday = "due-today"
)

// Entry is one piece of open work as the inbox lists it.
type Entry struct {
	// ID is the task's id ("MB-7K4Q-2PXD/check") or the incident's
	// ("MB-7K4Q-2PXD/raise-1").
	ID string `json:"id"`
	// Kind is KindTask or KindIncident.
	Kind string `json:"kind"`
	// Reference is the case's reference.
	Reference string `json:"reference"`
	// Service is the id of the case's recipe; ServiceTitle its title.
	Service      string `json:"service"`
	ServiceTitle string `json:"service_title,omitempty"`
	// Step is the recipe step the work belongs to.
	Step string `json:"step"`
	// Queue is the team a task waits for (tasks only).
	Queue string `json:"queue,omitempty"`
	// Title says what to do (a task) or what failed (an incident).
	Title string `json:"title"`
	// Assignee is the username holding a task; empty when nobody does.
	Assignee string `json:"assignee,omitempty"`
	// OpenedAt is when the task opened or the incident was raised.
	OpenedAt time.Time `json:"opened_at"`
	// DueAt is when a task is due, if it has a due date.
	DueAt *time.Time `json:"due_at,omitempty"`
	// Escalated marks a task that passed its escalation time.
	Escalated bool `json:"escalated,omitempty"`
	// Error is an incident's real error, for staff only.
	Error string `json:"error,omitempty"`
	// Seq counts the changes to the work; a write older than what the
	// index holds is ignored, so writes may arrive out of order.
	Seq int `json:"seq"`
	// Closed removes the work from the index.
	Closed bool `json:"closed,omitempty"`
}

// Index is the inbox index in Redis; construct it with its fields set.
type Index struct {
	// Redis holds the index.
	Redis redis.UniversalClient
	// Prefix starts every key, so Larders (and test runs) can share a Redis.
	Prefix string
	// Log receives what the metrics collector could not read; nil logs to
	// slog's default logger.
	Log *slog.Logger
}

// Filter picks the tasks an inbox page shows.
type Filter struct {
	// Queues are the queues to list; the caller limits them to the user's.
	Queues []string
	// Service, when set, keeps one recipe's tasks.
	Service string
	// Status, when set, is StatusOverdue or StatusDueToday.
	Status string
	// Assignee, when set, is a username or Unassigned.
	Assignee string
	// Now and EndOfDay (the end of today, council time) place "overdue"
	// and "due today".
	Now, EndOfDay time.Time
	// Page counts from 1; PerPage defaults to 25.
	Page, PerPage int
}

// Page is one page of a listing.
type Page struct {
	Entries []Entry
	// Total is how many entries match; Pages how many pages they fill.
	Total, Page, Pages int
}

// QueueCount is what an inbox shows beside a queue's name.
type QueueCount struct {
	Open, Overdue, DueToday int
}
